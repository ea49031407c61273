// Numbers in the measuring tools' arguments, parsed strictly: the whole string, decimal, no sign
// on an unsigned type, no leading blanks. nullopt for anything else.
#pragma once

#include <charconv>
#include <cstring>
#include <optional>
#include <system_error>

namespace logship::bench {

template <class T>
std::optional<T> parse_number(const char* s) {
  T v{};
  const char* end = s + std::strlen(s);
  const auto [ptr, ec] = std::from_chars(s, end, v);
  if (ec != std::errc{} || ptr != end || ptr == s) return std::nullopt;
  return v;
}

}  // namespace logship::bench
