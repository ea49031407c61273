// JSON text: the one string quoting every JSON writer in logship uses.
#pragma once

#include <string>
#include <string_view>

namespace logship {

// Quotes and escapes a string for JSON; bytes that are not valid UTF-8 become \ufffd, so any
// bytes (file names, log lines) give valid JSON.
std::string json_quote(std::string_view s);

}  // namespace logship
