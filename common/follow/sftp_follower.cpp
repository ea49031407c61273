#include "follow/sftp_follower.hpp"

namespace logship::follow {

namespace {

bool same_attrs(const Stat& a, const Stat& b) {
  return a.kind == b.kind && a.size == b.size && a.mtime == b.mtime && a.mode == b.mode;
}

}  // namespace

void SftpFollower::path_absent(const Stat& a) {
  switch (a.kind) {
    case Kind::missing:
      return set_state(held_ ? FileState::draining : FileState::missing,
                       "no such file; retrying" +
                           std::string(held_ ? " (the file held open is read meanwhile)" : ""));
    case Kind::unreadable:
      return set_state(FileState::unreadable, "permission denied; retrying");
    default:
      return set_state(FileState::not_regular, "the path names " + std::string(to_string(a.kind)) +
                                                   ", not a file; retrying");
  }
}

RemoteResult<Stat> SftpFollower::path_attrs(RemoteFiles& files, RemoteFiles::Asked& stat) {
  auto a = files.take_attrs(stat);
  if (a) {
    status_.remote_size = a->size;
    return to_stat(*a);
  }
  if (!a.error().of_file()) return a.error();
  Stat r;
  switch (a.error().problem) {
    case FileProblem::no_such_file: {
      auto l = files.lstat(options_.remote);
      if (!l && !l.error().of_file()) return l.error();
      r.kind = l && l->type == ssh::FileType::symlink ? Kind::dangling_symlink : Kind::missing;
      return r;
    }
    default:
      r.kind = Kind::unreadable;
      return r;
  }
}

RemoteResult<Stat> SftpFollower::look(RemoteFiles& files) {
  auto stat = files.ask_stat(options_.remote);
  return path_attrs(files, stat);
}

RemoteResult<std::string> SftpFollower::head(RemoteFiles& files, const ssh::SftpFile& f) {
  auto read = files.ask_read(f, 0, kFingerprintBytes);
  return files.take_bytes(read);
}

RemoteFiles::Asked SftpFollower::ask_tail(RemoteFiles& files, const ssh::SftpFile& f) {
  const auto offset = out_->origin().offset;
  const auto n = std::min<std::uint64_t>(offset, kTailBytes);
  if (n == 0) return {};
  return files.ask_read(f, offset - n, static_cast<std::uint32_t>(n));
}

std::unique_ptr<RemoteRead> SftpFollower::ask_reads(RemoteFiles& files, const ssh::SftpFile& f,
                                                    bool ahead) {
  auto r = files.read(f, out_->origin().offset, options_.burst, options_.tuning);
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

RemoteStatus SftpFollower::open_with_head(RemoteFiles& files, std::optional<ssh::SftpFile>& f,
                                          std::string& start) {
  auto opened = files.open(options_.remote);
  if (!opened) return opened.error().of_file() ? RemoteStatus() : RemoteStatus(opened.error());
  f = std::move(*opened);
  auto h = head(files, *f);
  if (!h) {
    close_handle(files, f);
    return h.error();
  }
  start = std::move(*h);
  return {};
}

void SftpFollower::close_handle(RemoteFiles& files, std::optional<ssh::SftpFile>& f) {
  if (!f) return;
  (void)files.close(*f, std::nullopt);
  f.reset();
}

Result<void> SftpFollower::poll(Link& link) {
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
  auto& files = *link.files;
  RemoteStatus st = held_ ? follow_held(files) : open_path(files);
  if (local_error_) {
    fail_locally(*local_error_);
    return {};
  }
  if (!st && st.error().of_file()) {  // a problem of the file: look again next poll
    set_state(FileState::error, cause(st.error().error));
    close_handle(files, held_);
    return {};
  }
  return st ? Result<void>() : Result<void>(st.error().error);
}

RemoteStatus SftpFollower::open_path(RemoteFiles& files) {
  look_started_ = clock_.now();
  last_full_look_ = look_started_;
  auto a = look(files);
  if (!a) return a.error();
  if (a->kind != Kind::regular) {
    path_absent(*a);
    return {};
  }
  // (the open waits for the stat: opening a FIFO would block the server)
  auto opened = files.open(options_.remote);
  if (!opened) {
    if (!opened.error().of_file()) return opened.error();
    path_absent(Stat{Kind::unreadable});
    return {};
  }
  std::optional<ssh::SftpFile> file(std::move(*opened));
  // Its first bytes, the bytes before our offset and the first reads, in one round trip.
  auto head_read = files.ask_read(*file, 0, kFingerprintBytes);
  auto tail_read = ask_tail(files, *file);
  auto reads = ask_reads(files, *file, false);
  auto start = files.take_bytes(head_read);
  auto tail = start && tail_read ? files.take_bytes(tail_read) : RemoteResult<std::string>("");
  if (!start || !tail) {
    reads.reset();
    close_handle(files, file);
    return !start ? start.error() : tail.error();
  }
  if (generation_ == 0) {
    reads.reset();
    return start_generation(files, std::move(*file), *start, FileEvent::started, "");
  }
  Probe p{*a, std::nullopt, std::nullopt, *start};
  const auto change = classify(identity_, out_->origin().offset, p);
  if (change == Change::grown || change == Change::unchanged) {
    held_ = std::move(file);
    identity_ = grow(identity_, *start);
    tail_ = std::move(*tail);
    tail_known_ = true;
    set_state(FileState::following, "");
    return read_to_eof(files, *held_, false, reads.get());
  }
  // Truncated or replaced while nobody watched: the rest of the old file may be in a copy.
  reads.reset();
  auto copy = finish_from_copy(files);
  if (!copy) {
    close_handle(files, file);
    return copy.error();
  }
  FileEvent e = change == Change::truncated
                    ? (copy->empty() ? FileEvent::truncated : FileEvent::copytruncated)
                    : (copy->empty() ? FileEvent::replaced : FileEvent::rotated);
  return start_generation(files, std::move(*file), *start, e, *copy);
}

bool SftpFollower::wants_full_look() const {
  const bool quiet = last_path_ && last_path_->trusted;
  const bool full_due = !last_full_look_ || clock_.now() - *last_full_look_ >= options_.poll;
  return !(tail_known_ && !draining_ && (quiet || !full_due));
}

SftpFollower::Look SftpFollower::ask_look(RemoteFiles& files, bool full, bool ahead) {
  Look l;
  l.asked = clock_.now();
  l.full = full;
  // A full look: the path's stat, then the held file's (after it, as classify() wants), its
  // first bytes, the bytes before the offset, and the first reads from the offset. A short one:
  // the stat, the bytes before the offset (and the first bytes of a file shorter than the
  // fingerprint: its identity still grows), and the reads.
  l.stat = files.ask_stat(options_.remote);
  if (l.full) l.fstat = files.ask_fstat(*held_);
  if (l.full || identity_.length < kFingerprintBytes)
    l.head = files.ask_read(*held_, 0, kFingerprintBytes);
  l.tail = ask_tail(files, *held_);
  l.reads = ask_reads(files, *held_, ahead);
  return l;
}

void SftpFollower::ask(Link& link) {
  if (link.files == nullptr || !held_ || broken_ || look_) return;
  look_ = ask_look(*link.files, wants_full_look(), true);
}

RemoteStatus SftpFollower::short_look(RemoteFiles& files, Look& l, bool& done) {
  done = false;
  const auto offset = out_->origin().offset;
  auto a = path_attrs(files, l.stat);
  if (!a) return a.error();
  if (l.head) {
    auto h = files.take_bytes(l.head);
    if (!h) return h.error();
    if (h->size() < identity_.length || !same_start(identity_, *h)) return {};  // truncated?
    identity_ = grow(identity_, *h);
  }
  if (l.tail) {
    auto t = files.take_bytes(l.tail);
    if (!t) return t.error();
    if (*t != tail_) return {};  // rewritten before the offset: a full look decides
  }
  // The held file still ends, at the offset, with the bytes we copied: what follows is its own.
  if (auto st = read_to_eof(files, *held_, false, l.reads.get()); !st) return st;
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

RemoteStatus SftpFollower::follow_held(RemoteFiles& files) {
  Look l = look_ ? std::move(*look_) : ask_look(files, wants_full_look(), false);
  look_.reset();
  if (!l.full) {
    look_started_ = l.asked;
    bool done = false;
    if (auto st = short_look(files, l, done); !st || done) return st;
    l = ask_look(files, true, false);
  }
  look_started_ = l.asked;
  last_full_look_ = l.asked;
  const auto offset = out_->origin().offset;
  auto a = path_attrs(files, l.stat);
  if (!a) return a.error();
  auto ha = files.take_attrs(l.fstat);
  if (!ha) return ha.error();
  auto hh = files.take_bytes(l.head);
  if (!hh) return hh.error();
  auto tail = l.tail ? files.take_bytes(l.tail) : RemoteResult<std::string>("");
  if (!tail) return tail.error();
  auto& reads = l.reads;
  Probe p{*a, to_stat(*ha), *hh, std::nullopt};
  auto change = classify(identity_, offset, p);
  std::optional<ssh::SftpFile> other;  // the file the path names, if opened
  std::string other_head;
  if (change == Change::need_path_head) {
    if (auto st = open_with_head(files, other, other_head); !st) return st;
    if (!other) {
      change = Change::unreadable;  // (it vanished or became unreadable between the looks)
    } else {
      p.path_head = other_head;
      change = classify(identity_, offset, p);
      if (change != Change::rotated) close_handle(files, other);
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
      close_handle(files, other);
      auto copy = finish_from_copy(files);
      if (!copy) return copy.error();
      ssh::SftpFile same = std::move(*held_);
      held_.reset();
      return start_generation(files, std::move(same), *hh,
                              copy->empty() ? FileEvent::truncated : FileEvent::copytruncated,
                              *copy);
    }
    case Change::grown:
    case Change::unchanged: {
      draining_ = false;
      identity_ = grow(identity_, *hh);
      set_state(FileState::following, "");
      auto st = read_to_eof(files, *held_, false, reads.get());
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
      auto st = read_to_eof(files, *held_, false, reads.get());
      reads.reset();
      if (!st || busy_ || !moved_on) {
        close_handle(files, other);
        if (st && !busy_)
          set_state(FileState::draining,
                    "the path names a new, empty file; the old one is read meanwhile");
        return st;
      }
      // The new file had data before the old one was read to its end just now: the writer has
      // moved on, the old file is complete.
      if (!other) {
        if (auto opened = open_with_head(files, other, other_head); !opened || !other)
          return opened;
      }
      ssh::SftpFile next = std::move(*other);
      return start_generation(files, std::move(next), other_head, FileEvent::rotated, "");
    }
    default:  // missing, unreadable, not regular: finish the held file meanwhile
      close_handle(files, other);
      draining_ = true;
      last_path_.reset();
      path_absent(*a);
      return read_to_eof(files, *held_, false, reads.get());
  }
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

}  // namespace logship::follow
