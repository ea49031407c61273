// The pure decision of what a complete batch's sequence number means relative to the last one
// accepted for its stream (table-tested).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "crypto/sha256.hpp"

namespace logship::vault {

// What the verifier last accepted for a stream.
struct LastBatch {
  std::uint64_t seq = 0;
  crypto::Digest chain{};
};

enum class SeqVerdict {
  first,      // no earlier batch of this stream: accept (seq > 0: verification starts mid-stream)
  next,       // seq == last + 1: accept, prev must equal last chain
  duplicate,  // seq == last and same chain: an identical resend, tolerated, skipped
  conflict,   // seq == last but another chain: different content under one seq
  gap,        // seq > last + 1: batches missing; accept
  backwards,  // seq < last
};

// Classifies a batch's (seq, stated chain) against the stream's last accepted batch.
SeqVerdict classify_seq(const std::optional<LastBatch>& last, std::uint64_t seq,
                        const crypto::Digest& chain);

// True when the batch becomes the stream's new last batch.
constexpr bool accepted(SeqVerdict v) {
  return v == SeqVerdict::first || v == SeqVerdict::next || v == SeqVerdict::gap;
}

std::string_view to_string(SeqVerdict v);

}  // namespace logship::vault
