#include "crypto/sha256.hpp"

// The one-call-per-block SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, whose
// per-digest setup costs more than hashing a 150-byte line; they remain supported in 3.x.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace logship::crypto {

namespace {
static_assert(sizeof(SHA256_CTX) <= 112 && alignof(SHA256_CTX) <= 8);
SHA256_CTX* ctx_of(unsigned char* p) {
  return reinterpret_cast<SHA256_CTX*>(p);
}
void check(int rc) {
  if (rc != 1) throw std::runtime_error("OpenSSL SHA-256 failure");
}
}  // namespace

Sha256::Sha256() {
  check(SHA256_Init(ctx_of(state_)));
}

Sha256::~Sha256() {
  OPENSSL_cleanse(state_, sizeof state_);
}

Sha256& Sha256::update(std::string_view bytes) {
  check(SHA256_Update(ctx_of(state_), bytes.data(), bytes.size()));
  return *this;
}

Digest Sha256::finish() {
  Digest d{};
  check(SHA256_Final(d.data(), ctx_of(state_)));
  check(SHA256_Init(ctx_of(state_)));
  return d;
}

Digest Sha256::peek() const {
  Sha256 copy(*this);
  return copy.finish();
}

Digest Sha256::digest(std::string_view bytes) {
  return update(bytes).finish();
}

Digest sha256(std::string_view bytes) {
  return Sha256().update(bytes).finish();
}

Digest hmac_sha256(const Digest& key, std::string_view message) {
  Digest d{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), d.data(), &len))
    throw std::runtime_error("OpenSSL HMAC failure");
  return d;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::optional<Digest> digest_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Digest d{};
  for (size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return d;
}

void wipe(Digest& key) {
  OPENSSL_cleanse(key.data(), key.size());
}

}  // namespace logship::crypto
