#include "vault/verifier.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "util/crc32c.hpp"
#include "vault/control_line.hpp"
#include "vault/hashing.hpp"
#include "vault/line_reader.hpp"
#include "vault/report.hpp"
#include "vault/sequence.hpp"

namespace logship::vault {

namespace {

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

std::string seq_str(std::uint64_t s) {
  return std::to_string(s);
}

}  // namespace

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
  std::map<std::pair<std::string, std::string>, std::unique_ptr<StreamState>> by_name;
  std::vector<StreamState*> order;
  StreamState* recent_stream = nullptr;  // the stream of the last begin line looked up
  std::optional<OpenBatch> open;
  StrayRun stray;
  BatchHasher batch;
  crypto::Sha256 hasher;
  Status extract_error;
  std::size_t file = 0;  // index of the file being read
  std::uint64_t skip_to = 0;
  bool redo = false;  // a repair ended before the line that triggered it: process that line  //
                      // bytes of the file before it are a recognised remnant
  std::uint64_t key_budget;                   // key evolutions left (VerifyOptions::max_key_steps)
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

  Impl(VerifyOptions o, Report r, ByteSink* s)
      : opt(std::move(o)), report(std::move(r)), sink(s), key_budget(opt.max_key_steps) {
    if (sink) extractor.emplace(*sink, opt.max_line_bytes);
  }

  const std::string& name(std::size_t f) const { return names[f]; }
  std::string where(std::size_t f, std::uint64_t line) const {
    return name(f) + ":" + std::to_string(line);
  }

  void emit(std::size_t f, std::uint64_t line, FindingKind kind, std::string msg) {
    ++(is_info(kind) ? sum.infos : sum.findings);
    if (report) report(Finding{name(f), line, kind, printable(msg)});
  }

  void extract(std::size_t f, std::uint64_t begin, std::uint64_t end,
               const std::optional<Extractor::Origin>& origin) {
    if (!extractor || !extract_error || begin >= end) return;
    extract_error = extractor->range(fds[f].get(), begin, end, origin);
  }

  // The stream of a begin line, if seen before (the last one used first: files usually hold one).
  StreamState* known_stream(const BeginLine& b) {
    if (recent_stream && recent_stream->sum.src == b.src && recent_stream->sum.stream == b.stream)
      return recent_stream;
    const auto it = by_name.find({b.src, b.stream});
    if (it == by_name.end()) return nullptr;
    return recent_stream = it->second.get();
  }

  StreamState& stream_of(const BeginLine& b, const Line& l) {
    if (StreamState* s = known_stream(b)) return *s;
    auto& slot = by_name[{b.src, b.stream}];
    if (!slot) {
      if (!order.empty() && !opt.mixed_streams)
        emit(file, l.number, FindingKind::stream_mixed,
             "a batch of stream src=" + percent_encode(b.src) +
                 " stream=" + percent_encode(b.stream) +
                 " among the batches of src=" + percent_encode(order.front()->sum.src) +
                 " stream=" + percent_encode(order.front()->sum.stream) +
                 ": moved from another file, or a second writer on this one (--mixed-streams "
                 "verifies files that hold several streams)");
      slot = std::make_unique<StreamState>();
      slot->sum.src = b.src;
      slot->sum.stream = b.stream;
      order.push_back(slot.get());
    }
    return *slot;
  }

  // ---- lines outside a batch ----

  void stray_add(const Line& l, std::string what) {
    if (stray.active && stray.file != file) stray_flush(nullptr, nullptr);
    if (!stray.active) stray = StrayRun{true, file, l.number, l.number, 0, {}, std::move(what)};
    const bool all_cut_so_far = stray.all_cut();
    ++stray.count;
    stray.last = l.number;
    if (all_cut_so_far && stray.cut.size() <= StrayRun::kMaxCut &&
        l.bytes.size() <= kMaxControlLine && !l.too_long &&
        kBeginPrefix.starts_with(l.bytes.substr(0, std::min(l.bytes.size(), kBeginPrefix.size()))))
      stray.cut.emplace_back(l.bytes);
    else
      stray.cut.clear();
  }

  // Ends the current run of stray lines. `next_begin`: the begin line that ends it, if any.
  void stray_flush(const std::string_view* next_begin, StreamState* next_stream,
                   std::uint64_t next_seq = 0) {
    if (!stray.active) return;
    stray.active = false;
    bool all_cut = next_begin && stray.all_cut() && stray.count <= StrayRun::kMaxCut;
    for (std::size_t i = 0; all_cut && i < stray.cut.size(); ++i)
      all_cut = stray.cut[i].size() < next_begin->size() && next_begin->starts_with(stray.cut[i]);
    if (all_cut) {
      next_stream->sum.interrupted += stray.count;
      for (const auto& cut : stray.cut)  // their `cat`s may still write the rest
        remember_continuation(*next_stream, {next_seq, cut.size(), true, stray.file, stray.first});
      emit(stray.file, stray.first, FindingKind::interrupted_transfer,
           std::to_string(stray.count) +
               " begin line(s) cut by interrupted transfers, resent on the next line");
      return;
    }
    std::string msg = stray.count == 1 ? "1 line outside any batch"
                                       : std::to_string(stray.count) + " lines outside any batch" +
                                             " (lines " + std::to_string(stray.first) + "-" +
                                             std::to_string(stray.last) + ")";
    if (!stray.what.empty()) msg += "; first: " + stray.what;
    emit(stray.file, stray.first, FindingKind::stray_line, msg);
  }

  // At the end of a file: a run of cut begin lines waits for the next file's first begin.
  void stray_end_of_file() {
    if (stray.active && !(stray.all_cut() && stray.count <= StrayRun::kMaxCut))
      stray_flush(nullptr, nullptr);
  }

  void outside(const Line& l, LineKind kind) {
    if (l.bytes.empty()) return;  // separator before a resend
    if (kind != LineKind::begin && (continues_interrupted(l) || late_prefix(l))) return;
    switch (kind) {
      case LineKind::begin: {
        auto b = parse_begin(l.bytes);
        if (b && late_copy(l, *b)) return;
        if (b) return start_batch(l, std::move(*b));
        if (continues_interrupted(l) || late_prefix(l)) return;
        return stray_add(l, "bad begin line: " + b.error().message);
      }
      case LineKind::end:
        return stray_add(l, "end line without a begin line");
      case LineKind::malformed:
        return stray_add(l, "unknown control line");
      case LineKind::part:
      case LineKind::redacted:
        return stray_add(l, "payload marker outside a batch");
      default:
        return stray_add(l, {});
    }
  }

  // ---- remnants: bytes of a sealed batch written again, late, by an interrupted transfer ----
  //
  // A `cat >> FILE` whose session the sender dropped may still hold bytes of its batch (in its
  // pipe, or stopped) and append them after the resend sealed the batch: the rest of its torn
  // copy, or, if it had written nothing yet, a prefix of the batch or all of it. Such a run
  // starts where a line starts, is byte for byte what the sealed batch holds at that place,
  // and ends at the end of the batch, at a line end, at the end of the file, or where a begin
  // line follows (the next writer appended after it). Every byte skipped this way equals a byte
  // already verified, so skipping hides nothing; anything else stays a finding.

  // Length of the common prefix of [a, a_end) of file fa and [b, b_end) of file fb.
  Result<std::uint64_t> common_prefix(std::size_t fa, std::uint64_t a, std::uint64_t a_end,
                                      std::size_t fb, std::uint64_t b, std::uint64_t b_end) {
    // (chunks from 256 bytes, doubling: most candidates differ in their first bytes)
    constexpr std::size_t kChunk = 64 << 10;
    if (cmp_a.size() < kChunk) cmp_a.resize(kChunk), cmp_b.resize(kChunk);
    std::string& x = cmp_a;
    std::string& y = cmp_b;
    std::uint64_t same = 0;
    for (std::size_t chunk = 256; a + same < a_end && b + same < b_end;
         chunk = std::min(kChunk, chunk * 2)) {
      const auto want = static_cast<std::size_t>(
          std::min<std::uint64_t>({chunk, a_end - a - same, b_end - b - same}));
      const auto rx = ::pread(fds[fa].get(), x.data(), want, static_cast<off_t>(a + same));
      const auto ry = ::pread(fds[fb].get(), y.data(), want, static_cast<off_t>(b + same));
      if (rx < 0 || ry < 0) return make_error(ErrorKind::io, errno_message("read", name(fa)));
      const auto n = static_cast<std::size_t>(std::min(rx, ry));
      std::size_t k = 0;
      while (k < n && x[k] == y[k]) ++k;
      same += k;
      if (k < want) return same;
    }
    return same;
  }

  // Where, at or before `pos` (and after `start`), a run of remnant bytes from `start` of the
  // file being read may end: at the end of the file, after a LF, or where a begin line follows;
  // 0 if nowhere. What follows the run may by chance go on like the batch for a few bytes (the
  // next writer's "@logship begin ", or the LF before a resend), so the run is also tried that
  // much shorter.
  std::uint64_t remnant_end(std::uint64_t start, std::uint64_t pos) {
    if (pos >= sizes[file]) return pos;
    constexpr std::uint64_t kBack = kBeginPrefix.size() + 1;
    const auto lo = std::max(start + 1, pos > kBack ? pos - kBack : 0);
    char buf[2 * kBack + kBeginPrefix.size()];
    const auto got = ::pread(fds[file].get(), buf, sizeof buf, static_cast<off_t>(lo - 1));
    if (got <= 0) return 0;
    const std::string_view w(buf, static_cast<std::size_t>(got));  // from lo - 1
    for (auto y = pos; y >= lo; --y) {
      const auto i = static_cast<std::size_t>(y - lo);  // w[i] is the byte before y
      if (i < w.size() && w[i] == '\n') return y;
      if (i + 1 < w.size() && w.substr(i + 1).starts_with(kBeginPrefix)) return y;
    }
    return 0;
  }

  // Whether the file being read ends at `pos` or has a begin line there (after at most one LF).
  bool begin_or_end_at(std::uint64_t pos) {
    if (pos >= sizes[file]) return true;
    char buf[kBeginPrefix.size() + 1];
    const auto got = ::pread(fds[file].get(), buf, sizeof buf, static_cast<off_t>(pos));
    if (got <= 0) return false;
    std::string_view w(buf, static_cast<std::size_t>(got));
    if (w == "\n" && pos + 1 == sizes[file]) return true;
    if (w.starts_with('\n')) w.remove_prefix(1);
    return w.starts_with(kBeginPrefix);
  }

  // Empty lines directly before offset `pos` of the file being read (at most 64 counted).
  std::uint64_t empty_lines_before(std::uint64_t pos) {
    char buf[65];
    const auto want = std::min<std::uint64_t>(pos, sizeof buf);
    const auto got = ::pread(fds[file].get(), buf, want, static_cast<off_t>(pos - want));
    if (got != static_cast<ssize_t>(want)) return 0;
    std::uint64_t lfs = 0;
    while (lfs < want && buf[want - 1 - lfs] == '\n') ++lfs;
    return lfs == want && pos == want ? lfs : lfs > 0 ? lfs - 1 : 0;  // (one ends the line before)
  }

  const SealedBatch* sealed(const StreamState& s, std::uint64_t seq) const {
    if (s.recent.empty() || s.recent[seq % s.recent.size()].seq != seq) return nullptr;
    return &s.recent[seq % s.recent.size()];
  }

  // The bytes of batch b from `from` match the file from line l on, for a remnant's length: 0
  // if they do not.
  std::uint64_t remnant_at(std::uint64_t start, const SealedBatch& b, std::uint64_t from) {
    // A hostile file of lines that look like remnants must not cost the verifier more than a
    // moment per file: past the budget, they are findings (an honest file uses a handful).
    if (remnant_checks == 0) return 0;
    --remnant_checks;
    const auto same = common_prefix(file, start, sizes[file], b.file, b.begin + from, b.end);
    if (!same) {
      if (extract_error) extract_error = same.error();
      return 0;
    }
    const auto n = *same;
    if (n == 0) return 0;
    if (from + n == b.end - b.begin) return n;  // all the rest of the batch
    const auto end = remnant_end(start, start + n);
    return end == 0 ? 0 : end - start;
  }

  // The run [start, start + n) of the file, reported at line l.
  void skip_remnant(StreamState& s, const Line& l, std::uint64_t start, std::uint64_t n,
                    std::string what) {
    ++s.sum.remnants;
    skip_to = start + n;
    emit(file, l.number, FindingKind::transfer_remnant,
         std::to_string(n) + " bytes: " + what +
             ", written late by an interrupted transfer; identical to the sealed bytes, skipped");
  }

  // A copy of an already sealed batch, from its begin line: all of it (a late copy of an older
  // batch; one of the last batch is an identical resend, counted as such) or a prefix.
  bool late_copy(const Line& l, const BeginLine& b) {
    StreamState* known = known_stream(b);
    if (!known || !known->last || b.seq > known->last->seq) return false;
    StreamState& s = *known;
    const SealedBatch* sb = sealed(s, b.seq);
    if (!sb) return false;
    const auto n = remnant_at(l.offset, *sb, 0);
    const auto size = sb->end - sb->begin;
    // (all of the begin line at least, its LF too unless the file ends there)
    if (n < l.bytes.size() + (l.terminated ? 1 : 0) || (n == size && b.seq == s.last->seq))
      return false;
    // A cut copy is a remnant only where the next writer took over (a begin line, perhaps after
    // a resend's LF) or the file ends: the same begin line with other lines after it is
    // another batch under the same seq (sequence-repeat, or a torn copy that is not a prefix).
    if (n < size && !begin_or_end_at(l.offset + n)) return false;
    // At the end of a live file, a prefix of the last batch is its resend being written.
    if (n < size && b.seq == s.last->seq && l.offset + n == sizes[file] && opt.now &&
        *opt.now - b.time < VerifyOptions::kOpenBatchWindow &&
        b.time - *opt.now < VerifyOptions::kOpenBatchWindow)
      return false;
    const std::string batch_name =
        "batch seq " + seq_str(b.seq) + " (sealed at " + where(sb->file, sb->line) + ")";
    if (n == size) {
      ++s.sum.duplicates;
      skip_remnant(s, l, l.offset, n, "a complete copy of " + batch_name);
    } else {
      skip_remnant(s, l, l.offset, n,
                   "the first " + std::to_string(n) + " of the " + std::to_string(size) +
                       " bytes of " + batch_name);
      remember_continuation(s, {b.seq, n, false, file, l.number});
    }
    return true;
  }

  // The first bytes of a recent sealed batch, cut before the end of its begin line (which of
  // several batches whose begin lines share those bytes does not matter: the bytes are the same).
  bool late_prefix(const Line& l) {
    if (l.bytes.empty() || l.bytes[0] != kBeginPrefix[0]) return false;
    StreamState* best_stream = nullptr;
    const SealedBatch* best = nullptr;
    std::uint64_t most = 0;
    for (StreamState* s : order) {
      if (!s->last) continue;
      for (std::uint64_t k = 0; k < kLatePrefixBatches && k <= s->last->seq; ++k) {
        const SealedBatch* sb = sealed(*s, s->last->seq - k);
        if (!sb) continue;
        const auto n = remnant_at(l.offset, *sb, 0);
        if (n > most) most = n, best = sb, best_stream = s;
      }
    }
    if (most == 0) return false;
    skip_remnant(*best_stream, l, l.offset, most,
                 "the first " + std::to_string(most) + " bytes of batch seq " + seq_str(best->seq) +
                     " (sealed at " + where(best->file, best->line) + ")");
    if (most < best->end - best->begin)
      remember_continuation(*best_stream, {best->seq, most, false, file, l.number});
    return true;
  }

  void remember_continuation(StreamState& s, Continuation c) {
    if (s.continuations.size() == kMaxContinuations) s.continuations.erase(s.continuations.begin());
    s.continuations.push_back(c);
  }

  // The rest (or the next part of the rest) of an interrupted copy of a sealed batch.
  // The run may begin with empty lines (the batch's own LFs), which were passed over before l.
  bool continues_interrupted(const Line& l) {
    bool any = false;
    for (StreamState* s : order) any = any || !s->continuations.empty();
    if (!any) return false;
    const auto empties = empty_lines_before(l.offset);
    for (StreamState* s : order) {
      for (auto c = s->continuations.rbegin(); c != s->continuations.rend(); ++c) {
        const SealedBatch* sb = sealed(*s, c->seq);
        if (!sb) continue;
        const auto size = sb->end - sb->begin;
        for (const auto from : {c->next, c->next + 1}) {
          if (from > c->next && !c->alt) break;
          if (from >= size) continue;
          std::uint64_t start = 0, n = 0;
          for (auto j = empties + 1; j-- > 0 && n == 0;) {
            start = l.offset - j;
            n = remnant_at(start, *sb, from);
            if (n <= j) n = 0;  // (only LFs: nothing to skip)
          }
          if (n == 0) continue;
          skip_remnant(*s, l, start, n,
                       "bytes " + std::to_string(from) + "-" + std::to_string(from + n) + " of " +
                           std::to_string(size) + " of batch seq " + seq_str(c->seq) +
                           " (sealed at " + where(sb->file, sb->line) +
                           "), the rest of its copy interrupted at " + where(c->file, c->line));
          c->next = from + n;
          c->alt = false;
          if (c->next == size) s->continuations.erase(std::next(c).base());
          return true;
        }
      }
    }
    return false;
  }

  // ---- a remnant inside the resend ----
  //
  // The interrupted copy's `cat` may append its rest while the resend's `cat` is still writing:
  // between two of its writes, at any byte. The resend then fails (its counts, or its end line
  // cut). If cutting out one run that repeats, byte for byte, the resend's own bytes from where
  // the interrupted copy was cut leaves a batch that verifies (counts, chain, and with the key
  // its MAC), that batch is sealed and the run is a transfer remnant: it repeats bytes the
  // batch holds, so nothing is hidden. The rebuilt batch is verified and extracted from a copy
  // in memory (a memfd, kept like a file).

  static constexpr std::size_t kMaxRepairBytes = 8 << 20;  // of the resend and what follows
  static constexpr std::size_t kRepairNeedle = 8;          // bytes a remnant must start with
  static constexpr int kRepairPlaces = 32;                 // places tried per torn copy
  // Bytes all repairs of a run may rebuild and hash: a hostile file of failing resends must
  // not cost more than a few seconds; past it, failures stay findings.
  std::uint64_t repair_budget = std::uint64_t{1} << 30;
  // Comparisons with sealed batches left for recognising late remnants in the current file.
  static constexpr std::uint64_t kRemnantChecks = 1 << 16;
  std::uint64_t remnant_checks = kRemnantChecks;
  std::string cmp_a, cmp_b;  // common_prefix's buffers
  // In the live file, [no_lf_from, no_lf_to) holds no LF (a line still being written).
  std::uint64_t no_lf_from = UINT64_MAX, no_lf_to = 0;

  // The length of the batch `bytes` starts with (its end line's LF included) if it verifies as
  // one of stream s: counts, chain, and with the key its MAC; 0 otherwise.
  std::uint64_t verifies_as_batch(StreamState& s, std::string_view bytes) {
    auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) return 0;
    auto b = parse_begin(bytes.substr(0, nl));
    if (!b) return 0;
    BatchHasher h;
    h.start(bytes.substr(0, nl));
    std::uint64_t lines = 0, payload = 0, redacted = 0;
    for (std::size_t at = nl + 1;;) {
      nl = bytes.find('\n', at);
      if (nl == std::string_view::npos || nl - at > opt.max_line_bytes) return 0;
      const auto line = bytes.substr(at, nl - at);
      at = nl + 1;
      const auto kind = classify(line);
      if (kind == LineKind::begin || kind == LineKind::malformed) return 0;
      if (kind != LineKind::end) {
        h.add(line_hash(hasher, line, kind));
        ++lines;
        if (kind == LineKind::redacted)
          ++redacted;
        else
          payload += line.size() + 1;
        continue;
      }
      auto e = parse_end(line);
      if (!e || e->seq != b->seq || e->lines != lines) return 0;
      if (redacted == 0 ? e->bytes != payload : e->bytes < payload + redacted) return 0;
      if (chain_next(b->prev, h.finish(lines, e->bytes)) != e->chain) return 0;
      if (opt.key) {
        auto keys = keys_for(s, *b);
        if (!keys) return 0;
        const auto steps = (*keys)->steps_to(b->seq);
        auto key = spend_key_steps(steps) ? (*keys)->key_for(b->seq, steps) : std::nullopt;
        if (!key) return 0;
        const bool ok = batch_mac(*key, e->chain) == e->mac;
        crypto::wipe(*key);
        if (!ok) return 0;
      }
      return at;
    }
  }

  // The lines between the end of a rebuilt copy (`end`, from c0) and the line l where the copy
  // failed were read as the copy's and will not be read again: a repair stands only if they
  // are empty lines (separators), so that nothing after the batch escapes verification.
  static bool only_separators_after(std::string_view reg, std::uint64_t end, const Line& l,
                                    std::uint64_t c0) {
    if (l.offset <= c0 + end) return true;
    const auto upto = l.offset - c0;
    if (upto > reg.size()) return false;
    return reg.substr(end, upto - end).find_first_not_of('\n') == std::string_view::npos;
  }

  // The rebuilt batch ends at `end` of the file. The failing line l, when it starts there or
  // after (past separators), was not the batch's: it is read again as a line of its own.
  void after_repair(std::uint64_t end, const Line& l) {
    skip_to = end;
    if (end <= l.offset) {
      skip_to = 0;
      redo = true;
    }
  }

  // repair_resend() for line l; false when no repair was made. A line that is not the
  // batch's after all is then processed outside any batch.
  bool repaired(const Line& l) {
    if (!repair_resend(l)) return false;
    if (redo) {
      redo = false;
      outside(l, classify(l.bytes));
    }
    return true;
  }

  // The open batch failed at line l. Is it a resend with the rest of an interrupted copy of
  // itself inside? Then it is sealed without that run and true is returned.
  bool repair_resend(const Line& l) {
    OpenBatch& o = *open;
    StreamState& s = *o.stream;
    bool continuations = false;
    for (const StreamState* st : order) continuations = continuations || !st->continuations.empty();
    if ((s.torn.empty() && !continuations) || o.file != file || l.offset < o.begin_offset)
      return false;
    const auto c0 = o.begin_offset;
    // The resend's end line is the failing line or, when the run cut it, follows it closely.
    const auto span = std::min<std::uint64_t>(
        {sizes[file] - c0, l.end() - c0 + kMaxControlLine + 1, kMaxRepairBytes});
    if (span > repair_budget) return false;
    std::string region(static_cast<std::size_t>(span), '\0');
    const auto got = ::pread(fds[file].get(), region.data(), region.size(), static_cast<off_t>(c0));
    if (got <= 0) return false;
    region.resize(static_cast<std::size_t>(got));
    const std::string_view reg(region);
    for (const TornBatch& t : s.torn) {
      if (t.begin_digest != o.begin_digest) continue;
      const auto cut = t.cut_at - t.begin_offset;
      for (const auto a : {cut, cut + 1}) {
        if (a > cut && !t.cut_terminated) break;
        if (a + kRepairNeedle > reg.size()) continue;
        const auto needle = reg.substr(static_cast<std::size_t>(a), kRepairNeedle);
        auto q = static_cast<std::size_t>(a) + 1;
        for (int tries = 0; tries < kRepairPlaces; ++tries, ++q) {
          q = reg.find(needle, q);
          if (q == std::string_view::npos) break;
          // The run at q repeats the batch from a (the bytes at a, before q, are the resend's).
          std::size_t most = 0;
          const auto cap = q - static_cast<std::size_t>(a);
          while (most < cap && q + most < reg.size() && reg[q + most] == reg[a + most]) ++most;
          for (std::size_t n = most; n >= 1 && n + kRepairNeedle + 1 > most; --n) {
            if (n < kRepairNeedle) break;
            if (reg.size() > repair_budget) return false;
            repair_budget -= reg.size();
            std::string rebuilt(reg.substr(0, q));
            rebuilt += reg.substr(q + n);
            const auto len = verifies_as_batch(s, rebuilt);
            if (len == 0 || len <= q || !only_separators_after(reg, len + n, l, c0)) continue;
            replay_rebuilt(o, rebuilt.substr(0, static_cast<std::size_t>(len)), q, n, l,
                           "bytes " + std::to_string(a) + "-" + std::to_string(a + n) +
                               " of that batch again, the rest of its copy interrupted at " +
                               where(t.file, t.line) +
                               ", written by that transfer between two writes of the resend");
            after_repair(c0 + len + n, l);
            return true;
          }
        }
      }
    }
    // The rest of an interrupted copy of an earlier, sealed batch, written inside this copy.
    const auto begin_end = reg.find('\n');
    if (begin_end == std::string_view::npos) return false;
    for (StreamState* st : order) {
      for (auto c = st->continuations.rbegin(); c != st->continuations.rend(); ++c) {
        const SealedBatch* sb = sealed(*st, c->seq);
        if (!sb) continue;
        const auto size = sb->end - sb->begin;
        for (const auto from : {c->next, c->next + 1}) {
          if (from > c->next && !c->alt) break;
          if (from + kRepairNeedle > size) continue;
          char needle_buf[kRepairNeedle];
          if (::pread(fds[sb->file].get(), needle_buf, sizeof needle_buf,
                      static_cast<off_t>(sb->begin + from)) != static_cast<ssize_t>(kRepairNeedle))
            continue;
          const std::string_view needle(needle_buf, sizeof needle_buf);
          auto q = begin_end + 1;
          for (int tries = 0; tries < kRepairPlaces; ++tries, ++q) {
            q = reg.find(needle, q);
            if (q == std::string_view::npos) break;
            const auto same =
                common_prefix(file, c0 + q, c0 + reg.size(), sb->file, sb->begin + from, sb->end);
            if (!same) return false;
            const auto most = static_cast<std::size_t>(*same);
            for (std::size_t n = most; n >= kRepairNeedle && n + kRepairNeedle + 1 > most; --n) {
              if (reg.size() > repair_budget) return false;
              repair_budget -= reg.size();
              std::string rebuilt(reg.substr(0, q));
              rebuilt += reg.substr(q + n);
              const auto len = verifies_as_batch(s, rebuilt);
              if (len == 0 || len <= q || !only_separators_after(reg, len + n, l, c0)) continue;
              const auto what =
                  "bytes " + std::to_string(from) + "-" + std::to_string(from + n) +
                  " of batch seq " + seq_str(c->seq) + " (sealed at " + where(sb->file, sb->line) +
                  "), the rest of its copy interrupted at " + where(c->file, c->line) +
                  ", written late by that transfer between two writes of this copy";
              c->next = from + n;
              c->alt = false;
              if (c->next == size) st->continuations.erase(std::next(c).base());
              replay_rebuilt(o, rebuilt.substr(0, static_cast<std::size_t>(len)), q, n, l, what);
              after_repair(c0 + len + n, l);
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  // Verifies and extracts the rebuilt resend as its batch, from a memfd.
  void replay_rebuilt(const OpenBatch& failed, const std::string& rebuilt, std::size_t q,
                      std::size_t n, const Line& at, const std::string& what) {
    const auto where_failed = where(file, failed.line);
    const auto begin_line = failed.line;
    const auto real_file = file;
    const auto c0 = failed.begin_offset;
    StreamState& s = *failed.stream;
    open.reset();
    UniqueFd fd(::memfd_create("logship-rebuilt-resend", MFD_CLOEXEC));
    bool written = fd.valid();
    for (std::size_t off = 0; written && off < rebuilt.size();) {
      const auto w = ::write(fd.get(), rebuilt.data() + off, rebuilt.size() - off);
      written = w > 0;
      if (written) off += static_cast<std::size_t>(w);
    }
    if (!written) {
      if (extract_error)
        extract_error = make_error(ErrorKind::io, errno_message("memfd", name(file)));
      return;
    }
    ++s.sum.remnants;
    emit(file, at.number, FindingKind::transfer_remnant,
         std::to_string(n) + " bytes at offset " + std::to_string(c0 + q) + " inside the copy at " +
             where_failed + ": " + what + "; cut out, the copy verifies without them");
    file = fds.size();
    fds.push_back(std::move(fd));
    sizes.push_back(rebuilt.size());
    names.push_back(name(real_file));
    LineReader reader(fds[file].get(), opt.max_line_bytes, 0, rebuilt.size());
    Line l;
    for (std::uint64_t k = 0;; ++k) {
      auto more = reader.next(l);
      if (!more || !*more) break;
      l.number = begin_line + k;
      if (k == 0) {
        auto b = parse_begin(l.bytes);
        if (!b) break;
        start_batch(l, std::move(*b));
      } else {
        dispatch(l);
      }
      if (!open) break;
    }
    open.reset();
    // A long-running verifier does not keep the rebuilt copy: what refers to it is forgotten.
    if (opt.keep_files_open > 0) {
      const auto rebuilt_file = fds.size() - 1;
      for (StreamState* st : order) {
        for (SealedBatch& b : st->recent)
          if (b.file == rebuilt_file) b.seq = UINT64_MAX;
        std::erase_if(st->continuations,
                      [&](const Continuation& c) { return c.file == rebuilt_file; });
      }
      fds[rebuilt_file].reset();
    }
    file = real_file;
  }

  // ---- batches ----

  void start_batch(const Line& l, BeginLine b) {
    StreamState& s = stream_of(b, l);
    const std::string_view begin_text = l.bytes;
    stray_flush(&begin_text, &s, b.seq);
    if (!s.torn.empty() && s.torn.front().seq != b.seq) resolve_never_completed(s);
    OpenBatch o;
    o.stream = &s;
    o.begin = std::move(b);
    o.file = file;
    o.line = l.number;
    o.begin_offset = l.offset;
    o.payload_offset = l.end();
    o.begin_digest = hasher.digest(l.bytes);
    for (const TornBatch& t : s.torn)
      o.checks.push_back(t.begin_digest != o.begin_digest ? TornCheck::mismatch
                         : t.lines == 0                   ? TornCheck::match
                                                          : TornCheck::checking);
    batch.start(l.bytes);
    open = std::move(o);
  }

  // Whether line number t.lines of another copy of t's batch (`bytes`, its hash `h`, `state`
  // the batch-digest state over the lines before it) continues t: the same lines before it
  // and t's cut last line a byte prefix of it.
  TornCheck compare_cut_line(const TornBatch& t, const crypto::Digest& state,
                             std::string_view bytes, const crypto::Digest& h) {
    bool ok = state == t.prefix;
    if (ok && t.last_len == bytes.size())
      ok = h == t.last_hash;
    else if (ok)
      ok = t.last_len < bytes.size() && hasher.digest(bytes.substr(0, t.last_len)) == t.last_hash;
    return ok ? TornCheck::match : TornCheck::mismatch;
  }

  // Checks, against every torn copy that was cut at this line, the open batch's line number
  // o.lines + 1 (the batch digest holds the lines before it).
  void compare_torn(std::string_view bytes, const crypto::Digest& h) {
    OpenBatch& o = *open;
    for (std::size_t i = 0; i < o.checks.size(); ++i)
      if (o.checks[i] == TornCheck::checking && o.stream->torn[i].lines == o.lines + 1)
        o.checks[i] = compare_cut_line(o.stream->torn[i], batch.peek(), bytes, h);
  }

  void add_payload(const Line& l, LineKind kind) {
    OpenBatch& o = *open;
    const auto h = line_hash(hasher, l.bytes, kind);
    if (o.has_pending) batch.add(o.pending);
    if (!o.checks.empty()) compare_torn(l.bytes, h);
    o.pending = h;
    o.has_pending = true;
    ++o.lines;
    if (kind == LineKind::redacted)
      ++o.redacted;
    else
      o.bytes += l.bytes.size() + 1;
    o.last_offset = l.offset;
    o.last_len = l.bytes.size();
    o.last_end = l.end();
    o.last_terminated = l.terminated;
  }

  // The open batch did not end validly: keep it as the stream's torn batch.
  // `at_eof`: the end of the last bytes read cut it (with Cut::by_line: a line without LF,
  // e.g. an end line being written).
  void tear(Cut cut, const Line* line, std::string reason, bool reported, bool at_eof = false) {
    OpenBatch& o = *open;
    TornBatch t;
    t.file = o.file;
    t.line = o.line;
    t.seq = o.begin.seq;
    t.payload_offset = o.payload_offset;
    t.begin_digest = o.begin_digest;
    t.reason = std::move(reason);
    t.reported = reported;
    t.at_eof = cut == Cut::at_eof || at_eof;
    t.begin_time = o.begin.time;
    t.begin_offset = o.begin_offset;
    t.origin = Extractor::origin_of(o.begin);
    if (cut == Cut::by_line) {  // the line that broke the batch is its cut last line
      if (o.has_pending) batch.add(o.pending);
      t.prefix = batch.peek();
      t.last_hash = hasher.digest(line->bytes);
      t.last_len = line->bytes.size();
      t.lines = o.lines + 1;
      t.complete_end = line->offset;
      t.cut_at = line->offset + line->bytes.size();
      t.cut_terminated = line->terminated;
    } else if (o.lines == 0) {
      t.complete_end = o.payload_offset;
      t.cut_at = o.payload_offset - 1;  // (after the begin line, its LF read)
      t.cut_terminated = true;
    } else {  // the last line read is the one the interruption cut
      t.prefix = batch.peek();
      t.last_hash = o.pending;
      t.last_len = o.last_len;
      t.lines = o.lines;
      t.complete_end = cut == Cut::at_eof && o.last_terminated ? o.last_end : o.last_offset;
      t.cut_at = o.last_offset + o.last_len;
      t.cut_terminated = o.last_terminated;
    }
    StreamState& s = *o.stream;
    open.reset();
    if (!s.torn.empty() && s.torn.front().seq != t.seq) resolve_never_completed(s);
    if (s.torn.size() == kMaxTornCopies) {
      if (!t.reported)
        emit(t.file, t.line, FindingKind::torn_batch,
             "batch seq " + seq_str(t.seq) + " has no valid end (" + t.reason + ") and " +
                 std::to_string(kMaxTornCopies) +
                 " torn copies of it precede: this one is not checked");
      extract_unsealed(t, "a torn copy, not checked");
      return;
    }
    s.torn.push_back(std::move(t));
  }

  // A batch that the end of the last file cut, begun shortly before now, may still be open:
  // the sender streams it and its end line is yet to come. Anything older is torn.
  bool still_open(const TornBatch& t) const {
    if (!opt.now || !t.at_eof || t.reported || t.file + 1 != sum.files.size()) return false;
    const auto age = *opt.now - t.begin_time;
    return age < VerifyOptions::kOpenBatchWindow && age > -VerifyOptions::kOpenBatchWindow;
  }

  // The complete lines of a copy that no MAC covers: left out of the extract unless asked
  // for, then between marker lines.
  void extract_unsealed(const TornBatch& t, std::string_view what) {
    if (!extractor || !opt.extract_unsealed || t.complete_end <= t.payload_offset) return;
    if (!extract_error) return;
    extract_error = extractor->marker("unsealed-begin " + where(t.file, t.line) +
                                      " seq=" + seq_str(t.seq) + " " + std::string(what));
    extract(t.file, t.payload_offset, t.complete_end, t.origin);
    if (extract_error) extract_error = extractor->marker("unsealed-end");
  }

  std::string unsealed_lines(const TornBatch& t) const {
    if (t.complete_end <= t.payload_offset) return "";
    return opt.extract_unsealed ? "; its complete lines are extracted, marked unsealed"
                                : "; its complete lines are not extracted (unsealed: see "
                                  "--extract-unsealed)";
  }

  // Whether torn copy t is a prefix of the stream's last accepted batch (the batch being
  // resent): that batch is read again from its file.
  Result<bool> prefix_of_last(const StreamState& s, const TornBatch& t) {
    if (!s.last || s.last->seq != t.seq || s.last_begin_digest != t.begin_digest) return false;
    if (t.lines == 0) return true;
    if (!fds[s.last_file].valid()) return false;  // (a file before a resumed state: closed)
    LineReader reader(fds[s.last_file].get(), opt.max_line_bytes, s.last_begin_offset,
                      sizes[s.last_file]);
    BatchHasher copy;
    crypto::Digest pending{};
    Line l;
    for (std::uint64_t n = 0;; ++n) {  // n: payload lines read
      auto more = reader.next(l);
      if (!more) return make_error(ErrorKind::io, name(s.last_file) + ": " + more.error().message);
      if (!*more || l.too_long) return false;
      if (n == 0) {
        copy.start(l.bytes);
        continue;
      }
      if (n > 1) copy.add(pending);
      const auto kind = classify(l.bytes);
      pending = kind == LineKind::end ? hasher.digest(l.bytes) : line_hash(hasher, l.bytes, kind);
      if (n == t.lines)
        return compare_cut_line(t, copy.peek(), l.bytes, pending) == TornCheck::match;
      if (kind == LineKind::end) return false;
    }
  }

  // No copy completed the stream's torn batch. `at_end`: nothing follows in any file.
  void resolve_never_completed(StreamState& s, bool at_end = false) {
    std::vector<TornBatch> copies = std::move(s.torn);
    s.torn.clear();
    const TornBatch& last = copies.back();
    const std::string batch_name = "batch seq " + seq_str(last.seq);
    // Still being written: the next batch of the stream, or the resend of the last one.
    std::string open_as;
    bool not_the_resend = false;  // open at seq last, but not a prefix of that batch
    if (at_end && still_open(last)) {
      if (!s.last || last.seq == s.last->seq + 1) {
        open_as = "the next batch";
      } else if (last.seq == s.last->seq) {
        auto prefix = prefix_of_last(s, last);
        if (!prefix && extract_error) extract_error = prefix.error();
        if (prefix && *prefix) open_as = "a resend of the last batch";
        not_the_resend = prefix && !*prefix;
      }
    }
    const std::size_t n = copies.size();
    for (std::size_t i = 0; i < n; ++i) {
      const TornBatch& t = copies[i];
      const std::string copy =
          n == 1 ? "" : " (copy " + std::to_string(i + 1) + " of " + std::to_string(n) + ")";
      if (!open_as.empty() && i + 1 == n) {
        emit(t.file, t.line, FindingKind::open_batch,
             batch_name + copy + " is still open at the end of the file (" + open_as + ", " +
                 std::to_string(t.lines) + " lines so far, not sealed yet, begun " +
                 format_time(t.begin_time) + "): the sender is writing it; verify again later" +
                 unsealed_lines(t));
      } else if (!open_as.empty()) {
        ++s.sum.interrupted;
        emit(t.file, t.line, FindingKind::interrupted_transfer,
             batch_name + copy + " cut by an interrupted transfer (" + t.reason +
                 "); the copy at " + where(last.file, last.line) +
                 " is still open: the check that this one is its prefix waits for its end" +
                 unsealed_lines(t));
      } else if (not_the_resend && i + 1 == n && !t.reported) {
        emit(t.file, t.line, FindingKind::torn_mismatch,
             "unsealed copy of " + batch_name + " at the end of the file (" + t.reason +
                 ") is not a prefix of that batch at " + where(s.last_file, s.last_line) +
                 unsealed_lines(t));
      } else if (!t.reported) {
        std::string why = "no resend completed it";
        if (at_end && still_open(t) && s.last)
          why = "it is still open but an open batch can only be seq " + seq_str(s.last->seq + 1) +
                " or a prefix of the resend of seq " + seq_str(s.last->seq);
        emit(t.file, t.line, FindingKind::torn_batch,
             batch_name + copy + " has no valid end (" + t.reason + ") and " + why +
                 unsealed_lines(t));
      }
      extract_unsealed(t, i + 1 == n && !open_as.empty() ? "open batch" : "torn copy");
    }
  }

  void end_batch(const Line& l) {
    auto e = parse_end(l.bytes);
    if (!e) {
      if (repaired(l)) return;
      return tear(Cut::by_line, &l, "bad end line: " + e.error().message, false, !l.terminated);
    }
    OpenBatch& o = *open;
    if (o.has_pending) batch.add(o.pending);
    o.has_pending = false;
    if (!o.checks.empty()) {
      compare_torn(l.bytes, hasher.digest(l.bytes));
      for (auto& c : o.checks)  // longer than this copy, or cut after its end line
        if (c == TornCheck::checking) c = TornCheck::mismatch;
    }
    const bool bytes_ok = o.redacted == 0 ? e->bytes == o.bytes : e->bytes >= o.bytes + o.redacted;
    if ((e->seq != o.begin.seq || e->lines != o.lines || !bytes_ok) && repaired(l)) return;
    if (e->seq != o.begin.seq || e->lines != o.lines || !bytes_ok) {
      emit(o.file, l.number, FindingKind::bad_end_line,
           "end line says seq=" + seq_str(e->seq) + " lines=" + std::to_string(e->lines) +
               " bytes=" + std::to_string(e->bytes) + " but the batch begun at line " +
               std::to_string(o.line) + " has seq=" + seq_str(o.begin.seq) + ", " +
               std::to_string(o.lines) + " lines, " + std::to_string(o.bytes) + " bytes" +
               (o.redacted ? " plus " + std::to_string(o.redacted) + " redacted lines" : ""));
      return tear(Cut::by_line, &l, "end line counts do not match", true);
    }
    const auto chain = chain_next(o.begin.prev, batch.finish(o.lines, e->bytes));
    OpenBatch done = std::move(o);
    open.reset();
    complete(done, *e, chain, l.offset, l.end());
  }

  // Charges `steps` key evolutions to the run's budget; false when it cannot pay them.
  bool spend_key_steps(std::uint64_t steps) {
    if (steps > key_budget) return false;
    key_budget -= steps;
    return true;
  }

  // The key schedule of the stream a batch belongs to: from K_0 itself, or, for a batch whose
  // begin line says genesis=J (logship-pull), from stream_key(G_J, J, src, stream), G_J derived
  // from the key. The batch's own field selects J: the MAC covers it, and keys of different
  // (J, src, stream) are independent, so a batch moved to another stream or start fails. An
  // error names why no key can be made.
  Result<KeySchedule*> keys_for(StreamState& s, const BeginLine& b) {
    std::optional<std::uint64_t> genesis;
    for (const auto& f : b.extra) {
      if (f.key != kGenesisField) continue;
      genesis = parse_decimal(f.value);
      if (!genesis) return make_error(ErrorKind::data, "genesis= is not a decimal number");
    }
    if (s.keys && s.keys_genesis == genesis) return s.keys.get();
    if (!genesis) {
      s.keys = std::make_unique<KeySchedule>(*opt.key);
    } else {
      if (!genesis_keys) genesis_keys = std::make_unique<KeySchedule>(*opt.key, kGenesisDomain);
      const auto steps = genesis_keys->steps_to(*genesis);
      if (!spend_key_steps(steps))
        return make_error(ErrorKind::data,
                          "deriving G_" + seq_str(*genesis) + " takes " + std::to_string(steps) +
                              " evolutions, more than the " + std::to_string(key_budget) +
                              " left of --max-key-steps");
      auto g = *genesis_keys->key_for(*genesis, steps);
      auto k0 = stream_key(g, *genesis, b.src, b.stream);
      s.keys = std::make_unique<KeySchedule>(k0);
      crypto::wipe(g);
      crypto::wipe(k0);
    }
    s.keys_genesis = genesis;
    return s.keys.get();
  }

  // True when the MAC verified.
  bool check_mac(StreamState& s, const OpenBatch& o, const EndLine& e,
                 const std::string& batch_name) {
    const auto seq = o.begin.seq;
    key_budget += std::min<std::uint64_t>(2, UINT64_MAX - key_budget);  // earned per batch
    auto keys = keys_for(s, o.begin);
    if (!keys) {
      emit(o.file, o.line, FindingKind::mac_unchecked,
           batch_name + ": " + keys.error().message +
               "; MAC not checked (a forged begin line, or an honest stream older than that: "
               "raise --max-key-steps)");
      return false;
    }
    const auto steps = (*keys)->steps_to(seq);
    auto key = spend_key_steps(steps) ? (*keys)->key_for(seq, steps) : std::nullopt;
    if (!key)
      emit(o.file, o.line, FindingKind::mac_unchecked,
           batch_name + ": deriving K_" + seq_str(seq) + " takes " + std::to_string(steps) +
               " key evolutions, more than the " + std::to_string(key_budget) +
               " left of --max-key-steps; MAC not checked (a forged seq, or an honest "
               "stream older than that: raise --max-key-steps)");
    else if (batch_mac(*key, e.chain) != e.mac)
      emit(o.file, o.line, FindingKind::mac_failure,
           batch_name + ": MAC does not verify with K_" + seq_str(seq) + " derived from the key" +
               (s.keys_genesis ? " and genesis=" + seq_str(*s.keys_genesis) : std::string()) +
               " (forged, moved from another stream, or sealed with another key)");
    const bool ok = key && batch_mac(*key, e.chain) == e.mac;
    if (key) crypto::wipe(*key);
    return ok;
  }

  // `end_offset`: of the end line; `after`: after it (its LF included).
  void complete(OpenBatch& o, const EndLine& e, const crypto::Digest& chain,
                std::uint64_t end_offset, std::uint64_t after) {
    ++completions;
    StreamState& s = *o.stream;
    const auto seq = o.begin.seq;
    const std::string batch_name = "batch seq " + seq_str(seq);
    // (taken before o.begin.extra is moved below)
    const auto origin = Extractor::origin_of(o.begin);
    // Every torn copy (same seq: start_batch resolved any other) must be a prefix of this one.
    std::vector<TornBatch> copies = std::move(s.torn);
    s.torn.clear();
    for (std::size_t i = 0; i < copies.size(); ++i) {
      const TornBatch& t = copies[i];
      if (o.checks[i] == TornCheck::match) {
        if (!t.reported) {
          ++s.sum.interrupted;
          emit(t.file, t.line, FindingKind::interrupted_transfer,
               batch_name + " cut by an interrupted transfer (" + t.reason +
                   "), completed by the resend at " + where(o.file, o.line));
        }
        // Its `cat` may not be done: what it still held can reach the file later.
        if (s.continuations.size() == kMaxContinuations)
          s.continuations.erase(s.continuations.begin());
        s.continuations.push_back(
            {seq, t.cut_at - t.begin_offset, t.cut_terminated, t.file, t.line});
        continue;
      }
      if (!t.reported)
        emit(t.file, t.line, FindingKind::torn_mismatch,
             "torn copy of " + batch_name + " (" + t.reason +
                 ") is not a prefix of the completed copy at " + where(o.file, o.line) +
                 unsealed_lines(t));
      extract_unsealed(t, "torn copy, not a prefix of the sealed batch");
    }
    // Only a batch whose lines hash to its chain and whose MAC verifies is extracted.
    bool sealed = chain == e.chain;
    if (chain != e.chain)
      emit(o.file, o.line, FindingKind::chain_break,
           batch_name + ": its lines hash to chain " + crypto::to_hex(chain) +
               " but the end line states " + crypto::to_hex(e.chain) +
               " (a line was altered, inserted or deleted, or the begin line changed)");
    if (opt.key && !check_mac(s, o, e, batch_name)) sealed = false;
    const auto verdict = classify_seq(s.last, seq, e.chain);
    switch (verdict) {
      case SeqVerdict::first:
        if (seq == 0 && o.begin.prev != crypto::Digest{})
          emit(o.file, o.line, FindingKind::chain_break, "seq 0 must have prev=0...0");
        if (seq > 0)
          emit(o.file, o.line,
               opt.expect_start ? FindingKind::head_missing : FindingKind::mid_stream_start,
               "stream src=" + percent_encode(s.sum.src) +
                   " stream=" + percent_encode(s.sum.stream) + " starts at seq " + seq_str(seq) +
                   (opt.expect_start ? ": batches 0 to " + seq_str(seq - 1) +
                                           " are missing (head cut, or earlier files not given)"
                                     : " (earlier batches not among the files given)"));
        break;
      case SeqVerdict::next:
        if (o.begin.prev != s.last->chain) sealed = false;
        if (o.begin.prev != s.last->chain)
          emit(o.file, o.line, FindingKind::chain_break,
               batch_name + ": prev= is not the chain value of seq " + seq_str(s.last->seq) +
                   " at " + where(s.last_file, s.last_line));
        break;
      case SeqVerdict::gap:
        emit(o.file, o.line, FindingKind::sequence_gap,
             "seq jumps from " + seq_str(s.last->seq) + " (at " + where(s.last_file, s.last_line) +
                 ") to " + seq_str(seq) + ": " + std::to_string(seq - s.last->seq - 1) +
                 " batches missing");
        break;
      case SeqVerdict::duplicate:
        ++s.sum.duplicates;
        return;  // an identical resend: nothing new, nothing to extract
      case SeqVerdict::conflict:
        emit(o.file, o.line, FindingKind::sequence_repeat,
             batch_name + " again with different content (first copy at " +
                 where(s.last_file, s.last_line) + ")");
        break;
      case SeqVerdict::backwards:
        emit(o.file, o.line, FindingKind::sequence_backwards,
             batch_name + " after seq " + seq_str(s.last->seq) + " (at " +
                 where(s.last_file, s.last_line) + ")");
        break;
    }
    if (o.begin.dropped > 0)
      emit(o.file, o.line, FindingKind::dropped,
           "the sender dropped " + std::to_string(o.begin.dropped) + " input lines before " +
               batch_name + " (spool full)");
    if (accepted(verdict)) {
      if (s.last && opt.max_silence && o.begin.time - s.last_time > *opt.max_silence) {
        const auto gap =
            std::chrono::duration_cast<std::chrono::seconds>(o.begin.time - s.last_time);
        emit(o.file, o.line, FindingKind::silence,
             "no batch for " + std::to_string(gap.count()) + " s between seq " +
                 seq_str(s.last->seq) + " (" + format_time(s.last_time) + ") and seq " +
                 seq_str(seq) + " (" + format_time(o.begin.time) + "), more than --max-silence " +
                 std::to_string(opt.max_silence->count()));
      }
      if (!s.sum.has_batches) {
        s.sum.has_batches = true;
        s.sum.first_seq = seq;
        s.sum.first_time = o.begin.time;
      }
      s.last = LastBatch{seq, e.chain};
      if (s.recent.empty()) s.recent.resize(std::max<std::size_t>(1, opt.recent_batches));
      s.recent[seq % s.recent.size()] = SealedBatch{seq, o.file, o.line, o.begin_offset, after};
      s.last_time = o.begin.time;
      s.last_file = o.file;
      s.last_line = o.line;
      s.last_begin_offset = o.begin_offset;
      s.last_begin_digest = o.begin_digest;
      s.sum.last_seq = seq;
      s.sum.last_time = o.begin.time;
      s.sum.last_extra = std::move(o.begin.extra);
    }
    ++s.sum.batches;
    if (o.lines == 0) ++s.sum.heartbeats;
    s.sum.dropped += o.begin.dropped;
    s.sum.redacted += o.redacted;
    s.sum.payload_lines += o.lines;
    // A torn copy of another stream among the files of one: nothing of that stream will
    // complete it (its begin line was already a stream-mixed finding). Decided now, so that a
    // live verifier is not left waiting for it.
    if (!opt.mixed_streams)
      for (StreamState* other : order)
        if (other != &s && !other->torn.empty()) resolve_never_completed(*other);
    // Lines of a batch that failed (chain, MAC, a seq already taken or going back) are never
    // extracted: they are the findings' subject, not sealed payload.
    if (!sealed || !accepted(verdict)) return;
    if (sink && extract_error) sink->batch({s.sum.src, s.sum.stream, seq, o.begin.time});
    extract_sealed(o, e, chain, end_offset, origin);
  }

  // Extracts a sealed batch from the bytes it was verified from. The file is read again, and
  // a writer may have changed bytes after they were hashed: the batch is read once into
  // memory, hashed again, and extracted from that copy only if it still hashes to `chain`.
  void extract_sealed(const OpenBatch& o, const EndLine& e, const crypto::Digest& chain,
                      std::uint64_t end_offset, const std::optional<Extractor::Origin>& origin) {
    if (!extractor || !extract_error) return;
    const std::uint64_t size = end_offset - o.begin_offset;
    if (size > kMaxExtractedBatch) {
      emit(o.file, o.line, FindingKind::line_too_long,
           "batch seq " + seq_str(o.begin.seq) + " holds " + std::to_string(size) +
               " bytes, more than the " + std::to_string(kMaxExtractedBatch >> 20) +
               " MiB a sender writes in one batch: verified, not extracted");
      return;
    }
    std::string copy(static_cast<std::size_t>(size), '\0');
    std::uint64_t got = 0;
    while (got < size) {
      const auto n = ::pread(fds[o.file].get(), copy.data() + got, size - got,
                             static_cast<off_t>(o.begin_offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::uint64_t>(n);
    }
    std::string_view rest(copy);
    rest = rest.substr(0, static_cast<std::size_t>(got));
    const auto nl = rest.find('\n');
    bool same = got == size && nl != std::string_view::npos;
    if (same) {
      BatchHasher again;
      again.start(rest.substr(0, nl));
      std::uint64_t lines = 0;
      for (auto body = rest.substr(nl + 1); same && !body.empty();) {
        const auto at = body.find('\n');
        const auto line = body.substr(0, at);
        const auto kind = classify(line);
        same = at != std::string_view::npos && kind != LineKind::begin && kind != LineKind::end &&
               kind != LineKind::malformed && line.size() <= opt.max_line_bytes;
        if (same) again.add(line_hash(hasher, line, kind));
        ++lines;
        body.remove_prefix(at == std::string_view::npos ? body.size() : at + 1);
      }
      same = same && lines == o.lines &&
             chain_next(o.begin.prev, again.finish(lines, e.bytes)) == chain;
    }
    if (!same) {
      emit(o.file, o.line, FindingKind::chain_break,
           "batch seq " + seq_str(o.begin.seq) +
               " changed in the file after it was verified (read again to be extracted, it no "
               "longer hashes to its chain): not extracted");
      return;
    }
    extract_error = extractor->lines_of(rest.substr(nl + 1), origin);
  }

  // ---- driving ----

  void process(const Line& line) {
    ++sum.lines_read;
    if (skip_to == 0) {  // (the usual case: no remnant recognised)
      dispatch(line);
      if (skip_to == 0) return;
    }
    Line l = line;
    for (;;) {
      if (skip_to > l.offset) {  // inside a remnant
        if (l.too_long || l.end() <= skip_to) return;
        l.bytes.remove_prefix(static_cast<std::size_t>(skip_to - l.offset));
        l.offset = skip_to;
        skip_to = 0;  // (passed)
      }
      dispatch(l);
      if (skip_to <= l.offset) return;
      // A remnant recognised from this line's start: what follows it (on this line) is next.
    }
  }

  void dispatch(const Line& l) {
    if (l.too_long) {
      emit(file, l.number, FindingKind::line_too_long,
           "line longer than " + std::to_string(opt.max_line_bytes) + " bytes; not verified");
      if (open) tear(Cut::by_line, &l, "a line longer than the limit", true);
      return;
    }
    const auto kind = classify(l.bytes);
    if (!open) return outside(l, kind);
    switch (kind) {
      case LineKind::payload:
      case LineKind::escaped:
      case LineKind::part:
      case LineKind::redacted:
        return add_payload(l, kind);
      case LineKind::end:
        return end_batch(l);
      case LineKind::begin:
        if (repaired(l)) return;
        tear(Cut::before_line, nullptr, "a begin line follows", false);
        return outside(l, kind);
      case LineKind::malformed:
        if (repaired(l)) return;
        return tear(Cut::by_line, &l, "malformed control line", false, !l.terminated);
    }
  }

  // Whether nothing is pending (see Verifier::settled).
  bool is_settled() const {
    if (open || stray.active || skip_to != 0 || redo) return false;
    for (const StreamState* s : order)
      if (!s->torn.empty()) return false;
    return true;
  }

  // Reads the current file from the cursor up to `end`. `final`: the file ends there (an open
  // batch is cut, a run of stray lines ends); otherwise only complete lines are given.
  Status read_lines(std::uint64_t end, bool final) {
    const std::uint64_t begin = cursor.offset;
    LineReader reader(fds[file].get(), opt.max_line_bytes, begin, end);
    reader.resume(cursor.lines, cursor.in_long_line);
    sizes[file] = end;
    if (skip_to <= begin) skip_to = 0;
    Line l;
    l.number = cursor.lines;
    std::uint64_t next_progress = begin + kProgressEvery;
    std::uint64_t seen = completions;
    for (;;) {
      auto more = reader.next(l);
      if (!more) return make_error(ErrorKind::io, name(file) + ": " + more.error().message);
      if (!*more) break;
      process(l);
      cursor = {reader.consumed(), l.number, reader.in_long_line()};
      if (!extract_error) return extract_error;
      if (completions != seen) {
        seen = completions;
        if (settled_callback && is_settled()) settled_callback();
      }
      if (progress && reader.consumed() >= next_progress) {
        progress(name(file), reader.consumed(), end);
        next_progress += kProgressEvery;
      }
    }
    cursor = {reader.consumed(), l.number, reader.in_long_line()};
    sum.bytes_read += reader.consumed() - begin;
    if (!final) return extract_error;
    if (open) {
      Line end_of_file;  // (where the failure is reported: the last line)
      end_of_file.offset = end;
      end_of_file.number = l.number;
      end_of_file.terminated = false;
      if (!repair_resend(end_of_file))
        tear(Cut::at_eof, nullptr, "the file ends inside the batch", false);
      redo = false;  // (no line to read again at the end of the file)
    }
    stray_end_of_file();
    if (progress) progress(name(file), reader.consumed(), end);
    return extract_error;
  }

  // Where the complete lines of the live file end: after the last LF before `size`, or at
  // `size` when the line being written is already too long (it is reported as such).
  Result<std::uint64_t> complete_lines_end(std::uint64_t size) {
    // Bytes after the cursor already known to hold no LF are not searched again: a line
    // written slowly is not scanned once per look.
    std::uint64_t floor = cursor.offset;
    if (no_lf_from == cursor.offset && no_lf_to > floor && no_lf_to <= size) floor = no_lf_to;
    char buf[64 << 10];
    std::uint64_t hi = size;
    while (hi > floor) {
      const auto lo = std::max(floor, hi > sizeof buf ? hi - sizeof buf : 0);
      const auto got = ::pread(fds[file].get(), buf, hi - lo, static_cast<off_t>(lo));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return make_error(ErrorKind::io, errno_message("read", name(file)));
      if (static_cast<std::uint64_t>(got) != hi - lo)
        return make_error(ErrorKind::io, name(file) + ": shrank while being read");
      const void* nl = ::memrchr(buf, '\n', static_cast<std::size_t>(got));
      if (nl) return lo + static_cast<std::uint64_t>(static_cast<const char*>(nl) - buf) + 1;
      if (size - lo > opt.max_line_bytes) return size;
      hi = lo;
    }
    no_lf_from = cursor.offset;
    no_lf_to = size;
    return size - cursor.offset > opt.max_line_bytes ? size : cursor.offset;
  }

  // After the first LF in [from, limit) of the live file (no LF lies between the cursor and
  // `from`); `limit` when there is none and the line is already too long; else the cursor.
  Result<std::uint64_t> first_line_end(std::uint64_t from, std::uint64_t limit) {
    char buf[64 << 10];
    for (std::uint64_t at = from; at < limit;) {
      const auto want = std::min<std::uint64_t>(sizeof buf, limit - at);
      const auto got = ::pread(fds[file].get(), buf, want, static_cast<off_t>(at));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return make_error(ErrorKind::io, errno_message("read", name(file)));
      if (got == 0) break;
      if (const void* nl = std::memchr(buf, '\n', static_cast<std::size_t>(got)))
        return at + static_cast<std::uint64_t>(static_cast<const char*>(nl) - buf) + 1;
      at += static_cast<std::uint64_t>(got);
    }
    no_lf_from = cursor.offset;
    no_lf_to = limit;
    return limit - cursor.offset > opt.max_line_bytes ? limit : cursor.offset;
  }

  // Closes the files more than opt.keep_files_open behind the newest one, unless a torn copy
  // or the open batch is in them, and forgets the sealed batches and interrupted copies there.
  void release_old_files() {
    if (opt.keep_files_open == 0 || fds.size() <= opt.keep_files_open) return;
    const std::size_t cutoff = fds.size() - opt.keep_files_open;
    for (std::size_t f = 0; f < cutoff; ++f) {
      if (!fds[f].valid() || (open && open->file == f)) continue;
      bool torn_here = false;
      for (const StreamState* s : order)
        for (const TornBatch& t : s->torn) torn_here = torn_here || t.file == f;
      if (torn_here) continue;
      fds[f].reset();
      for (StreamState* s : order) {
        for (SealedBatch& b : s->recent)
          if (b.file == f) b.seq = UINT64_MAX;
        std::erase_if(s->continuations, [f](const Continuation& c) { return c.file == f; });
      }
    }
  }

  Status add(UniqueFd fd, std::string file_name) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
      return make_error(ErrorKind::io, errno_message("stat", file_name));
    if (!S_ISREG(st.st_mode))
      return make_error(ErrorKind::io,
                        file_name + " is not a regular file (give vault files by path)");
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    file = sum.files.size();
    sum.files.push_back(file_name);
    names.push_back(std::move(file_name));
    fds.push_back(std::move(fd));
    std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    if (next_limit) size = std::min(size, *next_limit);
    next_limit.reset();
    sizes.push_back(size);
    cursor = {};
    remnant_checks = kRemnantChecks;
    no_lf_from = UINT64_MAX;
    release_old_files();
    return {};
  }

  std::string state() const;
  Status load_state(std::string_view text, UniqueFd live_fd, std::string live_name);
};

Verifier::Verifier(VerifyOptions options, Report report, ByteSink* extract)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(report), extract)) {}

Verifier::~Verifier() = default;

void Verifier::on_progress(Progress progress) {
  impl_->progress = std::move(progress);
}

Status Verifier::add_file(const std::filesystem::path& path) {
  // (O_NONBLOCK: a FIFO given or planted as a vault file must not block; add() refuses it)
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) return make_error(ErrorKind::io, errno_message("open", path));
  return add_fd(std::move(fd), path.string());
}

Status Verifier::add_fd(UniqueFd fd, std::string name) {
  Impl& m = *impl_;
  if (auto st = m.add(std::move(fd), std::move(name)); !st) return st;
  return m.read_lines(m.sizes.back(), true);
}

void Verifier::limit_next_file(std::uint64_t bytes) {
  impl_->next_limit = bytes;
}

Status Verifier::add_live(UniqueFd fd, std::string name, std::uint64_t start) {
  Impl& m = *impl_;
  if (m.live != SIZE_MAX) return make_error(ErrorKind::config, "a live file is already open");
  if (auto st = m.add(std::move(fd), std::move(name)); !st) return st;
  m.live = m.file;
  m.sizes[m.live] = start;
  m.cursor.offset = start;
  return {};
}

void Verifier::rename_live(std::string name) {
  Impl& m = *impl_;
  if (m.live == SIZE_MAX) return;
  m.sum.files[m.live] = name;
  m.names[m.live] = std::move(name);
}

std::uint64_t Verifier::batches_completed() const {
  return impl_->completions;
}

Result<std::uint64_t> Verifier::read_live(std::uint64_t max_bytes) {
  Impl& m = *impl_;
  if (m.live == SIZE_MAX) return make_error(ErrorKind::config, "no live file");
  struct stat st {};
  if (::fstat(m.fds[m.live].get(), &st) != 0)
    return make_error(ErrorKind::io, errno_message("stat", m.name(m.live)));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < m.cursor.offset)
    return make_error(ErrorKind::data, m.name(m.live) + " shrank from " +
                                           std::to_string(m.cursor.offset) + " to " +
                                           std::to_string(size) + " bytes");
  m.file = m.live;
  auto window_end = [&](std::uint64_t window) {
    return size - m.cursor.offset > window ? m.cursor.offset + window : size;
  };
  auto end = m.complete_lines_end(window_end(max_bytes));
  // No line ends within max_bytes: up to the end of that line, so that a long line is read
  // whole (or seen to be too long), and no more.
  if (end && *end == m.cursor.offset && window_end(max_bytes) < size)
    end = m.first_line_end(window_end(max_bytes), window_end(m.opt.max_line_bytes + 1));
  if (!end) return end.error();
  if (*end == m.cursor.offset) return std::uint64_t{0};
  const auto before = m.cursor.offset;
  m.opt.now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  if (auto rd = m.read_lines(*end, false); !rd) return rd.error();
  // Lines outside any batch are reported now, not when the run ends (which may be never): a
  // run that may still be begin lines cut by interrupted transfers waits for what follows.
  m.stray_end_of_file();
  return m.cursor.offset - before;
}

Status Verifier::end_live() {
  Impl& m = *impl_;
  if (m.live == SIZE_MAX) return make_error(ErrorKind::config, "no live file");
  struct stat st {};
  if (::fstat(m.fds[m.live].get(), &st) != 0)
    return make_error(ErrorKind::io, errno_message("stat", m.name(m.live)));
  m.file = m.live;
  m.live = SIZE_MAX;
  m.opt.now.reset();  // (a finished file holds no batch still being written)
  return m.read_lines(std::max<std::uint64_t>(m.cursor.offset, st.st_size), true);
}

std::uint64_t Verifier::live_offset() const {
  return impl_->live == SIZE_MAX ? 0 : impl_->cursor.offset;
}

bool Verifier::settled() const {
  return impl_->is_settled();
}

void Verifier::on_settled(std::function<void()> callback) {
  impl_->settled_callback = std::move(callback);
}

std::string Verifier::state() const {
  return impl_->state();
}

Result<std::unique_ptr<Verifier>> Verifier::resume(VerifyOptions options, Report report,
                                                   ByteSink* extract, std::string_view state,
                                                   UniqueFd live, std::string name) {
  auto v = std::make_unique<Verifier>(std::move(options), std::move(report), extract);
  if (auto st = v->impl_->load_state(state, std::move(live), std::move(name)); !st)
    return st.error();
  return v;
}

Status Verifier::finish() {
  Impl& m = *impl_;
  m.stray_flush(nullptr, nullptr);
  for (StreamState* s : m.order)
    if (!s->torn.empty()) m.resolve_never_completed(*s, true);
  if (m.opt.expect_seq) {
    const auto want = *m.opt.expect_seq;
    const std::size_t last_file = m.sum.files.empty() ? 0 : m.sum.files.size() - 1;
    if (m.order.empty() && !m.sum.files.empty())
      m.emit(last_file, m.sum.lines_read, FindingKind::tail_short,
             "no complete batch at all; expected seq " + seq_str(want) + " or later");
    for (StreamState* s : m.order) {
      if (s->last && s->last->seq >= want) continue;
      const auto msg = "stream src=" + percent_encode(s->sum.src) +
                       " stream=" + percent_encode(s->sum.stream) + ": last complete batch is " +
                       (s->last ? "seq " + seq_str(s->last->seq) : std::string("none")) +
                       ", expected seq " + seq_str(want) + " or later (tail cut or sender stalled)";
      m.emit(s->last ? s->last_file : last_file, s->last ? s->last_line : 0,
             FindingKind::tail_short, msg);
    }
  }
  if (!m.extract_error) return m.extract_error;
  return m.sink ? m.sink->flush() : Status{};
}

Summary Verifier::summary() const {
  Summary s = impl_->sum;
  for (const StreamState* st : impl_->order) s.streams.push_back(st->sum);
  return s;
}

}  // namespace logship::vault

// ---- the state of a verifier that follows a live file (Verifier::state) ----

namespace logship::vault {

namespace {

constexpr std::string_view kStateHeader = "logship-verifier-state v1";

// A string as one token: never empty, never holding a space or LF.
std::string token(std::string_view raw) {
  return "'" + percent_encode(raw);
}
std::optional<std::string> from_token(std::string_view t) {
  if (t.empty() || t[0] != '\'') return std::nullopt;
  return percent_decode(t.substr(1));
}

std::int64_t micros(VaultTime t) {
  return t.time_since_epoch().count();
}

class StateWriter {
 public:
  StateWriter& record(std::string_view name) {
    if (!text_.empty()) text_ += '\n';
    text_ += name;
    return *this;
  }
  StateWriter& operator<<(std::uint64_t v) { return add(std::to_string(v)); }
  StateWriter& operator<<(std::int64_t v) { return add(std::to_string(v)); }
  StateWriter& operator<<(bool v) { return add(v ? "1" : "0"); }
  StateWriter& operator<<(const crypto::Digest& d) { return add(crypto::to_hex(d)); }
  StateWriter& operator<<(std::string_view raw) { return add(token(raw)); }
  StateWriter& operator<<(const std::string& raw) { return add(token(raw)); }
  std::string finish() {
    text_ += '\n';
    char crc[16];
    std::snprintf(crc, sizeof crc, "%08x", crc32c(text_));
    return text_ + "check " + crc + "\n";
  }

 private:
  StateWriter& add(std::string_view word) {
    text_ += ' ';
    text_ += word;
    return *this;
  }
  std::string text_;
};

// Reads one record's fields in order; any malformed field makes ok() false.
class FieldReader {
 public:
  explicit FieldReader(std::vector<std::string_view> words) : words_(std::move(words)) {}
  std::uint64_t u64() {
    auto v = parse_decimal(next());
    ok_ = ok_ && v.has_value();
    return v.value_or(0);
  }
  std::int64_t i64() {
    const auto w = next();
    const bool neg = !w.empty() && w[0] == '-';
    auto v = parse_decimal(neg ? w.substr(1) : w);
    ok_ = ok_ && v && *v <= static_cast<std::uint64_t>(INT64_MAX);
    const auto n = static_cast<std::int64_t>(v.value_or(0));
    return neg ? -n : n;
  }
  bool flag() {
    const auto w = next();
    ok_ = ok_ && (w == "0" || w == "1");
    return w == "1";
  }
  crypto::Digest digest() {
    auto d = crypto::digest_from_hex(next());
    ok_ = ok_ && d.has_value();
    return d.value_or(crypto::Digest{});
  }
  std::string text() {
    auto s = from_token(next());
    ok_ = ok_ && s.has_value();
    return s.value_or(std::string());
  }
  VaultTime time() { return VaultTime(std::chrono::microseconds(i64())); }
  std::string_view word() { return next(); }
  bool ok() const { return ok_ && i_ == words_.size(); }

 private:
  std::string_view next() {
    if (i_ >= words_.size()) {
      ok_ = false;
      return {};
    }
    return words_[i_++];
  }
  std::vector<std::string_view> words_;
  std::size_t i_ = 0;
  bool ok_ = true;
};

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  while (!line.empty()) {
    const auto sp = line.find(' ');
    words.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return words;
}

void write_keys(StateWriter& w, const KeySchedule& k) {
  const auto p = k.position();
  w << p.k0 << p.cp << p.cp_key << p.seq << p.key;
}

std::unique_ptr<KeySchedule> read_keys(FieldReader& r, std::string_view domain) {
  KeySchedule::Position p;
  p.k0 = r.digest();
  p.cp = r.u64();
  p.cp_key = r.digest();
  p.seq = r.u64();
  p.key = r.digest();
  if (p.cp % KeySchedule::kCheckpointEvery != 0 || p.cp > p.seq) return nullptr;
  auto keys = std::make_unique<KeySchedule>(p, domain);
  crypto::wipe(p.k0);
  crypto::wipe(p.cp_key);
  crypto::wipe(p.key);
  return keys;
}

}  // namespace

std::string Verifier::Impl::state() const {
  StateWriter w;
  w.record(kStateHeader);
  w.record("live") << cursor.offset << cursor.lines << cursor.in_long_line
                   << (live == SIZE_MAX ? std::string() : name(live));
  w.record("totals") << sum.lines_read << sum.bytes_read << sum.findings << sum.infos << key_budget
                     << completions;
  if (genesis_keys) write_keys(w.record("genesis-keys"), *genesis_keys);
  for (const StreamState* s : order) {
    const StreamSummary& m = s->sum;
    w.record("stream") << m.src << m.stream;
    w.record("sum") << m.has_batches << m.first_seq << micros(m.first_time) << m.last_seq
                    << micros(m.last_time) << m.batches << m.heartbeats << m.duplicates
                    << m.interrupted << m.remnants << m.dropped << m.redacted << m.payload_lines;
    for (const Field& f : m.last_extra) w.record("extra") << f.key << f.value;
    if (s->last) {
      w.record("last") << s->last->seq << s->last->chain << micros(s->last_time);
      if (s->last_file == live)
        w << std::string_view("");  // (the live file)
      else
        w << name(s->last_file);
      w << s->last_line << s->last_begin_offset << s->last_begin_digest;
    }
    if (s->keys) {
      w.record("keys") << s->keys_genesis.has_value() << s->keys_genesis.value_or(0);
      write_keys(w, *s->keys);
    }
    // The recent batches of the live file, newest last (older ones are not kept: a remnant of
    // one after a restart is a finding, as it is beyond VerifyOptions::recent_batches).
    if (s->last && !s->recent.empty()) {
      const auto last = s->last->seq;
      const std::uint64_t keep = std::min<std::uint64_t>(kLatePrefixBatches, last + 1);
      for (std::uint64_t k = keep; k-- > 0;) {
        const SealedBatch& b = s->recent[(last - k) % s->recent.size()];
        if (b.seq == last - k && b.file == live)
          w.record("recent") << b.seq << b.line << b.begin << b.end;
      }
    }
    for (const Continuation& c : s->continuations)
      if (c.file == live) w.record("cont") << c.seq << c.next << c.alt << c.line;
  }
  if (extractor) {
    for (const auto& [key, n] : extractor->extracted()) w.record("extracted") << key << n;
    w.record("mid-line") << extractor->mid_line();
  }
  return w.finish();
}

Status Verifier::Impl::load_state(std::string_view text, UniqueFd live_fd, std::string live_name) {
  auto bad = [](std::string why) {
    return make_error(ErrorKind::data, "verifier state: " + std::move(why));
  };
  const auto check_at = text.rfind("check ");
  if (check_at == std::string_view::npos || (check_at > 0 && text[check_at - 1] != '\n'))
    return bad("no check record (damaged)");
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", crc32c(text.substr(0, check_at)));
  if (text.substr(check_at) != "check " + std::string(crc) + "\n")
    return bad("check value does not match (damaged)");
  text = text.substr(0, check_at);

  struct stat st {};
  if (::fstat(live_fd.get(), &st) != 0)
    return make_error(ErrorKind::io, errno_message("stat", live_name));
  std::map<std::string, std::size_t> old_files;  // earlier files named in the state: closed
  auto file_index = [&](const std::string& n) {
    auto [it, added] = old_files.emplace(n, fds.size());
    if (added) {
      fds.emplace_back();
      sizes.push_back(0);
      names.push_back(n);
      sum.files.push_back(n);
    }
    return it->second;
  };
  StreamState* s = nullptr;
  std::map<std::string, std::uint64_t> extracted;
  bool mid_line = false, seen_live = false;
  std::vector<std::pair<StreamState*, std::string>> last_files;  // resolved at the end
  std::size_t n = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (n++ == 0) {
      if (line != kStateHeader) return bad("not a logship-verifier-state v1 record");
      continue;
    }
    auto words = split_words(line);
    const std::string_view rec = words.empty() ? "" : words.front();
    if (!words.empty()) words.erase(words.begin());
    FieldReader r(std::move(words));
    if (rec == "live") {
      cursor.offset = r.u64();
      cursor.lines = r.u64();
      cursor.in_long_line = r.flag();
      (void)r.text();  // (the name it had; the caller gives the file)
      seen_live = true;
    } else if (rec == "totals") {
      sum.lines_read = r.u64();
      sum.bytes_read = r.u64();
      sum.findings = r.u64();
      sum.infos = r.u64();
      key_budget = r.u64();
      completions = r.u64();
    } else if (rec == "genesis-keys") {
      genesis_keys = read_keys(r, kGenesisDomain);
      if (!genesis_keys) return bad("bad genesis key position");
    } else if (rec == "stream") {
      auto src = r.text(), stream = r.text();
      if (!r.ok()) return bad("bad stream record");
      auto& slot = by_name[{src, stream}];
      if (slot) return bad("stream listed twice");
      slot = std::make_unique<StreamState>();
      slot->sum.src = std::move(src);
      slot->sum.stream = std::move(stream);
      s = slot.get();
      order.push_back(s);
      continue;
    } else if (!s && rec != "extracted" && rec != "mid-line") {
      return bad("record '" + std::string(rec) + "' before any stream");
    } else if (rec == "sum") {
      StreamSummary& m = s->sum;
      m.has_batches = r.flag();
      m.first_seq = r.u64();
      m.first_time = r.time();
      m.last_seq = r.u64();
      m.last_time = r.time();
      m.batches = r.u64();
      m.heartbeats = r.u64();
      m.duplicates = r.u64();
      m.interrupted = r.u64();
      m.remnants = r.u64();
      m.dropped = r.u64();
      m.redacted = r.u64();
      m.payload_lines = r.u64();
    } else if (rec == "extra") {
      Field f;
      f.key = r.text();
      f.value = r.text();
      s->sum.last_extra.push_back(std::move(f));
    } else if (rec == "last") {
      LastBatch b;
      b.seq = r.u64();
      b.chain = r.digest();
      s->last = b;
      s->last_time = r.time();
      last_files.emplace_back(s, r.text());
      s->last_line = r.u64();
      s->last_begin_offset = r.u64();
      s->last_begin_digest = r.digest();
    } else if (rec == "keys") {
      const bool has_genesis = r.flag();
      const auto genesis = r.u64();
      if (has_genesis) s->keys_genesis = genesis;
      s->keys = read_keys(r, kKeyDomain);
      if (!s->keys) return bad("bad key position");
    } else if (rec == "recent") {
      SealedBatch b;
      b.seq = r.u64();
      b.line = r.u64();
      b.begin = r.u64();
      b.end = r.u64();
      b.file = SIZE_MAX;  // (the live file: set below)
      if (s->recent.empty()) s->recent.resize(std::max<std::size_t>(1, opt.recent_batches));
      s->recent[b.seq % s->recent.size()] = b;
    } else if (rec == "cont") {
      Continuation c;
      c.seq = r.u64();
      c.next = r.u64();
      c.alt = r.flag();
      c.line = r.u64();
      c.file = SIZE_MAX;
      s->continuations.push_back(c);
    } else if (rec == "extracted") {
      auto key = r.text();
      extracted[key] = r.u64();
    } else if (rec == "mid-line") {
      mid_line = r.flag();
    } else {
      return bad("unknown record '" + std::string(rec) + "'");
    }
    if (!r.ok()) return bad("bad '" + std::string(rec) + "' record");
  }
  if (!seen_live) return bad("no live record");
  if (static_cast<std::uint64_t>(st.st_size) < cursor.offset)
    return make_error(ErrorKind::data, live_name + " is shorter (" + std::to_string(st.st_size) +
                                           " bytes) than where verification stood (" +
                                           std::to_string(cursor.offset) + ")");
  for (auto& [stream, file_name] : last_files)
    if (!file_name.empty()) stream->last_file = file_index(file_name);
  const Cursor at = cursor;
  if (auto added = add(std::move(live_fd), std::move(live_name)); !added) return added;
  cursor = at;
  live = file;
  sizes[live] = cursor.offset;
  for (StreamState* st2 : order) {
    for (auto& [stream, file_name] : last_files)
      if (stream == st2 && file_name.empty()) st2->last_file = live;
    for (SealedBatch& b : st2->recent)
      if (b.file == SIZE_MAX) b.file = live;
    for (Continuation& c : st2->continuations) c.file = live;
  }
  if (extractor) extractor->resume(std::move(extracted), mid_line);
  return {};
}

}  // namespace logship::vault
