#include "vault/hashing.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <string>

namespace logship::vault {

namespace {

EVP_MD_CTX* ctx_of(void* p) {
  return static_cast<EVP_MD_CTX*>(p);
}

void check(int rc) {
  if (rc != 1) throw std::runtime_error("OpenSSL SHA-256 failure");
}

// Fetched once: implicit fetching on every init is what makes EVP slow per line.
const EVP_MD* sha256_md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!m) throw std::runtime_error("OpenSSL: SHA256 unavailable");
    return m;
  }();
  return md;
}

}  // namespace

Hasher::Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw std::bad_alloc();
  check(EVP_DigestInit_ex2(ctx_of(ctx_), sha256_md(), nullptr));
}

Hasher::~Hasher() {
  EVP_MD_CTX_free(ctx_of(ctx_));  // null after a move: a no-op
}

Hasher& Hasher::operator=(Hasher&& o) noexcept {
  if (this != &o) {
    EVP_MD_CTX_free(ctx_of(ctx_));
    ctx_ = o.ctx_;
    o.ctx_ = nullptr;
  }
  return *this;
}

void Hasher::update(std::string_view bytes) {
  check(EVP_DigestUpdate(ctx_of(ctx_), bytes.data(), bytes.size()));
}

crypto::Digest Hasher::finish() {
  crypto::Digest d{};
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(ctx_of(ctx_), d.data(), &len));
  check(EVP_DigestInit_ex2(ctx_of(ctx_), sha256_md(), nullptr));
  return d;
}

crypto::Digest Hasher::peek() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  if (!copy) throw std::bad_alloc();
  crypto::Digest d{};
  unsigned int len = 0;
  const int ok = EVP_MD_CTX_copy_ex(copy, ctx_of(ctx_)) && EVP_DigestFinal_ex(copy, d.data(), &len);
  EVP_MD_CTX_free(copy);
  check(ok ? 1 : 0);
  return d;
}

crypto::Digest Hasher::digest(std::string_view bytes) {
  update(bytes);
  return finish();
}

crypto::Digest line_hash(Hasher& hasher, std::string_view line, LineKind kind) {
  if (kind == LineKind::redacted) {
    // classify() checked the 64 lower-case hex digits
    return *crypto::digest_from_hex(line.substr(kRedactedPrefix.size()));
  }
  return hasher.digest(line);
}

void BatchHasher::start(std::string_view begin_line) {
  (void)h_.finish();  // discard anything left from an abandoned batch
  h_.update(kBatchDomain);
  h_.update(begin_line);
  h_.update(std::string_view("\0", 1));
}

crypto::Digest BatchHasher::finish(std::uint64_t lines, std::uint64_t bytes) {
  h_.update(std::to_string(lines));
  h_.update(std::string_view("\0", 1));
  h_.update(std::to_string(bytes));
  return h_.finish();
}

crypto::Digest chain_next(const crypto::Digest& prev, const crypto::Digest& batch_digest) {
  Hasher h;
  h.update(kChainDomain);
  h.update(crypto::Sha256::as_view(prev));
  h.update(crypto::Sha256::as_view(batch_digest));
  return h.finish();
}

crypto::Digest batch_mac(const crypto::Digest& key, const crypto::Digest& chain) {
  std::string message(kMacDomain);
  message += crypto::Sha256::as_view(chain);
  return crypto::hmac_sha256(key, message);
}

crypto::Digest next_key(const crypto::Digest& key) {
  Hasher h;
  h.update(kKeyDomain);
  h.update(crypto::Sha256::as_view(key));
  return h.finish();
}

KeySchedule::~KeySchedule() {
  crypto::wipe(k0_);
  crypto::wipe(key_);
}

std::optional<crypto::Digest> KeySchedule::key_for(std::uint64_t seq, std::uint64_t max_steps) {
  if (seq < seq_) {  // going back: start again from K_0 (only anomalous files do this)
    key_ = k0_;
    seq_ = 0;
  }
  if (seq - seq_ > max_steps) return std::nullopt;
  if (seq != seq_) {
    Hasher h;
    for (; seq_ < seq; ++seq_) {
      h.update(kKeyDomain);
      h.update(crypto::Sha256::as_view(key_));
      auto next = h.finish();
      crypto::wipe(key_);
      key_ = next;
      crypto::wipe(next);
    }
  }
  return key_;
}

}  // namespace logship::vault
