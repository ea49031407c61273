// Status reporting for monitoring: a JSON status file and a Prometheus node_exporter textfile,
// both replaced atomically so a reader never sees half of one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/json.hpp"
#include "util/result.hpp"

namespace logship::status {

// The JSON writer (util/json.hpp), as the status code has always named it.
using logship::JsonObject;

// One Prometheus sample with its metadata.
struct Metric {
  std::string name;  // e.g. "logship_push_backlog_bytes"
  std::string help;
  std::string type;  // "gauge" or "counter"
  double value = 0;
  std::vector<std::pair<std::string, std::string>> labels;
};

// The text exposition format (HELP and TYPE once per name, in first-seen order).
std::string prometheus_text(const std::vector<Metric>& metrics);

// Atomically replaces `path` (mode 0644: monitoring may read it; it holds no secrets).
Status write_status_file(const std::filesystem::path& path, std::string_view content);

}  // namespace logship::status
