// The verification key file: K_0 of a stream, written at `logship-push init` and kept off the
// monitored host. Text: '#' comment lines, blank lines, and one line "logship-key v1 <hex64>".
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "crypto/sha256.hpp"
#include "util/result.hpp"

namespace logship::vault {

inline constexpr std::string_view kKeyFileTag = "logship-key v1 ";

// A fresh random K_0 (OpenSSL RAND_bytes).
Result<crypto::Digest> generate_key();

// The file text: `comment` (each of its lines as "# ..."), then the key line.
std::string format_key_file(const crypto::Digest& k0, std::string_view comment);

// Parses the file text; the error names the problem (ErrorKind::config).
Result<crypto::Digest> parse_key_file(std::string_view text);

// Creates `path` with mode 0600, refusing to overwrite an existing file; fsyncs it.
Result<void> write_key_file(const std::filesystem::path& path, const crypto::Digest& k0,
                            std::string_view comment);

// Reads and parses a key file; errors name the file and the fix (ErrorKind::config).
Result<crypto::Digest> read_key_file(const std::filesystem::path& path);

}  // namespace logship::vault
