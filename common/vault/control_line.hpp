// Vault format v1, the two control lines that frame a batch: their fields, and how they are
// written and parsed. Byte grammar: docs/FORMAT.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/sha256.hpp"
#include "util/result.hpp"
#include "vault/format.hpp"

namespace logship::vault {

inline constexpr std::uint64_t kFormatVersion = 1;

// An additional `key=value` field of a begin line (forward compatibility). Value decoded.
struct Field {
  std::string key;
  std::string value;
  bool operator==(const Field&) const = default;
};

// "@logship begin v=1 src=S stream=T seq=N time=UTC dropped=D prev=HEX [k=v...]".
struct BeginLine {
  std::string src;            // decoded; not empty
  std::string stream;         // decoded; not empty
  std::uint64_t seq = 0;      // 0 for the first batch of a stream, +1 per committed batch
  VaultTime time{};           // sender time, UTC, microseconds
  std::uint64_t dropped = 0;  // input lines the sender dropped since the previous batch
  crypto::Digest prev{};      // chain value of the previous batch (zeros before seq 0)
  std::vector<Field> extra;   // further fields, in order
  bool operator==(const BeginLine&) const = default;
};

// "@logship end seq=N lines=L bytes=B chain=HEX mac=HEX".
struct EndLine {
  std::uint64_t seq = 0;
  std::uint64_t lines = 0;  // payload vault lines in the batch
  std::uint64_t bytes = 0;  // sum of (length + 1) over the payload vault lines
  crypto::Digest chain{};
  crypto::Digest mac{};
  bool operator==(const EndLine&) const = default;
};

// True for a valid extra-field key: 1..64 of [a-z0-9_-], not one of the required keys.
bool valid_extra_key(std::string_view key);

// The begin line, without '\n'. Precondition: src/stream not empty, extra keys valid.
std::string format_begin(const BeginLine& b);

// Parses a begin line (without '\n'); the error message says which field is wrong.
Result<BeginLine> parse_begin(std::string_view line);

// The end line, without '\n'.
std::string format_end(const EndLine& e);

// Parses an end line (without '\n').
Result<EndLine> parse_end(std::string_view line);

// Parses 64 lower-case hex digits (the only form the format writes).
std::optional<crypto::Digest> parse_hex64(std::string_view hex);

}  // namespace logship::vault
