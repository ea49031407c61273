// A remnant inside the resend.
//
// The interrupted copy's `cat` may append its rest while the resend's `cat` is still writing:
// between two of its writes, at any byte. The resend then fails (its counts, or its end line
// cut). If cutting out one run that repeats, byte for byte, the resend's own bytes from where
// the interrupted copy was cut leaves a batch that verifies (counts, chain, and with the key
// its MAC), that batch is sealed and the run is a transfer remnant: it repeats bytes the
// batch holds, so nothing is hidden. The rebuilt batch is verified and extracted from a copy
// in memory (a memfd, kept like a file).

#include "vault/verifier_impl.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include "vault/control_line.hpp"

namespace logship::vault {

using namespace detail;

namespace {

constexpr std::size_t kMaxRepairBytes = 8 << 20;  // of the resend and what follows
constexpr std::size_t kRepairNeedle = 8;          // bytes a remnant must start with
constexpr int kRepairPlaces = 32;                 // places tried per torn copy

// The lines between the end of a rebuilt copy (`end`, from c0) and the line l where the copy
// failed were read as the copy's and will not be read again: a repair stands only if they
// are empty lines (separators), so that nothing after the batch escapes verification.
bool only_separators_after(std::string_view reg, std::uint64_t end, const Line& l,
                           std::uint64_t c0) {
  if (l.offset <= c0 + end) return true;
  const auto upto = l.offset - c0;
  if (upto > reg.size()) return false;
  return reg.substr(end, upto - end).find_first_not_of('\n') == std::string_view::npos;
}

}  // namespace

// The length of the batch `bytes` starts with (its end line's LF included) if it verifies as
// one of stream s: counts, chain, and with the key its MAC; 0 otherwise.
std::uint64_t Verifier::Impl::verifies_as_batch(StreamState& s, std::string_view bytes) {
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

// The rebuilt batch ends at `end` of the file. The failing line l, when it starts there or
// after (past separators), was not the batch's: it is read again as a line of its own.
void Verifier::Impl::after_repair(std::uint64_t end, const Line& l) {
  skip_to = end;
  if (end <= l.offset) {
    skip_to = 0;
    redo = true;
  }
}

// repair_resend() for line l; false when no repair was made. A line that is not the
// batch's after all is then processed outside any batch.
bool Verifier::Impl::repaired(const Line& l) {
  if (!repair_resend(l)) return false;
  if (redo) {
    redo = false;
    outside(l, classify(l.bytes));
  }
  return true;
}

// The open batch failed at line l. Is it a resend with the rest of an interrupted copy of
// itself inside? Then it is sealed without that run and true is returned.
bool Verifier::Impl::repair_resend(const Line& l) {
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
  std::string rebuilt;
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
        for (std::size_t n = most; n >= kRepairNeedle && n + kRepairNeedle + 1 > most; --n) {
          const auto len = verifies_without(s, reg, q, n, l, c0, rebuilt);
          if (!len) return false;
          if (*len == 0) continue;
          replay_rebuilt(o, rebuilt.substr(0, static_cast<std::size_t>(*len)), q, n, l,
                         "bytes " + std::to_string(a) + "-" + std::to_string(a + n) +
                             " of that batch again, the rest of its copy interrupted at " +
                             where(t.file, t.line) +
                             ", written by that transfer between two writes of the resend");
          after_repair(c0 + *len + n, l);
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
            const auto len = verifies_without(s, reg, q, n, l, c0, rebuilt);
            if (!len) return false;
            if (*len == 0) continue;
            const auto what = "bytes " + std::to_string(from) + "-" + std::to_string(from + n) +
                              " of batch seq " + seq_str(c->seq) + " (sealed at " +
                              where(sb->file, sb->line) +
                              "), the rest of its copy interrupted at " + where(c->file, c->line) +
                              ", written late by that transfer between two writes of this copy";
            c->next = from + n;
            c->alt = false;
            if (c->next == size) st->continuations.erase(std::next(c).base());
            replay_rebuilt(o, rebuilt.substr(0, static_cast<std::size_t>(*len)), q, n, l, what);
            after_repair(c0 + *len + n, l);
            return true;
          }
        }
      }
    }
  }
  return false;
}

// The region `reg` (from c0) without the n bytes at q, in `rebuilt`: the length of the batch it
// verifies as, when that batch ends after q and only separators follow it up to line l; 0 when
// it does not. nullopt when the repair budget is spent (every try charges the region's size).
std::optional<std::uint64_t> Verifier::Impl::verifies_without(StreamState& s, std::string_view reg,
                                                              std::size_t q, std::size_t n,
                                                              const Line& l, std::uint64_t c0,
                                                              std::string& rebuilt) {
  if (reg.size() > repair_budget) return std::nullopt;
  repair_budget -= reg.size();
  rebuilt.assign(reg.substr(0, q));
  rebuilt += reg.substr(q + n);
  const auto len = verifies_as_batch(s, rebuilt);
  if (len == 0 || len <= q || !only_separators_after(reg, len + n, l, c0)) return 0;
  return len;
}

// Verifies and extracts the rebuilt resend as its batch, from a memfd.
void Verifier::Impl::replay_rebuilt(const OpenBatch& failed, const std::string& rebuilt,
                                    std::size_t q, std::size_t n, const Line& at,
                                    const std::string& what) {
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

}  // namespace logship::vault
