#include "vault/seal.hpp"

#include "vault/control_line.hpp"
#include "vault/format.hpp"
#include "vault/hashing.hpp"

namespace logship::vault {

namespace {

constexpr std::string_view kSealTag = "logship-seal v1 ";

// The first 16 hex digits of SHA-256 over the record before " check=".
std::string checksum(std::string_view body) {
  return crypto::to_hex(crypto::sha256(body)).substr(0, 16);
}

Error damaged(std::string_view why) {
  return make_error(ErrorKind::data, "seal state record is damaged: " + std::string(why));
}

}  // namespace

SealState SealState::initial(const crypto::Digest& k0, std::optional<std::uint64_t> genesis) {
  return SealState(0, crypto::Digest{}, k0, genesis);
}

SealState::SealState(SealState&& o) noexcept
    : seq_(o.seq_), prev_(o.prev_), key_(o.key_), genesis_(o.genesis_) {
  crypto::wipe(o.key_);
}

SealState& SealState::operator=(SealState&& o) noexcept {
  if (this != &o) {
    seq_ = o.seq_;
    prev_ = o.prev_;
    genesis_ = o.genesis_;
    crypto::wipe(key_);
    key_ = o.key_;
    crypto::wipe(o.key_);
  }
  return *this;
}

SealState::~SealState() {
  crypto::wipe(key_);
}

std::string SealState::persist() const {
  std::string body(kSealTag);
  body += "seq=" + std::to_string(seq_) + " prev=" + crypto::to_hex(prev_) +
          " key=" + crypto::to_hex(key_);
  if (genesis_) body += " genesis=" + std::to_string(*genesis_);
  return body + " check=" + checksum(body) + "\n";
}

Result<SealState> SealState::restore(std::string_view text) {
  if (text.ends_with('\n')) text.remove_suffix(1);
  if (!text.starts_with(kSealTag)) return damaged("it does not start with 'logship-seal v1'");
  const auto at = text.rfind(" check=");
  if (at == std::string_view::npos || text.substr(at + 7) != checksum(text.substr(0, at)))
    return damaged("checksum mismatch");
  auto body = text.substr(kSealTag.size(), at - kSealTag.size());
  // seq=N prev=HEX key=HEX
  const auto p = body.find(" prev="), k = body.find(" key=");
  if (!body.starts_with("seq=") || p == std::string_view::npos || k == std::string_view::npos ||
      k < p)
    return damaged("fields missing");
  auto seq = parse_decimal(body.substr(4, p - 4));
  auto prev = parse_hex64(body.substr(p + 6, k - p - 6));
  auto rest = body.substr(k + 5);  // HEX[ genesis=J]
  std::optional<std::uint64_t> genesis;
  if (const auto g = rest.find(" genesis="); g != std::string_view::npos) {
    genesis = parse_decimal(rest.substr(g + 9));
    if (!genesis) return damaged("bad genesis value");
    rest = rest.substr(0, g);
  }
  auto key = parse_hex64(rest);
  if (!seq || !prev || !key) return damaged("bad field value");
  SealState s(*seq, *prev, *key, genesis);
  crypto::wipe(*key);
  return s;
}

Result<void> SealState::commit(const SealedBatch& batch) {
  if (batch.seq != seq_)
    return make_error(ErrorKind::data, "commit of batch seq " + std::to_string(batch.seq) +
                                           " but the seal state is at seq " + std::to_string(seq_));
  auto next = next_key(key_);
  crypto::wipe(key_);
  key_ = next;
  crypto::wipe(next);
  prev_ = batch.chain;
  ++seq_;
  return {};
}

}  // namespace logship::vault
