#include "crypto/sha256.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace logship::crypto {

namespace {
EVP_MD_CTX* ctx_of(void* p) {
  return static_cast<EVP_MD_CTX*>(p);
}
void check(int rc) {
  if (rc != 1) throw std::runtime_error("OpenSSL SHA-256 failure");
}
// Fetched once: an implicit fetch on every init is what makes EVP slow per line.
const EVP_MD* sha256_md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!m) throw std::runtime_error("OpenSSL: SHA256 unavailable");
    return m;
  }();
  return md;
}
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw std::bad_alloc();
  check(EVP_DigestInit_ex2(ctx_of(ctx_), sha256_md(), nullptr));
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_of(ctx_));  // null after a move: a no-op
}

Sha256& Sha256::operator=(Sha256&& o) noexcept {
  if (this != &o) {
    EVP_MD_CTX_free(ctx_of(ctx_));
    ctx_ = o.ctx_;
    o.ctx_ = nullptr;
  }
  return *this;
}

Sha256& Sha256::update(std::string_view bytes) {
  check(EVP_DigestUpdate(ctx_of(ctx_), bytes.data(), bytes.size()));
  return *this;
}

Digest Sha256::finish() {
  Digest d{};
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(ctx_of(ctx_), d.data(), &len));
  check(EVP_DigestInit_ex2(ctx_of(ctx_), sha256_md(), nullptr));
  return d;
}

Digest Sha256::peek() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  if (!copy) throw std::bad_alloc();
  Digest d{};
  unsigned int len = 0;
  const int ok = EVP_MD_CTX_copy_ex(copy, ctx_of(ctx_)) && EVP_DigestFinal_ex(copy, d.data(), &len);
  EVP_MD_CTX_free(copy);
  check(ok ? 1 : 0);
  return d;
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
