// Remnants: bytes of a sealed batch written again, late, by an interrupted transfer.
//
// A `cat >> FILE` whose session the sender dropped may still hold bytes of its batch (in its
// pipe, or stopped) and append them after the resend sealed the batch: the rest of its torn
// copy, or, if it had written nothing yet, a prefix of the batch or all of it. Such a run
// starts where a line starts, is byte for byte what the sealed batch holds at that place,
// and ends at the end of the batch, at a line end, at the end of the file, or where a begin
// line follows (the next writer appended after it). Every byte skipped this way equals a byte
// already verified, so skipping hides nothing; anything else stays a finding.

#include "vault/verifier_impl.hpp"

#include <unistd.h>

#include <algorithm>

namespace logship::vault {

using namespace detail;

// Length of the common prefix of [a, a_end) of file fa and [b, b_end) of file fb.
Result<std::uint64_t> Verifier::Impl::common_prefix(std::size_t fa, std::uint64_t a,
                                                    std::uint64_t a_end, std::size_t fb,
                                                    std::uint64_t b, std::uint64_t b_end) {
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
std::uint64_t Verifier::Impl::remnant_end(std::uint64_t start, std::uint64_t pos) {
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
bool Verifier::Impl::begin_or_end_at(std::uint64_t pos) {
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
std::uint64_t Verifier::Impl::empty_lines_before(std::uint64_t pos) {
  char buf[65];
  const auto want = std::min<std::uint64_t>(pos, sizeof buf);
  const auto got = ::pread(fds[file].get(), buf, want, static_cast<off_t>(pos - want));
  if (got != static_cast<ssize_t>(want)) return 0;
  std::uint64_t lfs = 0;
  while (lfs < want && buf[want - 1 - lfs] == '\n') ++lfs;
  return lfs == want && pos == want ? lfs : lfs > 0 ? lfs - 1 : 0;  // (one ends the line before)
}

const SealedBatch* Verifier::Impl::sealed(const StreamState& s, std::uint64_t seq) const {
  if (s.recent.empty() || s.recent[seq % s.recent.size()].seq != seq) return nullptr;
  return &s.recent[seq % s.recent.size()];
}

// The bytes of batch b from `from` match the file from line l on, for a remnant's length: 0
// if they do not.
std::uint64_t Verifier::Impl::remnant_at(std::uint64_t start, const SealedBatch& b,
                                         std::uint64_t from) {
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
void Verifier::Impl::skip_remnant(StreamState& s, const Line& l, std::uint64_t start,
                                  std::uint64_t n, std::string what) {
  ++s.sum.remnants;
  skip_to = start + n;
  emit(file, l.number, FindingKind::transfer_remnant,
       std::to_string(n) + " bytes: " + what +
           ", written late by an interrupted transfer; identical to the sealed bytes, skipped");
}

// A copy of an already sealed batch, from its begin line: all of it (a late copy of an older
// batch; one of the last batch is an identical resend, counted as such) or a prefix.
bool Verifier::Impl::late_copy(const Line& l, const BeginLine& b) {
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
bool Verifier::Impl::late_prefix(const Line& l) {
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

void Verifier::Impl::remember_continuation(StreamState& s, Continuation c) {
  if (s.continuations.size() == kMaxContinuations) s.continuations.erase(s.continuations.begin());
  s.continuations.push_back(c);
}

// The rest (or the next part of the rest) of an interrupted copy of a sealed batch.
// The run may begin with empty lines (the batch's own LFs), which were passed over before l.
bool Verifier::Impl::continues_interrupted(const Line& l) {
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

}  // namespace logship::vault
