// The sender's sealing state between batches: the next sequence number, the chain value of the
// last committed batch, and the current key K_seq. Persisted by the push agent; after each
// acknowledged batch commit() evolves the key and erases the old one (forward security).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/sha256.hpp"
#include "util/result.hpp"

namespace logship::vault {

// What sealing a batch produced: the end line to send, and the values commit() needs.
struct SealedBatch {
  std::uint64_t seq = 0;
  crypto::Digest chain{};  // C_seq
  std::uint64_t lines = 0;
  std::uint64_t bytes = 0;
  std::string end_line;  // "@logship end ...\n"
};

class SealState {
 public:
  // The state of a new stream: seq 0, chain of zeros, key K_0. With `genesis` (logship-pull),
  // K_0 is stream_key(G_genesis, genesis, src, stream), and every begin line says genesis=.
  static SealState initial(const crypto::Digest& k0,
                           std::optional<std::uint64_t> genesis = std::nullopt);
  // A state at any position (a genesis key record, tests).
  static SealState at(std::uint64_t seq, const crypto::Digest& prev, const crypto::Digest& key) {
    return SealState(seq, prev, key, std::nullopt);
  }
  // Reads what persist() wrote; rejects a damaged record (bad checksum) or another version.
  static Result<SealState> restore(std::string_view text);

  SealState(SealState&& o) noexcept;
  SealState& operator=(SealState&& o) noexcept;
  SealState(const SealState&) = delete;
  SealState& operator=(const SealState&) = delete;
  ~SealState();  // wipes the key

  // One line "logship-seal v1 seq=N prev=HEX key=HEX[ genesis=J] check=HEX\n" (holds the
  // key: 0600 file).
  std::string persist() const;

  std::uint64_t seq() const { return seq_; }            // seq of the next batch
  const crypto::Digest& prev() const { return prev_; }  // chain of the last committed batch
  const crypto::Digest& key() const { return key_; }    // K_seq
  // The genesis position the stream's K_0 was derived at (FORMAT.md §5), if it was.
  std::optional<std::uint64_t> genesis() const { return genesis_; }

  // Call once the vault acknowledged `batch` (sealed from this state): seq+1, prev = its chain,
  // key = H(key), the old key wiped. Refuses a batch sealed for another seq.
  Result<void> commit(const SealedBatch& batch);

 private:
  SealState(std::uint64_t seq, const crypto::Digest& prev, const crypto::Digest& key,
            std::optional<std::uint64_t> genesis)
      : seq_(seq), prev_(prev), key_(key), genesis_(genesis) {}

  std::uint64_t seq_ = 0;
  crypto::Digest prev_{};
  crypto::Digest key_{};
  std::optional<std::uint64_t> genesis_;
};

}  // namespace logship::vault
