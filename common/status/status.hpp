// Status reporting for monitoring: a JSON status file and a Prometheus node_exporter textfile,
// both replaced atomically so a reader never sees half of one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/clock.hpp"
#include "util/json.hpp"
#include "util/result.hpp"

namespace logship::status {

// Adds key with iso_time(t), or null when absent.
JsonObject& add_time(JsonObject& o, std::string_view key, const std::optional<WallTime>& t);

// "2026-11-22T02:20:40.123456Z": the vault's time format (UTC, microseconds).
std::string iso_time(WallTime t);

// Seconds since the epoch, 0 when absent: a Prometheus timestamp.
double epoch_seconds(const std::optional<WallTime>& t);

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

// Atomically replaces `path` (mode 0644: monitoring may read it; it holds no secrets): a
// reader sees the old or the new file. Not fsynced (util/files.hpp, replace_file).
Result<void> write_status_file(const std::filesystem::path& path, std::string_view content);

// Writes `content` to `path` as write_status_file() does; logs "WHAT: error" on failure.
void write_logged(const std::filesystem::path& path, std::string_view content, const char* what);

// Where an agent reports; either file may be absent.
struct StatusFiles {
  std::optional<std::filesystem::path> json;
  std::optional<std::filesystem::path> prometheus;
};

}  // namespace logship::status
