// Streams through vault files and checks everything the format promises: batch framing, line
// counts, sequence, hash chain, MACs (with K_0), silence, dropped counts, the tail. Memory is
// one line plus O(1) per (src, stream), whatever the file size. Optionally writes the payload,
// de-duplicated, to a sink (--extract), re-reading each batch from its file once it is decided.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "crypto/sha256.hpp"
#include "util/files.hpp"
#include "util/result.hpp"
#include "vault/extract.hpp"
#include "vault/findings.hpp"

namespace logship::vault {

struct VerifyOptions {
  std::optional<crypto::Digest> key;                // K_0: check every MAC
  std::optional<std::chrono::seconds> max_silence;  // longest allowed time between batches
  // Beyond ten years a silence is not a limit but an overflow waiting to happen (times are
  // compared in microseconds): --max-silence and max-silence = refuse it.
  static constexpr std::uint64_t kMaxSilenceSeconds = 10ull * 365 * 24 * 3600;
  std::optional<std::uint64_t> expect_seq;  // the last complete seq must be >= this
  bool expect_start = false;                // every stream must start at seq 0
  // The files given are one stream: a batch of another (src, stream) is a finding (moved from
  // another file, or a second writer), unless files holding several streams are expected.
  bool mixed_streams = false;
  std::size_t max_line_bytes = 64 << 20;  // longer lines are a finding
  // Key evolutions the whole verification may spend beyond one per batch read: bounds what a
  // forged seq (999999999) can cost. 2^28 take about 40 s; an honest stream pays its first
  // batch's seq once (from K_0), then one per batch.
  std::uint64_t max_key_steps = std::uint64_t{1} << 28;
  // --extract also writes the complete lines of copies no MAC covers (torn, open), each run
  // between "@logship unsealed-begin ..." and "@logship unsealed-end" lines.
  bool extract_unsealed = false;
  // The verifier's clock. A batch that the end of the last file cuts and that began less than
  // kOpenBatchWindow before `now` is still being written (a live file): info, not a finding.
  // Without `now` every such batch is torn.
  std::optional<VaultTime> now;
  static constexpr std::chrono::seconds kOpenBatchWindow{120};
  // Files kept open, the newest included (0: all). A long-running watcher keeps two: bytes
  // of batches in older files are no longer recognised as late remnants (they are findings).
  std::size_t keep_files_open = 0;
  // Sealed batches remembered per stream (40 bytes each) to recognise their bytes written again
  // late by an interrupted transfer; older ones are findings. A watcher of many streams keeps
  // fewer.
  std::size_t recent_batches = 4096;
};

class Verifier {
 public:
  using Report = std::function<void(const Finding&)>;  // each finding and info, as found
  using Progress =
      std::function<void(const std::string& file, std::uint64_t done, std::uint64_t size)>;

  // `extract`: where to write the payload, or null to only verify.
  Verifier(VerifyOptions options, Report report, ByteSink* extract = nullptr);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // Verifies the next file of the stream (files in order, oldest first). Fails (ErrorKind::io)
  // when it cannot be opened or read; findings are not errors.
  Result<void> add_file(const std::filesystem::path& path);

  // Same, for an open descriptor (a regular file or a memfd) named `name` in findings.
  Result<void> add_fd(UniqueFd fd, std::string name);

  // End of input: torn batches never completed, --expect-seq, flushes the extract sink.
  Result<void> finish();

  // Counts so far (per stream and totals).
  Summary summary() const;

  // Called about every 64 MiB read, and at the end of each file.
  void on_progress(Progress progress);

  // ---- following a live file (logship-verify --follow) ----
  //
  // The live file is read as it grows: only complete lines (a line still being written waits
  // for its LF), and a batch cut by the current end stays open. Decisions are the same as
  // for a whole file, made as the lines arrive.

  // Makes fd the live file (the stream's next file), read from `start` (0: its beginning;
  // more when the bytes before are unknowable, e.g. after the file was truncated).
  Result<void> add_live(UniqueFd fd, std::string name, std::uint64_t start = 0);
  // The name findings in the live file carry from now on (it was rotated to that name).
  void rename_live(std::string name);
  // Batches completed so far (any verdict, duplicates included).
  std::uint64_t batches_completed() const;
  // Reads the complete lines appended since the last call, about `max_bytes` at most (a
  // longer backlog is read over several calls); returns the bytes read.
  Result<std::uint64_t> read_live(std::uint64_t max_bytes = UINT64_MAX);
  // The live file is finished (rotated away): its last bytes are read as a file's end is.
  Result<void> end_live();
  // Bytes of the live file read so far (the start of the first line not read yet).
  std::uint64_t live_offset() const;

  // Whether nothing is pending: no open or torn batch, no run of stray lines, no remnant being
  // skipped. Only then can state() be taken: a verifier resumed from it goes on exactly as
  // this one would, without reading anything before.
  bool settled() const;
  // Called after each line that completed a batch, when settled() (and state() is then valid).
  void on_settled(std::function<void()> callback);
  // The verifier's state: the live file's position, per stream the last batch, chain, key
  // position (with the stream's K_0: keep it as secret as the key), counts, the recent batches
  // of the live file (remnant recognition), the extractor's position. Versioned text.
  std::string state() const;
  // A verifier that goes on from state(); `live` is the file it was reading (the caller checks
  // its identity). ErrorKind::data when the state is damaged or of another version.
  static Result<std::unique_ptr<Verifier>> resume(VerifyOptions options, Report report,
                                                  ByteSink* extract, std::string_view state,
                                                  UniqueFd live, std::string name);

  // Limits how far the next add_file()/add_fd() reads (a re-verification up to where the
  // live verifier stood); the rest of that file is left out.
  void limit_next_file(std::uint64_t bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace logship::vault
