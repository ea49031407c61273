#include "status/status.hpp"

#include <cmath>
#include <cstdio>
#include <set>

#include <spdlog/spdlog.h>

#include "util/files.hpp"
#include "vault/format.hpp"

namespace logship::status {

JsonObject& add_time(JsonObject& o, std::string_view key, const std::optional<WallTime>& t) {
  return t ? o.add(key, iso_time(*t)) : o.add_null(key);
}

std::string iso_time(WallTime t) {
  return vault::format_time(std::chrono::floor<std::chrono::microseconds>(t));
}

double epoch_seconds(const std::optional<WallTime>& t) {
  return t ? std::chrono::duration<double>(t->time_since_epoch()).count() : 0.0;
}

std::string prometheus_text(const std::vector<Metric>& metrics) {
  auto escape_label = [](std::string_view v) {
    std::string out;
    for (char c : v) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out;
  };
  std::string out;
  std::set<std::string> described;
  for (const auto& m : metrics) {
    if (described.insert(m.name).second) {
      out += "# HELP " + m.name + " " + m.help + "\n";
      out += "# TYPE " + m.name + " " + m.type + "\n";
    }
    out += m.name;
    if (!m.labels.empty()) {
      out += '{';
      for (std::size_t i = 0; i < m.labels.size(); ++i) {
        if (i) out += ',';
        out += m.labels[i].first + "=\"" + escape_label(m.labels[i].second) + "\"";
      }
      out += '}';
    }
    out += ' ';
    out += std::isfinite(m.value) ? json_number(m.value) : "NaN";
    out += '\n';
  }
  return out;
}

Result<void> write_status_file(const std::filesystem::path& path, std::string_view content) {
  // Rewritten every few seconds by the thread that reads syslog's FIFO: never an fsync, which
  // on a busy disk would hold that thread for 100 ms or more.
  return replace_file(path, content, 0644);
}

void write_logged(const std::filesystem::path& path, std::string_view content, const char* what) {
  if (auto st = write_status_file(path, content); !st)
    spdlog::warn("{}: {}", what, st.error().message);
}

}  // namespace logship::status
