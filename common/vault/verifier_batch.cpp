// Batches: a begin line opens one, its lines are hashed, its end line decides it (counts,
// chain, sequence, MAC), and a sealed batch is extracted from the bytes verified.

#include "vault/verifier_impl.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "vault/control_line.hpp"
#include "vault/sequence.hpp"

namespace logship::vault {

using namespace detail;

void Verifier::Impl::start_batch(const Line& l, BeginLine b) {
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

void Verifier::Impl::add_payload(const Line& l, LineKind kind) {
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

void Verifier::Impl::end_batch(const Line& l) {
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
bool Verifier::Impl::spend_key_steps(std::uint64_t steps) {
  if (steps > key_budget) return false;
  key_budget -= steps;
  return true;
}

// The key schedule of the stream a batch belongs to: from K_0 itself, or, for a batch whose
// begin line says genesis=J (logship-pull), from stream_key(G_J, J, src, stream), G_J derived
// from the key. The batch's own field selects J: the MAC covers it, and keys of different
// (J, src, stream) are independent, so a batch moved to another stream or start fails. An
// error names why no key can be made.
Result<KeySchedule*> Verifier::Impl::keys_for(StreamState& s, const BeginLine& b) {
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
      return make_error(ErrorKind::data, "deriving G_" + seq_str(*genesis) + " takes " +
                                             std::to_string(steps) + " evolutions, more than the " +
                                             std::to_string(key_budget) +
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
bool Verifier::Impl::check_mac(StreamState& s, const OpenBatch& o, const EndLine& e,
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
void Verifier::Impl::complete(OpenBatch& o, const EndLine& e, const crypto::Digest& chain,
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
      s.continuations.push_back({seq, t.cut_at - t.begin_offset, t.cut_terminated, t.file, t.line});
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
             "stream src=" + percent_encode(s.sum.src) + " stream=" + percent_encode(s.sum.stream) +
                 " starts at seq " + seq_str(seq) +
                 (opt.expect_start ? ": batches 0 to " + seq_str(seq - 1) +
                                         " are missing (head cut, or earlier files not given)"
                                   : " (earlier batches not among the files given)"));
      break;
    case SeqVerdict::next:
      if (o.begin.prev != s.last->chain) sealed = false;
      if (o.begin.prev != s.last->chain)
        emit(o.file, o.line, FindingKind::chain_break,
             batch_name + ": prev= is not the chain value of seq " + seq_str(s.last->seq) + " at " +
                 where(s.last_file, s.last_line));
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
      const auto gap = std::chrono::duration_cast<std::chrono::seconds>(o.begin.time - s.last_time);
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
void Verifier::Impl::extract_sealed(const OpenBatch& o, const EndLine& e,
                                    const crypto::Digest& chain, std::uint64_t end_offset,
                                    const std::optional<Extractor::Origin>& origin) {
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
    same =
        same && lines == o.lines && chain_next(o.begin.prev, again.finish(lines, e.bytes)) == chain;
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

}  // namespace logship::vault
