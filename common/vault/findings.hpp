// What logship-verify reports: findings (the file is not as the sender wrote it, or something
// was lost) and infos (tolerated events such as an interrupted transfer), and the counts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vault/control_line.hpp"
#include "vault/format.hpp"

namespace logship::vault {

enum class FindingKind {
  torn_batch,          // a begin without a valid end, never completed by a resend
  torn_mismatch,       // a torn copy that is not a prefix of the batch that completed it
  bad_end_line,        // an end line whose seq/lines/bytes do not match its batch
  sequence_gap,        // batches missing between two sequence numbers
  sequence_repeat,     // the same seq again with different content
  sequence_backwards,  // a seq lower than one already seen
  chain_break,    // prev= is not the previous chain value, or chain= is not what the lines hash to
  mac_failure,    // the MAC does not verify with K_seq derived from --key
  mac_unchecked,  // K_seq is too many evolutions away from the last derived key
  silence,        // more than --max-silence between two consecutive batches
  dropped,        // the sender dropped input lines (spool full)
  tail_short,     // the last complete seq is below --expect-seq
  head_missing,   // with --expect-start: a stream's first batch is not seq 0
  stream_mixed,   // a second (src, stream) among files given as one stream
  stray_line,     // lines outside any batch (other than empty separator lines)
  line_too_long,  // a line longer than the reader's limit
  // found by logship-verify --follow, which watches the files:
  file_shrunk,    // a followed file got shorter (truncated): verified bytes are gone
  file_replaced,  // a followed file was deleted, or replaced by another one that is not rotation
  rescan_failed,  // a re-verification from the start could not read a file of the stream
  // infos (not findings):
  interrupted_transfer,  // a torn copy completed by a resend of the same batch
  transfer_remnant,      // bytes of a sealed batch written again late by an interrupted `cat`
  mid_stream_start,      // the first batch of a stream has seq > 0 (earlier files not given)
  open_batch,            // the last file ends inside a batch: a live file, its end line to come
  silence_ended,         // (--follow) a stream that was silent too long spoke again
  file_rotated,          // (--follow) the followed file was rotated: the next one is followed
};

// True for the kinds that are informational only.
constexpr bool is_info(FindingKind k) {
  return k == FindingKind::interrupted_transfer || k == FindingKind::transfer_remnant ||
         k == FindingKind::mid_stream_start || k == FindingKind::open_batch ||
         k == FindingKind::silence_ended || k == FindingKind::file_rotated;
}

// Stable name, e.g. "torn-batch" (text output, --json).
std::string_view to_string(FindingKind kind);

struct Finding {
  std::string file;
  std::uint64_t line = 0;
  FindingKind kind{};
  std::string message;
};

// "FILE:LINE: kind: message" (infos: "FILE:LINE: info: kind: message").
std::string format_finding(const Finding& f);

// Per (src, stream) counts.
struct StreamSummary {
  std::string src, stream;  // decoded
  bool has_batches = false;
  std::uint64_t first_seq = 0, last_seq = 0;
  VaultTime first_time{}, last_time{};
  std::uint64_t batches = 0;        // distinct complete batches (duplicates not counted)
  std::uint64_t heartbeats = 0;     // of those, batches without payload
  std::uint64_t duplicates = 0;     // identical resends
  std::uint64_t interrupted = 0;    // torn copies completed by a resend
  std::uint64_t remnants = 0;       // runs of a sealed batch's bytes written late (skipped)
  std::uint64_t dropped = 0;        // sum of dropped=
  std::uint64_t redacted = 0;       // redacted payload lines
  std::uint64_t payload_lines = 0;  // payload vault lines in distinct complete batches
  std::vector<Field> last_extra;    // extra begin-line fields of the last accepted batch
};

struct Summary {
  std::vector<std::string> files;
  std::uint64_t lines_read = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t findings = 0;
  std::uint64_t infos = 0;
  std::vector<StreamSummary> streams;  // in order of first appearance
  bool ok() const { return findings == 0; }
};

}  // namespace logship::vault
