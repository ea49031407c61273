#include "vault/hashing.hpp"

#include <algorithm>
#include <string>

namespace logship::vault {

crypto::Digest line_hash(crypto::Sha256& hasher, std::string_view line, LineKind kind) {
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
  crypto::Sha256 h;
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
  crypto::Sha256 h;
  h.update(kKeyDomain);
  h.update(crypto::Sha256::as_view(key));
  return h.finish();
}

crypto::Digest next_genesis(const crypto::Digest& g) {
  crypto::Sha256 h;
  h.update(kGenesisDomain);
  h.update(crypto::Sha256::as_view(g));
  return h.finish();
}

crypto::Digest stream_key(const crypto::Digest& g_j, std::uint64_t j, std::string_view src,
                          std::string_view stream) {
  std::string message(kStreamDomain);
  message += std::to_string(j);
  message += '\0';
  message += src;
  message += '\0';
  message += stream;
  return crypto::hmac_sha256(g_j, message);
}

KeySchedule::~KeySchedule() {
  for (auto& [i, k] : checkpoints_) crypto::wipe(k);
  crypto::wipe(key_);
}

KeySchedule::KeySchedule(const Position& p, std::string_view domain)
    : domain_(domain), key_(p.key), seq_(p.seq) {
  checkpoints_.emplace(0, p.k0);
  if (p.cp > 0) checkpoints_.emplace(p.cp / kCheckpointEvery, p.cp_key);
}

KeySchedule::Position KeySchedule::position() const {
  Position p;
  p.k0 = checkpoints_.begin()->second;
  const auto& [i, k] = *checkpoints_.rbegin();
  p.cp = i * kCheckpointEvery;
  p.cp_key = k;
  p.key = key_;
  p.seq = seq_;
  return p;
}

namespace {

// The nearest known checkpoint at or below `seq`: (position, key).
template <typename Map>
auto checkpoint_below(const Map& checkpoints, std::uint64_t seq) {
  auto it = checkpoints.upper_bound(seq / KeySchedule::kCheckpointEvery);
  --it;  // (K_0 is always there)
  return it;
}

}  // namespace

std::uint64_t KeySchedule::steps_to(std::uint64_t seq) const {
  if (seq >= seq_ && seq - seq_ < kCheckpointEvery) return seq - seq_;
  const auto below = checkpoint_below(checkpoints_, seq)->first;
  const auto from = std::max(below * kCheckpointEvery, seq >= seq_ ? seq_ : 0);
  return seq - from;
}

std::optional<crypto::Digest> KeySchedule::key_for(std::uint64_t seq, std::uint64_t max_steps) {
  if (steps_to(seq) > max_steps) return std::nullopt;
  const auto it = checkpoint_below(checkpoints_, seq);
  if (seq < seq_ || it->first * kCheckpointEvery > seq_) {  // start from the nearest checkpoint
    crypto::wipe(key_);
    key_ = it->second;
    seq_ = it->first * kCheckpointEvery;
  }
  crypto::Sha256 h;
  for (; seq_ < seq; ++seq_) {
    h.update(domain_);
    h.update(crypto::Sha256::as_view(key_));
    auto next = h.finish();
    crypto::wipe(key_);
    key_ = next;
    crypto::wipe(next);
    if ((seq_ + 1) % kCheckpointEvery == 0)
      checkpoints_.emplace((seq_ + 1) / kCheckpointEvery, key_);
  }
  return key_;
}

}  // namespace logship::vault
