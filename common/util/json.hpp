// JSON text: the one string quoting every JSON writer in logship uses.
#pragma once

#include <string>
#include <string_view>

namespace logship {

// Quotes and escapes a string for JSON; bytes that are not valid UTF-8 become \ufffd, so any
// bytes (file names, log lines) give valid JSON.
std::string json_quote(std::string_view s);

// Whether s is valid UTF-8 (then json_quote keeps every byte: it is lossless).
bool valid_utf8(std::string_view s);

// Standard base64 (RFC 4648, with padding).
std::string base64(std::string_view bytes);

}  // namespace logship
