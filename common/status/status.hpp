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

// An ordered JSON object, built field by field.
class JsonObject {
 public:
  JsonObject& add(std::string_view key, std::string_view value);
  JsonObject& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  JsonObject& add(std::string_view key, std::int64_t value);
  JsonObject& add(std::string_view key, std::uint64_t value);
  JsonObject& add(std::string_view key, int value) { return add(key, std::int64_t{value}); }
  JsonObject& add(std::string_view key, double value);
  JsonObject& add(std::string_view key, bool value);
  JsonObject& add_null(std::string_view key);
  JsonObject& add(std::string_view key, const JsonObject& value);
  JsonObject& add_raw(std::string_view key, std::string_view json);  // an already-encoded value
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_;
};

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
