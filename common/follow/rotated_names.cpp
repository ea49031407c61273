#include "follow/rotated_names.hpp"

#include <algorithm>
#include <ctime>

namespace logship::follow {

namespace {

std::string expand_time(const std::string& pattern, const std::tm& tm) {
  char buf[4096];
  const std::size_t n = std::strftime(buf, sizeof buf, pattern.c_str(), &tm);
  return n ? std::string(buf, n) : std::string();
}

}  // namespace

std::vector<std::string> default_rotated_patterns() {
  return {"{}.1", "{}-%Y%m%d"};
}

bool valid_rotated_pattern(const std::string& pattern) {
  const auto at = pattern.find("{}");
  return at != std::string::npos && pattern.find("{}", at + 2) == std::string::npos;
}

std::vector<std::string> rotated_names(const std::string& path,
                                       const std::vector<std::string>& patterns, WallTime now) {
  std::vector<std::string> out;
  auto add = [&](std::string name) {
    if (!name.empty() && name != path && std::find(out.begin(), out.end(), name) == out.end())
      out.push_back(std::move(name));
  };
  for (const auto& pattern : patterns) {
    const auto at = pattern.find("{}");
    if (at == std::string::npos) continue;
    // '%' in the path must survive strftime: double it.
    std::string escaped;
    for (char c : path) escaped += c == '%' ? std::string("%%") : std::string(1, c);
    const std::string with_path = pattern.substr(0, at) + escaped + pattern.substr(at + 2);
    if (pattern.find('%') == std::string::npos) {
      add(pattern.substr(0, at) + path + pattern.substr(at + 2));
      continue;
    }
    for (int days_back = 0; days_back <= 1; ++days_back) {
      const std::time_t t =
          std::chrono::system_clock::to_time_t(now - std::chrono::days(days_back));
      std::tm utc{}, local{};
      ::gmtime_r(&t, &utc);
      ::localtime_r(&t, &local);
      add(expand_time(with_path, utc));
      add(expand_time(with_path, local));
    }
  }
  return out;
}

}  // namespace logship::follow
