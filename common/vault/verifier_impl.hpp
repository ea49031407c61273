// The verifier's state and steps (Verifier::Impl), shared by the verifier*.cpp files, one concern
// each (the sections below); each step is commented where it is defined. Not public API.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vault/hashing.hpp"
#include "vault/line_reader.hpp"
#include "vault/verifier.hpp"
#include "vault/verifier_types.hpp"

namespace logship::vault {

struct Verifier::Impl {
  VerifyOptions opt;
  Report report;
  ByteSink* sink;
  std::optional<Extractor> extractor;
  Progress progress;

  Summary sum;
  // Each file stays open: extraction re-reads batches once decided, and an open batch at the
  // end is compared with the batch it may be resending.
  std::vector<UniqueFd> fds;
  std::vector<std::uint64_t> sizes;  // bytes verified in each file
  // Names of fds: the files given, then any resend rebuilt without a remnant (see repair).
  std::vector<std::string> names;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<detail::StreamState>> by_name;
  std::vector<detail::StreamState*> order;
  detail::StreamState* recent_stream = nullptr;  // the stream of the last begin line looked up
  std::optional<detail::OpenBatch> open;
  detail::StrayRun stray;
  BatchHasher batch;
  crypto::Sha256 hasher;
  Result<void> extract_error;
  std::size_t file = 0;       // index of the file being read
  std::uint64_t skip_to = 0;  // bytes of the file before it are a recognised remnant
  bool redo = false;          // a repair ended before the line that triggered it: process that line
  std::uint64_t key_budget;   // key evolutions left (VerifyOptions::max_key_steps)
  std::unique_ptr<KeySchedule> genesis_keys;  // G_j from the key, for streams with genesis=

  // Where reading the current file stands (the live file keeps it between reads).
  struct Cursor {
    std::uint64_t offset = 0;   // the first byte not read
    std::uint64_t lines = 0;    // lines read
    bool in_long_line = false;  // inside a too-long line, its rest to skip
  };
  Cursor cursor;
  std::size_t live = SIZE_MAX;  // index of the live file, if one is followed
  std::optional<std::uint64_t> next_limit;
  std::function<void()> settled_callback;
  std::uint64_t completions = 0;  // batches completed (any verdict): a settled point may follow
  // Bytes all repairs of a run may rebuild and hash: a hostile file of failing resends must
  // not cost more than a few seconds; past it, failures stay findings.
  std::uint64_t repair_budget = std::uint64_t{1} << 30;
  // Comparisons with sealed batches left for recognising late remnants in the current file.
  std::uint64_t remnant_checks = detail::kRemnantChecks;
  std::string cmp_a, cmp_b;  // common_prefix's buffers
  // In the live file, [no_lf_from, no_lf_to) holds no LF (a line still being written).
  std::uint64_t no_lf_from = UINT64_MAX, no_lf_to = 0;

  Impl(VerifyOptions o, Report r, ByteSink* s)
      : opt(std::move(o)), report(std::move(r)), sink(s), key_budget(opt.max_key_steps) {
    if (sink) extractor.emplace(*sink, opt.max_line_bytes);
  }

  // ---- findings, extraction, streams; reading a file line by line (verifier.cpp) ----
  const std::string& name(std::size_t f) const;
  std::string where(std::size_t f, std::uint64_t line) const;
  void emit(std::size_t f, std::uint64_t line, FindingKind kind, std::string msg);
  void extract(std::size_t f, std::uint64_t begin, std::uint64_t end,
               const std::optional<Extractor::Origin>& origin);
  detail::StreamState* known_stream(const BeginLine& b);
  detail::StreamState& stream_of(const BeginLine& b, const Line& l);
  void process(const Line& line);
  void dispatch(const Line& l);
  bool is_settled() const;
  Result<void> read_lines(std::uint64_t end, bool final);
  void release_old_files();
  Result<void> add(UniqueFd fd, std::string file_name);
  // ---- lines outside a batch (verifier_stray.cpp) ----
  void stray_add(const Line& l, std::string what);
  void stray_flush(const std::string_view* next_begin, detail::StreamState* next_stream,
                   std::uint64_t next_seq = 0);
  void stray_end_of_file();
  void outside(const Line& l, LineKind kind);
  // ---- late remnants of sealed batches (verifier_remnant.cpp) ----
  Result<std::uint64_t> common_prefix(std::size_t fa, std::uint64_t a, std::uint64_t a_end,
                                      std::size_t fb, std::uint64_t b, std::uint64_t b_end);
  std::uint64_t remnant_end(std::uint64_t start, std::uint64_t pos);
  bool begin_or_end_at(std::uint64_t pos);
  std::uint64_t empty_lines_before(std::uint64_t pos);
  const detail::SealedBatch* sealed(const detail::StreamState& s, std::uint64_t seq) const;
  std::uint64_t remnant_at(std::uint64_t start, const detail::SealedBatch& b, std::uint64_t from);
  void skip_remnant(detail::StreamState& s, const Line& l, std::uint64_t start, std::uint64_t n,
                    std::string what);
  bool late_copy(const Line& l, const BeginLine& b);
  bool late_prefix(const Line& l);
  void remember_continuation(detail::StreamState& s, detail::Continuation c);
  bool continues_interrupted(const Line& l);
  // ---- a remnant inside the resend (verifier_resend.cpp) ----
  std::uint64_t verifies_as_batch(detail::StreamState& s, std::string_view bytes);
  std::optional<std::uint64_t> verifies_without(detail::StreamState& s, std::string_view reg,
                                                std::size_t q, std::size_t n, const Line& l,
                                                std::uint64_t c0, std::string& rebuilt);
  void after_repair(std::uint64_t end, const Line& l);
  bool repaired(const Line& l);
  bool repair_resend(const Line& l);
  void replay_rebuilt(const detail::OpenBatch& failed, const std::string& rebuilt, std::size_t q,
                      std::size_t n, const Line& at, const std::string& what);
  // ---- batches: begin, lines, end, keys and MAC, extraction (verifier_batch.cpp) ----
  void start_batch(const Line& l, BeginLine b);
  void add_payload(const Line& l, LineKind kind);
  void end_batch(const Line& l);
  bool spend_key_steps(std::uint64_t steps);
  Result<KeySchedule*> keys_for(detail::StreamState& s, const BeginLine& b);
  bool check_mac(detail::StreamState& s, const detail::OpenBatch& o, const EndLine& e,
                 const std::string& batch_name);
  void complete(detail::OpenBatch& o, const EndLine& e, const crypto::Digest& chain,
                std::uint64_t end_offset, std::uint64_t after);
  void extract_sealed(const detail::OpenBatch& o, const EndLine& e, const crypto::Digest& chain,
                      std::uint64_t end_offset, const std::optional<Extractor::Origin>& origin);
  // ---- torn copies and open batches (verifier_torn.cpp) ----
  detail::TornCheck compare_cut_line(const detail::TornBatch& t, const crypto::Digest& state,
                                     std::string_view bytes, const crypto::Digest& h);
  void compare_torn(std::string_view bytes, const crypto::Digest& h);
  void tear(detail::Cut cut, const Line* line, std::string reason, bool reported,
            bool at_eof = false);
  bool still_open(const detail::TornBatch& t) const;
  void extract_unsealed(const detail::TornBatch& t, std::string_view what);
  std::string unsealed_lines(const detail::TornBatch& t) const;
  Result<bool> prefix_of_last(const detail::StreamState& s, const detail::TornBatch& t);
  void resolve_never_completed(detail::StreamState& s, bool at_end = false);
  // ---- the live file (verifier_live.cpp) ----
  Result<std::uint64_t> complete_lines_end(std::uint64_t size);
  Result<std::uint64_t> first_line_end(std::uint64_t from, std::uint64_t limit);
  // ---- the state of a verifier that follows a live file (verifier_state.cpp) ----
  std::string state() const;
  Result<void> load_state(std::string_view text, UniqueFd live_fd, std::string live_name);
};

}  // namespace logship::vault
