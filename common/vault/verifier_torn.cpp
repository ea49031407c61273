// Torn copies: batches that began but did not end validly, kept until a resend completes them
// or the next batch of their stream shows that none will; open batches at the end of a live
// file.

#include "vault/verifier_impl.hpp"

#include "vault/control_line.hpp"

namespace logship::vault {

using namespace detail;

// Whether line number t.lines of another copy of t's batch (`bytes`, its hash `h`, `state`
// the batch-digest state over the lines before it) continues t: the same lines before it
// and t's cut last line a byte prefix of it.
TornCheck Verifier::Impl::compare_cut_line(const TornBatch& t, const crypto::Digest& state,
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
void Verifier::Impl::compare_torn(std::string_view bytes, const crypto::Digest& h) {
  OpenBatch& o = *open;
  for (std::size_t i = 0; i < o.checks.size(); ++i)
    if (o.checks[i] == TornCheck::checking && o.stream->torn[i].lines == o.lines + 1)
      o.checks[i] = compare_cut_line(o.stream->torn[i], batch.peek(), bytes, h);
}

// The open batch did not end validly: keep it as the stream's torn batch.
// `at_eof`: the end of the last bytes read cut it (with Cut::by_line: a line without LF,
// e.g. an end line being written).
void Verifier::Impl::tear(Cut cut, const Line* line, std::string reason, bool reported,
                          bool at_eof) {
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
bool Verifier::Impl::still_open(const TornBatch& t) const {
  if (!opt.now || !t.at_eof || t.reported || t.file + 1 != sum.files.size()) return false;
  const auto age = *opt.now - t.begin_time;
  return age < VerifyOptions::kOpenBatchWindow && age > -VerifyOptions::kOpenBatchWindow;
}

// The complete lines of a copy that no MAC covers: left out of the extract unless asked
// for, then between marker lines.
void Verifier::Impl::extract_unsealed(const TornBatch& t, std::string_view what) {
  if (!extractor || !opt.extract_unsealed || t.complete_end <= t.payload_offset) return;
  if (!extract_error) return;
  extract_error = extractor->marker("unsealed-begin " + where(t.file, t.line) +
                                    " seq=" + seq_str(t.seq) + " " + std::string(what));
  extract(t.file, t.payload_offset, t.complete_end, t.origin);
  if (extract_error) extract_error = extractor->marker("unsealed-end");
}

std::string Verifier::Impl::unsealed_lines(const TornBatch& t) const {
  if (t.complete_end <= t.payload_offset) return "";
  return opt.extract_unsealed ? "; its complete lines are extracted, marked unsealed"
                              : "; its complete lines are not extracted (unsealed: see "
                                "--extract-unsealed)";
}

// Whether torn copy t is a prefix of the stream's last accepted batch (the batch being
// resent): that batch is read again from its file.
Result<bool> Verifier::Impl::prefix_of_last(const StreamState& s, const TornBatch& t) {
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
    if (n == t.lines) return compare_cut_line(t, copy.peek(), l.bytes, pending) == TornCheck::match;
    if (kind == LineKind::end) return false;
  }
}

// No copy completed the stream's torn batch. `at_end`: nothing follows in any file.
void Verifier::Impl::resolve_never_completed(StreamState& s, bool at_end) {
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
           batch_name + copy + " cut by an interrupted transfer (" + t.reason + "); the copy at " +
               where(last.file, last.line) +
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

}  // namespace logship::vault
