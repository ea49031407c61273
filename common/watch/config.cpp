#include "watch/config.hpp"

#include "vault/verifier.hpp"

#include <glob.h>

#include <algorithm>
#include <fstream>
#include <set>

namespace logship::watch {

namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string default_rotated(const std::filesystem::path& file) {
  return file.string() + "-*";
}

std::vector<std::filesystem::path> rotated_files(const std::string& pattern) {
  std::vector<std::filesystem::path> out;
  glob_t g{};
  if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<StreamConfig>> read_streams(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    return make_error(ErrorKind::config,
                      "cannot read streams file " + path.string() + ": check the path");
  std::vector<StreamConfig> out;
  std::set<std::string> names;
  std::string raw;
  int number = 0;
  auto fail = [&](const std::string& why) {
    return make_error(ErrorKind::config, path.string() + ":" + std::to_string(number) + ": " + why);
  };
  auto finish = [&]() -> Result<void> {
    if (out.empty()) return {};
    auto& s = out.back();
    if (s.file.empty()) return fail("stream [" + s.name + "] has no 'file = PATH'");
    if (s.key.empty()) return fail("stream [" + s.name + "] has no 'key = KEY_FILE'");
    if (s.rotated.empty()) s.rotated = default_rotated(s.file);
    return {};
  };
  while (std::getline(in, raw)) {
    ++number;
    const auto line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3) return fail("a section is [NAME]: '" + line + "'");
      if (auto st = finish(); !st) return st.error();
      const auto name = trim(line.substr(1, line.size() - 2));
      if (name.find_first_of(" \t\"\\") != std::string::npos || name.empty())
        return fail("stream name '" + name + "' must not hold spaces, quotes or backslashes");
      if (!names.insert(name).second) return fail("stream [" + name + "] is defined twice");
      out.push_back(StreamConfig{name, {}, {}, {}, {}, {}, false});
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) return fail("expected 'key = value', got '" + line + "'");
    if (out.empty()) return fail("'" + line + "' comes before the first [NAME] section");
    const auto key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    auto& s = out.back();
    if (value.empty()) return fail("'" + key + "' has no value");
    if (key == "file") {
      s.file = value;
    } else if (key == "rotated") {
      s.rotated = value;
    } else if (key == "key") {
      s.key = value;
    } else if (key == "max-silence") {
      std::size_t used = 0;
      unsigned long long v = 0;
      try {
        v = std::stoull(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      constexpr auto kMax = vault::VerifyOptions::kMaxSilenceSeconds;
      if (used != value.size() || v == 0 || v > kMax)
        return fail("max-silence must be 1 to " + std::to_string(kMax) + " seconds, got '" + value +
                    "'");
      s.max_silence = std::chrono::seconds(v);
    } else if (key == "expect-start") {
      if (value != "yes" && value != "no" && value != "true" && value != "false")
        return fail("expect-start is yes or no, got '" + value + "'");
      s.expect_start = value == "yes" || value == "true";
    } else {
      return fail("unknown setting '" + key +
                  "' (known: file, rotated, key, max-silence, expect-start)");
    }
  }
  if (auto st = finish(); !st) return st.error();
  if (out.empty())
    return make_error(ErrorKind::config, path.string() +
                                             " defines no stream: add a [NAME] "
                                             "section with file = and key =");
  return out;
}

}  // namespace logship::watch
