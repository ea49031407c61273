#include "follow/sftp_follower.hpp"

#include <spdlog/spdlog.h>

#include <limits>

#include "follow/rotated_names.hpp"
#include "ssh/deadline.hpp"
#include "ssh/sftp_wire.hpp"

namespace logship::follow {

namespace {

Attrs to_attrs(const ssh::FileAttrs& a) {
  Attrs r;
  r.size = a.size;
  r.mtime = a.mtime;
  r.mode = a.mode;
  switch (a.type) {
    case ssh::FileType::regular:
      r.kind = Kind::regular;
      break;
    case ssh::FileType::directory:
      r.kind = Kind::directory;
      break;
    default:
      r.kind = Kind::special;
  }
  return r;
}

bool same_attrs(const Attrs& a, const Attrs& b) {
  return a.kind == b.kind && a.size == b.size && a.mtime == b.mtime && a.mode == b.mode;
}

std::string_view event_name(int e) {
  static constexpr std::string_view names[] = {"started", "rotated", "truncated", "copytruncated",
                                               "replaced"};
  return names[e];
}

}  // namespace

SftpFollower::SftpFollower(SftpFollowOptions options, std::unique_ptr<Output> output,
                           CheckpointFile file, Syncer& syncer, const Clock& clock)
    : FollowerBase(options.remote, std::move(output), std::move(file), syncer, clock),
      options_(std::move(options)) {}

ssh::Deadline SftpFollower::deadline() const {
  return ssh::Deadline::live(options_.op_timeout);
}

bool SftpFollower::transport(const Error& e, const ssh::SftpSession& sftp) const {
  return !(e.kind == ErrorKind::remote_refused && sftp.last_problem() != ssh::FileProblem::none);
}

Status SftpFollower::start() {
  auto c = recover();
  if (!c) return c.error();
  generation_ = c->generation;
  identity_ = c->identity;
  if (auto st = out_->set_origin({options_.remote, generation_, c->offset}); !st) return st;
  return save(true);
}

void SftpFollower::restore_output() {
  (void)syncer_.wait(this);  // (a failure of its is why we are here)
  auto c = recover();        // from the last checkpoint actually saved
  if (!c) {
    set_state("error", cause(c.error()));
    return;
  }
  generation_ = c->generation;
  identity_ = c->identity;
  if (auto st = out_->set_origin({options_.remote, generation_, c->offset}); !st) {
    set_state("error", cause(st.error()));
    return;
  }
  if (auto st = save(true); !st) {
    set_state("error", cause(st.error()));
    return;
  }
  broken_ = false;
}

Status SftpFollower::save(bool wait) {
  return FollowerBase::save(generation_, identity_, out_->resumable_offset(), wait);
}

Status SftpFollower::checkpoint(bool wait) {
  if (broken_) return {};
  if (auto st = save(wait); !st) {
    fail_locally(st.error());
    return st;
  }
  return {};
}

void SftpFollower::fail_locally(const Error& e) {
  spdlog::error("{}: writing the local copy failed, will start again from the last checkpoint: {}",
                options_.remote, cause(e));
  set_state("error", cause(e));
  broken_ = true;
  held_.reset();  // (its server handle is released when the session ends or on close)
  draining_ = false;
  last_path_.reset();
  tail_known_ = false;
}

void SftpFollower::path_absent(const Attrs& a) {
  switch (a.kind) {
    case Kind::missing:
      return set_state(held_ ? "draining" : "missing",
                       "no such file; retrying" +
                           std::string(held_ ? " (the file held open is read meanwhile)" : ""));
    case Kind::unreadable:
      return set_state("unreadable", "permission denied; retrying");
    default:
      return set_state("not-regular", "the path names " + std::string(to_string(a.kind)) +
                                          ", not a file; retrying");
  }
}

Result<Attrs> SftpFollower::path_attrs(ssh::SftpSession& sftp, ssh::Pending& stat) {
  auto a = sftp.take_attrs(stat, deadline());
  if (a) {
    status_.remote_size = a->size;
    return to_attrs(*a);
  }
  if (transport(a.error(), sftp)) return a.error();
  Attrs r;
  switch (sftp.last_problem()) {
    case ssh::FileProblem::no_such_file: {
      auto l = sftp.lstat(options_.remote, deadline());
      if (!l && transport(l.error(), sftp)) return l.error();
      r.kind = l && l->type == ssh::FileType::symlink ? Kind::dangling_symlink : Kind::missing;
      return r;
    }
    default:
      r.kind = Kind::unreadable;
      return r;
  }
}

Result<Attrs> SftpFollower::look(ssh::SftpSession& sftp) {
  auto stat = sftp.ask_stat(options_.remote);
  return path_attrs(sftp, stat);
}

Result<std::string> SftpFollower::take_bytes(ssh::SftpSession& sftp, ssh::Pending& read) {
  auto r = sftp.take_data(read, deadline());
  if (!r) return r.error();
  return *r ? std::string(**r) : std::string();
}

Result<std::string> SftpFollower::head(ssh::SftpSession& sftp, const ssh::SftpFile& f) {
  auto read = sftp.ask_read(f, 0, kFingerprintBytes);
  return take_bytes(sftp, read);
}

ssh::Pending SftpFollower::ask_tail(ssh::SftpSession& sftp, const ssh::SftpFile& f) {
  const auto offset = out_->origin().offset;
  const auto n = std::min<std::uint64_t>(offset, kTailBytes);
  if (n == 0) return {};
  return sftp.ask_read(f, offset - n, static_cast<std::uint32_t>(n));
}

std::unique_ptr<ssh::SftpRead> SftpFollower::ask_reads(ssh::SftpSession& sftp,
                                                       const ssh::SftpFile& f, bool ahead) {
  auto r = std::make_unique<ssh::SftpRead>(sftp, f, out_->origin().offset, options_.burst,
                                           options_.tuning);
  // Catching up: a full pipeline. Else as many READs as twice the last poll brought, plus one
  // (so that a short reply is followed by the end of the file, in the same round trip); one
  // when the file is quiet. More follow at once when a reply comes back full.
  const auto want = full_pipeline_     ? 0
                    : got_before_ == 0 ? 1
                                       : 2 + 2 * got_before_ / options_.tuning.request_bytes;
  // (asked for ahead of other files' turns: one READ, so that what waits for us stays small)
  r->start(
      ahead ? 1
            : static_cast<unsigned>(std::min<std::uint64_t>(want, options_.tuning.max_in_flight)));
  return r;
}

Status SftpFollower::open_with_head(ssh::SftpSession& sftp, std::optional<ssh::SftpFile>& f,
                                    std::string& start) {
  auto opened = sftp.open(options_.remote, ssh::sftp::kRead, deadline());
  if (!opened) return transport(opened.error(), sftp) ? Status(opened.error()) : Status();
  f = std::move(*opened);
  auto h = head(sftp, *f);
  if (!h) {
    close_handle(sftp, f);
    return h.error();
  }
  start = std::move(*h);
  return {};
}

void SftpFollower::close_handle(ssh::SftpSession& sftp, std::optional<ssh::SftpFile>& f) {
  if (!f) return;
  (void)sftp.close(*f, deadline());
  f.reset();
}

Status SftpFollower::poll(Link& link) {
  full_pipeline_ = busy_;  // it stopped at its burst: there is more to read at once
  busy_ = false;
  got_before_ = status_.bytes - bytes_before_;
  bytes_before_ = status_.bytes;
  got_data_ = false;
  if (broken_) {
    look_.reset();
    restore_output();
  }
  if (broken_) return {};
  local_error_.reset();
  auto& sftp = *link.sftp;
  Status st = held_ ? follow_held(sftp) : open_path(sftp);
  if (local_error_) {
    fail_locally(*local_error_);
    return {};
  }
  if (!st && !transport(st.error(), sftp)) {  // a problem of the file: look again next poll
    set_state("error", cause(st.error()));
    close_handle(sftp, held_);
    return {};
  }
  return st;
}

Status SftpFollower::local(Status st) {
  if (!st) local_error_ = st.error();
  return st;
}

Status SftpFollower::open_path(ssh::SftpSession& sftp) {
  look_started_ = clock_.now();
  last_full_look_ = look_started_;
  auto a = look(sftp);
  if (!a) return a.error();
  if (a->kind != Kind::regular) {
    path_absent(*a);
    return {};
  }
  // (the open waits for the stat: opening a FIFO would block the server)
  auto opened = sftp.open(options_.remote, ssh::sftp::kRead, deadline());
  if (!opened) {
    if (transport(opened.error(), sftp)) return opened.error();
    path_absent(Attrs{Kind::unreadable});
    return {};
  }
  std::optional<ssh::SftpFile> file(std::move(*opened));
  // Its first bytes, the bytes before our offset and the first reads, in one round trip.
  auto head_read = sftp.ask_read(*file, 0, kFingerprintBytes);
  auto tail_read = ask_tail(sftp, *file);
  auto reads = ask_reads(sftp, *file, false);
  auto start = take_bytes(sftp, head_read);
  auto tail = start && tail_read ? take_bytes(sftp, tail_read) : Result<std::string>("");
  if (!start || !tail) {
    reads.reset();
    close_handle(sftp, file);
    return !start ? start.error() : tail.error();
  }
  if (generation_ == 0) {
    reads.reset();
    return start_generation(sftp, std::move(*file), *start, Event::started, "");
  }
  Probe p{*a, std::nullopt, std::nullopt, *start};
  const auto change = classify(identity_, out_->origin().offset, p);
  if (change == Change::grown || change == Change::unchanged) {
    held_ = std::move(file);
    identity_ = grow(identity_, *start);
    tail_ = std::move(*tail);
    tail_known_ = true;
    set_state("following", "");
    return read_to_eof(sftp, *held_, false, reads.get());
  }
  // Truncated or replaced while nobody watched: the rest of the old file may be in a copy.
  reads.reset();
  auto copy = finish_from_copy(sftp);
  if (!copy) {
    close_handle(sftp, file);
    return copy.error();
  }
  Event e = change == Change::truncated ? (copy->empty() ? Event::truncated : Event::copytruncated)
                                        : (copy->empty() ? Event::replaced : Event::rotated);
  return start_generation(sftp, std::move(*file), *start, e, *copy);
}

bool SftpFollower::wants_full_look() const {
  const bool quiet = last_path_ && last_path_->trusted;
  const bool full_due = !last_full_look_ || clock_.now() - *last_full_look_ >= options_.poll;
  return !(tail_known_ && !draining_ && (quiet || !full_due));
}

SftpFollower::Look SftpFollower::ask_look(ssh::SftpSession& sftp, bool full, bool ahead) {
  Look l;
  l.asked = clock_.now();
  l.full = full;
  // A full look: the path's stat, then the held file's (after it, as classify() wants), its
  // first bytes, the bytes before the offset, and the first reads from the offset. A short one:
  // the stat, the bytes before the offset (and the first bytes of a file shorter than the
  // fingerprint: its identity still grows), and the reads.
  l.stat = sftp.ask_stat(options_.remote);
  if (l.full) l.fstat = sftp.ask_fstat(*held_);
  if (l.full || identity_.length < kFingerprintBytes)
    l.head = sftp.ask_read(*held_, 0, kFingerprintBytes);
  l.tail = ask_tail(sftp, *held_);
  l.reads = ask_reads(sftp, *held_, ahead);
  return l;
}

void SftpFollower::ask(Link& link) {
  if (link.sftp == nullptr || !held_ || broken_ || look_) return;
  look_ = ask_look(*link.sftp, wants_full_look(), true);
}

Status SftpFollower::short_look(ssh::SftpSession& sftp, Look& l, bool& done) {
  done = false;
  const auto offset = out_->origin().offset;
  auto a = path_attrs(sftp, l.stat);
  if (!a) return a.error();
  if (l.head) {
    auto h = take_bytes(sftp, l.head);
    if (!h) return h.error();
    if (h->size() < identity_.length || !same_start(identity_, *h)) return {};  // truncated?
    identity_ = grow(identity_, *h);
  }
  if (l.tail) {
    auto t = take_bytes(sftp, l.tail);
    if (!t) return t.error();
    if (*t != tail_) return {};  // rewritten before the offset: a full look decides
  }
  // The held file still ends, at the offset, with the bytes we copied: what follows is its own.
  if (auto st = read_to_eof(sftp, *held_, false, l.reads.get()); !st) return st;
  if (got_data_ || busy_) {
    last_path_.reset();  // (the path is looked at fully again within a poll interval)
    done = true;
    return {};
  }
  // Nothing new in the held file. A quiet path that looks as it did needs nothing more; one that
  // changed (rotated?) needs a full look at once.
  done = !(last_path_ && last_path_->trusted) ||
         (same_attrs(*a, last_path_->attrs) && a->size == offset);
  return {};
}

Status SftpFollower::follow_held(ssh::SftpSession& sftp) {
  Look l = look_ ? std::move(*look_) : ask_look(sftp, wants_full_look(), false);
  look_.reset();
  if (!l.full) {
    look_started_ = l.asked;
    bool done = false;
    if (auto st = short_look(sftp, l, done); !st || done) return st;
    l = ask_look(sftp, true, false);
  }
  look_started_ = l.asked;
  last_full_look_ = l.asked;
  const auto offset = out_->origin().offset;
  auto a = path_attrs(sftp, l.stat);
  if (!a) return a.error();
  auto ha = sftp.take_attrs(l.fstat, deadline());
  if (!ha) return ha.error();
  auto hh = take_bytes(sftp, l.head);
  if (!hh) return hh.error();
  auto tail = l.tail ? take_bytes(sftp, l.tail) : Result<std::string>("");
  if (!tail) return tail.error();
  auto& reads = l.reads;
  Probe p{*a, to_attrs(*ha), *hh, std::nullopt};
  auto change = classify(identity_, offset, p);
  std::optional<ssh::SftpFile> other;  // the file the path names, if opened
  std::string other_head;
  if (change == Change::need_path_head) {
    if (auto st = open_with_head(sftp, other, other_head); !st) return st;
    if (!other) {
      change = Change::unreadable;  // (it vanished or became unreadable between the looks)
    } else {
      p.path_head = other_head;
      change = classify(identity_, offset, p);
      if (change != Change::rotated) close_handle(sftp, other);
    }
  }
  if (change != Change::truncated) {  // the held file is ours up to the offset
    tail_ = std::move(*tail);
    tail_known_ = true;
  }

  switch (change) {
    case Change::truncated: {
      // The held file itself lost bytes. copytruncate left the rest in a copy; then the file
      // starts over: a new generation on the same handle.
      reads.reset();
      close_handle(sftp, other);
      auto copy = finish_from_copy(sftp);
      if (!copy) return copy.error();
      ssh::SftpFile same = std::move(*held_);
      held_.reset();
      return start_generation(sftp, std::move(same), *hh,
                              copy->empty() ? Event::truncated : Event::copytruncated, *copy);
    }
    case Change::grown:
    case Change::unchanged: {
      draining_ = false;
      identity_ = grow(identity_, *hh);
      set_state("following", "");
      auto st = read_to_eof(sftp, *held_, false, reads.get());
      if (st && !busy_) {
        const bool same = last_path_ && same_attrs(*a, last_path_->attrs) && a->size == offset &&
                          out_->origin().offset == offset;
        // Server times bound by ours: the first look's answer came after the host's stat, this
        // look was asked for before it; whatever the round trips took.
        if (!same)
          last_path_ = QuietPath{*a, clock_.now(), false};
        else if (look_started_ - last_path_->since >= kMtimeGranularity)
          last_path_->trusted = true;
      }
      return st;
    }
    case Change::rotated: {
      // Has the writer moved on to the new file? As seen *before* the held file is read to its
      // end below: by the first bytes read through `other` (the path's stat may predate the
      // rename), else by the path's stat (larger than the held file: already the new file).
      const bool moved_on = other ? !other_head.empty() : a->size > 0;
      draining_ = true;
      last_path_.reset();
      // The held file must be read to its end after that sign: the reads asked for with the
      // stat were answered before `other` was looked at, so they are asked for again.
      if (other) reads.reset();
      auto st = read_to_eof(sftp, *held_, false, reads.get());
      reads.reset();
      if (!st || busy_ || !moved_on) {
        close_handle(sftp, other);
        if (st && !busy_)
          set_state("draining", "the path names a new, empty file; the old one is read meanwhile");
        return st;
      }
      // The new file had data before the old one was read to its end just now: the writer has
      // moved on, the old file is complete.
      if (!other) {
        if (auto opened = open_with_head(sftp, other, other_head); !opened || !other) return opened;
      }
      ssh::SftpFile next = std::move(*other);
      return start_generation(sftp, std::move(next), other_head, Event::rotated, "");
    }
    default:  // missing, unreadable, not regular: finish the held file meanwhile
      close_handle(sftp, other);
      draining_ = true;
      last_path_.reset();
      path_absent(*a);
      return read_to_eof(sftp, *held_, false, reads.get());
  }
}

void SftpFollower::appended(std::string_view bytes) {
  status_.bytes += bytes.size();
  last_growth_ = clock_.now();
  got_data_ = true;
  if (bytes.size() >= kTailBytes) {
    tail_.assign(bytes.substr(bytes.size() - kTailBytes));
  } else {
    tail_.append(bytes);
    if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
  }
}

Status SftpFollower::read_to_eof(ssh::SftpSession& sftp, const ssh::SftpFile& f, bool unlimited,
                                 ssh::SftpRead* started) {
  const std::uint64_t budget =
      unlimited ? std::numeric_limits<std::uint64_t>::max() : options_.burst;
  std::optional<ssh::SftpRead> own;
  if (started == nullptr) {
    own.emplace(sftp, f, out_->origin().offset, budget, options_.tuning);
    own->start();
    started = &*own;
  }
  auto sink = [this](std::string_view b) -> Status {
    appended(b);
    return local(out_->append(b));
  };
  auto r = started->run(sink, options_.op_timeout);  // (a liveness bound for each reply)
  if (got_data_) status_.last_data = clock_.wall_now();
  if (!r) return r.error();
  if (auto st = local(out_->flush()); !st) return st;
  if (!r->eof && !r->short_end) {  // stopped at the burst: more to read
    busy_ = true;
    return {};
  }
  // An incomplete last line waits for its end, at most partial_wait: counted from when this look
  // was asked for (the host found nothing more after it), not from when its answer came.
  if (out_->pending() > 0 && look_started_ - last_growth_ >= options_.partial_wait)
    return local(out_->finish());
  return {};
}

Result<std::string> SftpFollower::finish_from_copy(ssh::SftpSession& sftp) {
  const auto offset = out_->origin().offset;
  for (const auto& name :
       rotated_names(options_.remote, options_.rotated_patterns, clock_.wall_now())) {
    auto a = sftp.stat(name, deadline());
    if (!a) {
      if (transport(a.error(), sftp)) return a.error();
      continue;
    }
    const Attrs at = to_attrs(*a);
    if (at.kind != Kind::regular || at.size < offset) continue;
    auto f = sftp.open(name, ssh::sftp::kRead, deadline());
    if (!f) {
      if (transport(f.error(), sftp)) return f.error();
      continue;
    }
    std::optional<ssh::SftpFile> copy(std::move(*f));
    auto h = head(sftp, *copy);
    if (!h || !is_copy_of(identity_, offset, at, *h)) {
      close_handle(sftp, copy);
      if (!h && transport(h.error(), sftp)) return h.error();
      continue;
    }
    Status st = local(out_->set_origin({name, generation_, offset}));
    if (st) st = read_to_eof(sftp, *copy, true);
    close_handle(sftp, copy);
    if (!st) return st.error();
    spdlog::info("{}: read {} bytes after offset {} from the rotated copy {}", options_.remote,
                 out_->origin().offset - offset, offset, name);
    return name;
  }
  return std::string();
}

Status SftpFollower::start_generation(ssh::SftpSession& sftp, ssh::SftpFile file,
                                      std::string_view start, Event event,
                                      const std::string& copy) {
  const auto prev = generation_;
  const auto prev_off = out_->origin().offset;
  if (auto st = local(out_->finish()); !st) return st;
  close_handle(sftp, held_);
  generation_ = new_generation();
  identity_ = identify(start);
  if (auto st = local(out_->set_origin({options_.remote, generation_, 0})); !st) return st;
  tail_.clear();  // (nothing before offset 0)
  tail_known_ = true;
  const auto name = event_name(static_cast<int>(event));
  std::vector<vault::Field> fields{{"event", std::string(name)}};
  if (prev != 0) {
    fields.push_back({"prev-fid", generation_hex(prev)});
    fields.push_back({"prev-off", std::to_string(prev_off)});
  }
  if (!copy.empty()) fields.push_back({"copy", copy});
  if (auto st = local(out_->mark(fields)); !st) return st;
  if (auto st = local(save(true)); !st) return st;  // the new generation, before any bytes
  held_ = std::move(file);
  draining_ = false;
  last_path_.reset();

  status_.last_event = std::string(name);
  status_.last_event_time = clock_.wall_now();
  switch (event) {
    case Event::started:
      spdlog::info("{}: following from offset 0 (new file)", options_.remote);
      break;
    case Event::rotated:
      ++status_.rotations;
      spdlog::info(
          "{}: rotated; the old file was read to its end ({} bytes{}{}), following the "
          "new one from 0",
          options_.remote, prev_off, copy.empty() ? "" : ", the rest from ", copy);
      break;
    case Event::copytruncated:
      ++status_.copytruncations;
      spdlog::info("{}: truncated (copytruncate); the rest was read from {}, reading from 0 again",
                   options_.remote, copy);
      break;
    case Event::truncated:
      ++status_.truncations;
      spdlog::warn(
          "{}: truncated at offset {} and no rotated copy found: lines written between "
          "the last read and the truncation, if any, are lost; reading from 0 again",
          options_.remote, prev_off);
      break;
    case Event::replaced:
      ++status_.replaced;
      spdlog::warn(
          "{}: now names another file and the old one was not found (patterns: {}): its "
          "bytes after offset {}, if any, are lost; following the new file from 0",
          options_.remote, options_.rotated_patterns.size(), prev_off);
      break;
  }
  set_state("following", "");
  return read_to_eof(sftp, *held_, false);
}

void SftpFollower::disconnected() {
  look_.reset();
  held_.reset();
  closing_ = {};
  draining_ = false;
  busy_ = false;
  got_data_ = false;
  last_path_.reset();
  tail_known_ = false;
  last_full_look_.reset();
}

Status SftpFollower::heartbeat(std::chrono::seconds interval,
                               const std::vector<vault::Field>& fields) {
  if (broken_) return {};
  if (auto st = write_heartbeat(interval, fields); !st) {
    fail_locally(st.error());
    return st;
  }
  return {};
}

void SftpFollower::ask_close(Link& link) {
  if (link.sftp && held_) closing_ = link.sftp->ask_close(*held_);
  held_.reset();
}

Status SftpFollower::close(Link& link, SteadyTime deadline) {
  Status st;
  if (link.sftp && held_) st = link.sftp->close(*held_, deadline);
  if (link.sftp && closing_) st = link.sftp->take_status(closing_, deadline);
  held_.reset();
  closing_ = {};
  return st;
}

FileStatus SftpFollower::status() const {
  FileStatus s = base_status();
  s.generation = generation_;
  s.offset = out_->resumable_offset();
  return s;
}

}  // namespace logship::follow
