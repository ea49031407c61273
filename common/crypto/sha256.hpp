// SHA-256 and HMAC-SHA-256 (OpenSSL), and hex encoding of digests.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logship::crypto {

using Digest = std::array<std::uint8_t, 32>;

// Incremental SHA-256 (OpenSSL EVP with the digest fetched once): cheap enough per call to
// hash every line of a multi-GB file.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& o) noexcept : ctx_(o.ctx_) { o.ctx_ = nullptr; }
  Sha256& operator=(Sha256&& o) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(std::string_view bytes);
  Sha256& update(const Digest& d) { return update(as_view(d)); }
  Digest finish();                        // the object is reset and can be used again
  Digest peek() const;                    // the digest so far, without resetting
  Digest digest(std::string_view bytes);  // one-shot on a fresh (or just finished) object

  static std::string_view as_view(const Digest& d) {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
  }

 private:
  void* ctx_;  // EVP_MD_CTX
};

Digest sha256(std::string_view bytes);
Digest hmac_sha256(const Digest& key, std::string_view message);

std::string to_hex(std::string_view bytes);
inline std::string to_hex(const Digest& d) {
  return to_hex(Sha256::as_view(d));
}
// Parses exactly 64 hex digits; nullopt otherwise.
std::optional<Digest> digest_from_hex(std::string_view hex);

// Overwrites a key in memory in a way the compiler may not elide.
void wipe(Digest& key);

}  // namespace logship::crypto
