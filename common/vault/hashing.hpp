// Vault format v1, the hashes: line hashes h_i, batch digest D, chain C, MAC, key evolution.
// Every hash input starts with a NUL-terminated domain string, so no two uses can collide.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "crypto/sha256.hpp"
#include "vault/format.hpp"

namespace logship::vault {

inline constexpr std::string_view kBatchDomain{"logship-v1 batch\0", 17};
inline constexpr std::string_view kChainDomain{"logship-v1 chain\0", 17};
inline constexpr std::string_view kMacDomain{"logship-v1 mac\0", 15};
inline constexpr std::string_view kKeyDomain{"logship-v1 key\0", 15};
inline constexpr std::string_view kGenesisDomain{"logship-v1 genesis\0", 19};
inline constexpr std::string_view kStreamDomain{"logship-v1 stream\0", 18};

// h_i of one payload vault line: SHA-256 of its bytes, or for a redacted line the hash it
// carries.
crypto::Digest line_hash(crypto::Sha256& hasher, std::string_view line, LineKind kind);

// D = SHA-256("logship-v1 batch\0" || begin || "\0" || h_1 || ... || h_L || L || "\0" || B).
class BatchHasher {
 public:
  void start(std::string_view begin_line);  // begin line without '\n'
  void add(const crypto::Digest& line_hash) { h_.update(crypto::Sha256::as_view(line_hash)); }
  // add() for line hashes laid end to end (32 bytes each), in one update.
  void add_all(std::string_view line_hashes) { h_.update(line_hashes); }
  crypto::Digest peek() const { return h_.peek(); }  // state over begin and h_1.. so far
  crypto::Digest finish(std::uint64_t lines, std::uint64_t bytes);

 private:
  crypto::Sha256 h_;
};

// C_n = SHA-256("logship-v1 chain\0" || prev || D).
crypto::Digest chain_next(const crypto::Digest& prev, const crypto::Digest& batch_digest);

// MAC_n = HMAC-SHA-256(K_n, "logship-v1 mac\0" || C_n).
crypto::Digest batch_mac(const crypto::Digest& key, const crypto::Digest& chain);

// K_{n+1} = SHA-256("logship-v1 key\0" || K_n).
crypto::Digest next_key(const crypto::Digest& key);

// G_{j+1} = SHA-256("logship-v1 genesis\0" || G_j): the evolving key from which the streams of
// one logship-pull state start (G_0 is the verification key).
crypto::Digest next_genesis(const crypto::Digest& g);

// K_0 of the stream (src, stream) started at genesis position j:
// HMAC-SHA-256(G_j, "logship-v1 stream\0" || dec(j) || "\0" || src || "\0" || stream).
crypto::Digest stream_key(const crypto::Digest& g_j, std::uint64_t j, std::string_view src,
                          std::string_view stream);

// The verifier's side of key evolution: K_seq derived from K_0 and the batch's position only,
// never from anything in the file. Keeps the last key derived, so walking forward is O(1) per
// batch, and K_i for every multiple i of kCheckpointEvery passed, so going back costs at most
// kCheckpointEvery evolutions: a file's own seq numbers cannot make it re-derive from K_0.
class KeySchedule {
 public:
  static constexpr std::uint64_t kCheckpointEvery = 1 << 12;

  // `domain`: kKeyDomain for K_n, kGenesisDomain for G_j.
  explicit KeySchedule(const crypto::Digest& k0, std::string_view domain = kKeyDomain)
      : domain_(domain), key_(k0) {
    checkpoints_.emplace(0, k0);
  }
  ~KeySchedule();
  KeySchedule(const KeySchedule&) = delete;
  KeySchedule& operator=(const KeySchedule&) = delete;

  // Evolutions key_for(seq) would take.
  std::uint64_t steps_to(std::uint64_t seq) const;

  // K_seq; nullopt when reaching it would take more than `max_steps` evolutions.
  std::optional<crypto::Digest> key_for(std::uint64_t seq, std::uint64_t max_steps);

  // What a resumed verifier needs to go on where this one is (logship-verify --follow's
  // checkpoint): K_0, the farthest checkpoint K_cp, and the last key derived.
  struct Position {
    crypto::Digest k0{}, cp_key{}, key{};
    std::uint64_t cp = 0, seq = 0;  // cp: a multiple of kCheckpointEvery, at most seq
  };
  Position position() const;
  // A schedule at `p`: K_0, K_cp and K_seq known; keys between are derived again when asked for.
  KeySchedule(const Position& p, std::string_view domain);

 private:
  std::string_view domain_;
  std::map<std::uint64_t, crypto::Digest> checkpoints_;  // i -> K_{iE}: K_0, K_E, ... as derived
  crypto::Digest key_;                                   // K_seq_
  std::uint64_t seq_ = 0;
};

}  // namespace logship::vault
