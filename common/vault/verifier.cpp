// The verifier's public API, and what every part uses: findings, extraction, the streams by
// name, and reading a file line by line (driving). The parts, one concern each: lines outside
// a batch (verifier_stray.cpp), late remnants (verifier_remnant.cpp), a remnant inside a resend
// (verifier_resend.cpp), batches (verifier_batch.cpp), torn copies (verifier_torn.cpp), the
// live file (verifier_live.cpp), and the state a follower resumes from (verifier_state.cpp).

#include "vault/verifier.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "vault/control_line.hpp"
#include "vault/report.hpp"
#include "vault/verifier_impl.hpp"

namespace logship::vault {

using namespace detail;

const std::string& Verifier::Impl::name(std::size_t f) const {
  return names[f];
}

std::string Verifier::Impl::where(std::size_t f, std::uint64_t line) const {
  return name(f) + ":" + std::to_string(line);
}

void Verifier::Impl::emit(std::size_t f, std::uint64_t line, FindingKind kind, std::string msg) {
  ++(is_info(kind) ? sum.infos : sum.findings);
  if (report) report(Finding{name(f), line, kind, printable(msg)});
}

void Verifier::Impl::extract(std::size_t f, std::uint64_t begin, std::uint64_t end,
                             const std::optional<Extractor::Origin>& origin) {
  if (!extractor || !extract_error || begin >= end) return;
  extract_error = extractor->range(fds[f].get(), begin, end, origin);
}

// The stream of a begin line, if seen before (the last one used first: files usually hold one).
StreamState* Verifier::Impl::known_stream(const BeginLine& b) {
  if (recent_stream && recent_stream->sum.src == b.src && recent_stream->sum.stream == b.stream)
    return recent_stream;
  const auto it = by_name.find({b.src, b.stream});
  if (it == by_name.end()) return nullptr;
  return recent_stream = it->second.get();
}

StreamState& Verifier::Impl::stream_of(const BeginLine& b, const Line& l) {
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

void Verifier::Impl::process(const Line& line) {
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

void Verifier::Impl::dispatch(const Line& l) {
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
bool Verifier::Impl::is_settled() const {
  if (open || stray.active || skip_to != 0 || redo) return false;
  for (const StreamState* s : order)
    if (!s->torn.empty()) return false;
  return true;
}

// Reads the current file from the cursor up to `end`. `final`: the file ends there (an open
// batch is cut, a run of stray lines ends); otherwise only complete lines are given.
Result<void> Verifier::Impl::read_lines(std::uint64_t end, bool final) {
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

// Closes the files more than opt.keep_files_open behind the newest one, unless a torn copy
// or the open batch is in them, and forgets the sealed batches and interrupted copies there.
void Verifier::Impl::release_old_files() {
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

Result<void> Verifier::Impl::add(UniqueFd fd, std::string file_name) {
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

Verifier::Verifier(VerifyOptions options, Report report, ByteSink* extract)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(report), extract)) {}

Verifier::~Verifier() = default;

void Verifier::on_progress(Progress progress) {
  impl_->progress = std::move(progress);
}

Result<void> Verifier::add_file(const std::filesystem::path& path) {
  // (O_NONBLOCK: a FIFO given or planted as a vault file must not block; add() refuses it)
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) return make_error(ErrorKind::io, errno_message("open", path));
  return add_fd(std::move(fd), path.string());
}

Result<void> Verifier::add_fd(UniqueFd fd, std::string name) {
  Impl& m = *impl_;
  if (auto st = m.add(std::move(fd), std::move(name)); !st) return st;
  return m.read_lines(m.sizes.back(), true);
}

void Verifier::limit_next_file(std::uint64_t bytes) {
  impl_->next_limit = bytes;
}

std::uint64_t Verifier::batches_completed() const {
  return impl_->completions;
}

bool Verifier::settled() const {
  return impl_->is_settled();
}

void Verifier::on_settled(std::function<void()> callback) {
  impl_->settled_callback = std::move(callback);
}

Result<void> Verifier::finish() {
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
  return m.sink ? m.sink->flush() : Result<void>{};
}

Summary Verifier::summary() const {
  Summary s = impl_->sum;
  for (const StreamState* st : impl_->order) s.streams.push_back(st->sum);
  return s;
}

}  // namespace logship::vault
