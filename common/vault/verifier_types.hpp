// The verifier's internal vocabulary (Verifier::Impl, verifier_impl.hpp): what it keeps per
// stream, per open or torn batch, per run of stray lines, and its limits. Not public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/sha256.hpp"
#include "vault/control_line.hpp"
#include "vault/extract.hpp"
#include "vault/findings.hpp"
#include "vault/format.hpp"
#include "vault/hashing.hpp"
#include "vault/sequence.hpp"

namespace logship::vault::detail {

constexpr std::uint64_t kProgressEvery = 64 << 20;  // bytes
// Torn copies of one batch kept for the check against the copy that completes them. An honest
// sender leaves one per interrupted attempt; more than this is not checked and is a finding.
constexpr std::size_t kMaxTornCopies = 32;
// Sealed batches of a stream remembered (where they are: 32 bytes each) so that their bytes,
// written again late by an interrupted transfer, can be recognised; and interrupted copies
// whose rest may still come.
// (VerifyOptions::recent_batches)
constexpr std::size_t kMaxContinuations = 32;
// Recent sealed batches compared with a line that may be the start of one, cut in its begin line.
constexpr std::uint64_t kLatePrefixBatches = 64;
// A batch larger than this is not extracted (it is held in memory to be extracted from the
// bytes verified): a sender's batches stay under --batch-max-bytes (64 MiB at most) plus the
// escapes and markers of its lines.
constexpr std::uint64_t kMaxExtractedBatch = std::uint64_t{256} << 20;

// A batch that began but did not end validly, kept until the next batch of its stream tells
// whether a resend completed it. O(1): hashes and offsets, never the lines.
struct TornBatch {
  std::size_t file = 0;
  std::uint64_t line = 0;  // of its begin line
  std::uint64_t seq = 0;
  std::uint64_t payload_offset = 0;  // after the begin line
  std::uint64_t complete_end = 0;    // after the last line known to be complete
  crypto::Digest begin_digest{};     // SHA-256 of the begin line
  std::uint64_t lines = 0;           // m: lines after the begin line, the cut one included
  crypto::Digest prefix{};           // batch-digest state over begin and h_1..h_{m-1}
  crypto::Digest last_hash{};        // h_m
  std::uint64_t last_len = 0;        // length of line m
  bool reported = false;             // a finding was already reported for it
  bool at_eof = false;               // the end of its file cut it
  VaultTime begin_time{};            // time= of its begin line
  std::uint64_t begin_offset = 0;    // of its begin line
  std::uint64_t cut_at = 0;          // after the last byte of the copy (its LF not counted)
  bool cut_terminated = false;       // a LF followed: the batch's own, or the resend's separator
  std::string reason;
  std::optional<Extractor::Origin> origin;  // fid= and off=, for dropping repeats
};

// Where a sealed batch is: the bytes [begin, end) of a file, its end line's LF included.
struct SealedBatch {
  std::uint64_t seq = UINT64_MAX;
  std::size_t file = 0;
  std::uint64_t line = 0;
  std::uint64_t begin = 0, end = 0;
};

// An interrupted copy of a sealed batch whose `cat` may still write the rest: the batch's
// bytes from `next` (or, when `alt`, from next + 1: the LF after the copy may be the batch's own
// or the resend's separator) would continue it.
struct Continuation {
  std::uint64_t seq = 0;
  std::uint64_t next = 0;
  bool alt = false;
  std::size_t file = 0;  // of the interrupted copy
  std::uint64_t line = 0;
};

struct StreamState {
  StreamSummary sum;
  std::optional<LastBatch> last;
  VaultTime last_time{};
  std::size_t last_file = 0;
  std::uint64_t last_line = 0;
  std::uint64_t last_begin_offset = 0;  // of the last accepted batch's begin line
  crypto::Digest last_begin_digest{};
  // Torn copies of one batch (one seq), in file order, until a copy completes it or a batch
  // of another seq shows that none will.
  std::vector<TornBatch> torn;
  std::vector<SealedBatch> recent;            // by seq % opt.recent_batches
  std::vector<Continuation> continuations;    // oldest first
  std::unique_ptr<KeySchedule> keys;          // from the stream's K_0, made at its first batch
  std::optional<std::uint64_t> keys_genesis;  // the genesis position `keys` was derived at
};

// How the batch being read compares with the stream's torn copy of the same seq.
enum class TornCheck { none, checking, match, mismatch };

struct OpenBatch {
  StreamState* stream = nullptr;
  BeginLine begin;
  std::size_t file = 0;
  std::uint64_t line = 0;
  std::uint64_t payload_offset = 0;
  crypto::Digest begin_digest{};
  std::uint64_t lines = 0;
  std::uint64_t bytes = 0;     // of unredacted lines
  std::uint64_t redacted = 0;  // redacted lines (their original length is unknown)
  bool has_pending = false;    // h of the last line, not yet fed to the batch digest
  crypto::Digest pending{};
  std::uint64_t last_offset = 0, last_len = 0, last_end = 0;
  bool last_terminated = true;
  std::uint64_t begin_offset = 0;
  std::vector<TornCheck> checks;  // against each of the stream's torn copies
};

// Consecutive lines outside any batch, reported as one finding, unless each of them is a
// proper prefix of the begin line that follows: begin lines cut by interrupted transfers.
struct StrayRun {
  static constexpr std::size_t kMaxCut = 8;  // cut begin lines remembered per run
  bool active = false;
  std::size_t file = 0;
  std::uint64_t first = 0, last = 0, count = 0;
  std::vector<std::string> cut;  // the lines, while they may all be cut begin lines
  std::string what;              // description of the first line
  bool all_cut() const { return cut.size() == count; }
};

// How a torn batch ended.
enum class Cut { by_line, before_line, at_eof };

// Remnant comparisons allowed per file (Verifier::Impl::remnant_checks): a hostile file of
// lines that look like remnants must not cost more than a moment per file.
constexpr std::uint64_t kRemnantChecks = 1 << 16;

inline std::string seq_str(std::uint64_t s) {
  return std::to_string(s);
}

}  // namespace logship::vault::detail
