#include "vault/sequence.hpp"

namespace logship::vault {

SeqVerdict classify_seq(const std::optional<LastBatch>& last, std::uint64_t seq,
                        const crypto::Digest& chain) {
  if (!last) return SeqVerdict::first;
  if (seq == last->seq) return chain == last->chain ? SeqVerdict::duplicate : SeqVerdict::conflict;
  if (seq < last->seq) return SeqVerdict::backwards;
  return seq == last->seq + 1 ? SeqVerdict::next : SeqVerdict::gap;
}

std::string_view to_string(SeqVerdict v) {
  switch (v) {
    case SeqVerdict::first:
      return "first";
    case SeqVerdict::next:
      return "next";
    case SeqVerdict::duplicate:
      return "duplicate";
    case SeqVerdict::conflict:
      return "conflict";
    case SeqVerdict::gap:
      return "gap";
    case SeqVerdict::backwards:
      return "backwards";
  }
  return "unknown";
}

}  // namespace logship::vault
