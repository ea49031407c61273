// Vault format v1, line level: control-line prefixes, escaping of payload lines, percent-encoding
// of control-line values, and RFC 3339 time stamps. Normative text: docs/FORMAT.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace logship::vault {

inline constexpr std::string_view kControlPrefix = "@logship";  // every control line starts so
inline constexpr std::string_view kBeginPrefix = "@logship begin ";
inline constexpr std::string_view kEndPrefix = "@logship end ";
inline constexpr std::string_view kPartPrefix = "@logship part ";
inline constexpr std::string_view kRedactedPrefix = "@logship redacted sha256=";
inline constexpr std::size_t kMaxControlLine = 64 * 1024;  // bytes; longer control lines are bad
// Extra begin-line field of a stream whose K_0 was derived from the genesis key (FORMAT.md §5).
inline constexpr std::string_view kGenesisField = "genesis";

// Microsecond UTC time, the resolution of the `time=` field.
using VaultTime = std::chrono::sys_time<std::chrono::microseconds>;

// What one vault line (without its '\n') is.
enum class LineKind {
  payload,    // an original line, unchanged
  escaped,    // an original line that began with @...logship; one '@' was prepended
  part,       // "@logship part " + a fragment that is not a complete line
  redacted,   // "@logship redacted sha256=<hex64>"
  begin,      // "@logship begin ..." (not yet parsed)
  end,        // "@logship end ..." (not yet parsed)
  malformed,  // starts with "@logship" but is none of the above
};

// Classifies a vault line by its prefix. Cheap: looks at the first bytes only (and at the run
// of leading '@' for escaped lines).
LineKind classify(std::string_view line);

// True when a payload line must be escaped: it matches ^@+logship.
bool needs_escape(std::string_view payload);

// The payload bytes a payload/escaped/part line stands for (escaped: one '@' fewer; part: the
// fragment). Other kinds are returned unchanged.
std::string_view unescape(std::string_view line, LineKind kind);

// Percent-encodes a control-line value: bytes outside 0x21..0x7E and ' ', '%', '=' become %XX.
std::string percent_encode(std::string_view raw);

// Decodes a control-line value; nullopt when it holds a byte that must have been encoded or a
// broken %XX escape.
std::optional<std::string> percent_decode(std::string_view encoded);

// "2026-11-22T02:20:40.123456Z": RFC 3339, UTC, exactly six fractional digits.
std::string format_time(VaultTime t);

// Parses exactly the form format_time writes; nullopt otherwise.
std::optional<VaultTime> parse_time(std::string_view text);

// Decimal without sign or leading zeros, at most 2^64-1; nullopt otherwise.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

}  // namespace logship::vault
