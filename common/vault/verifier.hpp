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
  std::optional<std::uint64_t> expect_seq;          // the last complete seq must be >= this
  bool expect_start = false;                        // every stream must start at seq 0
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
  Status add_file(const std::filesystem::path& path);

  // Same, for an open descriptor (a regular file or a memfd) named `name` in findings.
  Status add_fd(UniqueFd fd, std::string name);

  // End of input: torn batches never completed, --expect-seq, flushes the extract sink.
  Status finish();

  // Counts so far (per stream and totals).
  Summary summary() const;

  // Called about every 64 MiB read, and at the end of each file.
  void on_progress(Progress progress);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace logship::vault
