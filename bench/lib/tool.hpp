// What the measuring tools under bench/ share: a one-line error naming the tool (die), and
// numbers in their arguments parsed strictly (the whole string, decimal, no sign on an unsigned
// type, no leading blanks). Header-only: the tools link no logship code for this.
#pragma once

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>

namespace logship::bench {

// The tool's name in its messages, and die()'s exit status: set first thing in main().
struct Tool {
  const char* name;
  int failure_status;
};
inline Tool tool{"logship-bench", 2};

[[noreturn]] inline void die(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", tool.name, msg.c_str());
  std::exit(tool.failure_status);
}

[[noreturn]] inline void die_errno(const std::string& what) {
  die(what + ": " + std::strerror(errno));
}

template <class T>
std::optional<T> parse_number(const char* s) {
  T v{};
  const char* end = s + std::strlen(s);
  const auto [ptr, ec] = std::from_chars(s, end, v);
  if (ec != std::errc{} || ptr != end || ptr == s) return std::nullopt;
  return v;
}

template <class T>
T to_number(const char* s, const char* what) {
  if (const auto v = parse_number<T>(s)) return *v;
  die(std::string("bad ") + what + ": " + s);
}

}  // namespace logship::bench
