// FileIdentity: which remote file a checkpoint speaks of. SFTP v3 has no inode number, so a file
// is known by its first bytes: the SHA-256 of its first min(size, kFingerprintBytes) bytes, and
// how many bytes that was. The identity of a short file grows with it until it covers
// kFingerprintBytes. Two files whose first kFingerprintBytes are equal count as one file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/sha256.hpp"

namespace logship::follow {

inline constexpr std::size_t kFingerprintBytes = 1024;  // bytes of a file's start that identify it

struct FileIdentity {
  std::uint64_t length = 0;  // bytes covered, at most kFingerprintBytes
  crypto::Digest digest{};   // SHA-256 of those bytes
  bool operator==(const FileIdentity&) const = default;
};

// The identity of a file whose first bytes are `head` (bytes past kFingerprintBytes are ignored).
FileIdentity identify(std::string_view head);

// True when a file that starts with `head` can be the one `id` was taken from: `head` holds at
// least id.length bytes and those hash to id.digest.
bool same_start(const FileIdentity& id, std::string_view head);

// `id`, extended to cover more of `head` when the file has grown (unchanged if it cannot: head
// too short, or not the same start).
FileIdentity grow(const FileIdentity& id, std::string_view head);

}  // namespace logship::follow
