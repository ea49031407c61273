// JSON text: the one JSON writer in logship (status files, --json reports, --emit json lines),
// and the string quoting it uses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace logship {

// Quotes and escapes a string for JSON; bytes that are not valid UTF-8 become \ufffd, so any
// bytes (file names, log lines) give valid JSON.
std::string json_quote(std::string_view s);

// A number as JSON writes it: the shortest text that reads back as exactly `v` (%.17g), or
// null when `v` is not finite.
std::string json_number(double v);

// Whether s is valid UTF-8 (then json_quote keeps every byte: it is lossless).
bool valid_utf8(std::string_view s);

class JsonArray;

// An ordered JSON object, built field by field; compact (no spaces), keys in the order added.
class JsonObject {
 public:
  JsonObject& add(std::string_view key, std::string_view value);
  JsonObject& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  JsonObject& add(std::string_view key, std::int64_t value);
  JsonObject& add(std::string_view key, std::uint64_t value);
  JsonObject& add(std::string_view key, int value) { return add(key, std::int64_t{value}); }
  JsonObject& add(std::string_view key, double value);  // not finite: null
  JsonObject& add(std::string_view key, bool value);
  JsonObject& add_null(std::string_view key);
  JsonObject& add_or_null(std::string_view key, std::string_view value);  // null when empty
  JsonObject& add(std::string_view key, const JsonObject& value);
  JsonObject& add(std::string_view key, const JsonArray& value);
  JsonObject& add_raw(std::string_view key, std::string_view json);  // an already-encoded value
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_;
};

// A JSON array, built value by value (compact, like JsonObject).
class JsonArray {
 public:
  JsonArray& add(std::string_view value);  // a string
  JsonArray& add(const JsonObject& value);
  bool empty() const { return body_.empty(); }
  std::string str() const { return "[" + body_ + "]"; }

 private:
  void next();
  std::string body_;
};

// Standard base64 (RFC 4648, with padding).
std::string base64(std::string_view bytes);

}  // namespace logship
