#include "spool/spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace logship::spool {

namespace fs = std::filesystem;

namespace {

Error io_error(std::string msg) {
  return make_error(ErrorKind::io, std::move(msg));
}

}  // namespace

Spool::Spool(Options options, const Clock& clock) : opt_(std::move(options)), clock_(clock) {
  opt_.segment_bytes = std::max<std::uint64_t>(std::min(opt_.segment_bytes, opt_.max_bytes / 4),
                                               kSegmentHeaderSize + 4096);
  last_sync_ = clock_.now();
  syncer_ = std::make_unique<Syncer>(opt_.dir, opt_.fdatasync_fn, opt_.fsync_interval.count() > 0);
}

Spool::~Spool() {
  (void)sync();  // everything, including what the background sync owes
}

Result<std::unique_ptr<Spool>> Spool::open(Options options, const Clock& clock,
                                           Recovery* recovery) {
  std::error_code ec;
  if (!fs::exists(options.dir, ec)) {
    fs::create_directories(options.dir, ec);
    if (ec) return io_error("create spool directory " + options.dir.string() + ": " + ec.message());
    ::chmod(options.dir.c_str(), 0700);
  }
  std::unique_ptr<Spool> s(new Spool(std::move(options), clock));
  Recovery local;
  if (auto st = s->recover(recovery ? *recovery : local); !st) return st.error();
  return s;
}

Result<void> Spool::recover(Recovery& rec) {
  std::vector<std::pair<std::uint64_t, fs::path>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(opt_.dir, ec)) {
    if (auto id = parse_segment_file_name(e.path().filename().string()))
      found.emplace_back(*id, e.path());
  }
  if (ec) return io_error("list spool directory " + opt_.dir.string() + ": " + ec.message());
  std::sort(found.begin(), found.end());

  for (auto& [id, path] : found) {
    auto seg = std::make_unique<SegmentFile>();
    seg->first_id = id;
    seg->path = path;
    seg->fd = UniqueFd(::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC));
    if (!seg->fd.valid()) return io_error(errno_message("open spool segment", path));
    std::string head;
    auto got = pread_into(seg->fd.get(), 0, kSegmentHeaderSize, head, path);
    if (!got) return got.error();
    const auto hid = decode_segment_header(std::string_view(head).substr(0, *got));
    if (!hid || *hid != id) {
      rec.problems.push_back("spool segment " + path.string() +
                             " has no valid header; moved aside as .bad");
      fs::rename(path, path.string() + ".bad", ec);
      continue;
    }
    struct stat st {};
    ::fstat(seg->fd.get(), &st);
    seg->size = static_cast<std::uint64_t>(st.st_size);
    disk_bytes_ += seg->size;
    segments_.push_back(std::move(seg));
  }

  if (segments_.empty()) {
    runs_.trust_from(next_id_);
    return start_segment_locked(next_id_, true);
  }

  // Only the last segment can have been cut short by a crash: scan it, cut a torn tail.
  SegmentFile& last = *segments_.back();
  Scanner scan(last.fd.get(), last.path, kSegmentHeaderSize, last.size);
  std::uint64_t offset = kSegmentHeaderSize, last_id = 0;
  Record r;
  for (;;) {
    auto step = scan.next(r, false);
    if (!step) return step.error();
    if (*step != Scanner::Step::record || r.id <= last_id || r.id < last.first_id) break;
    offset = scan.offset();
    last_id = r.id;
  }
  if (offset < last.size) {
    rec.torn_bytes_cut = last.size - offset;
    rec.problems.push_back("spool segment " + last.path.string() + ": cut " +
                           std::to_string(rec.torn_bytes_cut) +
                           " bytes of an incomplete or damaged record at its end");
    if (::ftruncate(last.fd.get(), static_cast<off_t>(offset)) != 0)
      return io_error(errno_message("truncate", last.path));
    disk_bytes_ -= last.size - offset;
    last.size = offset;
  }
  next_id_ = std::max(last_id + 1, last.first_id);
  last.own_from = last.size;
  runs_.trust_from(next_id_);
  return {};
}

Result<void> Spool::start_segment_locked(std::uint64_t first_id, bool sync_dir_now) {
  auto seg = std::make_unique<SegmentFile>();
  seg->first_id = first_id;
  seg->path = opt_.dir / segment_file_name(first_id);
  seg->fd =
      UniqueFd(::open(seg->path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!seg->fd.valid()) return io_error(errno_message("create spool segment", seg->path));
  auto st = write_all(seg->fd.get(), encode_segment_header(first_id), seg->path);
  if (st && sync_dir_now) st = syncer_->sync_dir();
  if (!st) {
    ::unlink(seg->path.c_str());
    return st;
  }
  if (!sync_dir_now) syncer_->owe_dir();  // with the next due sync
  seg->size = kSegmentHeaderSize;
  seg->own_from = kSegmentHeaderSize;
  disk_bytes_ += seg->size;
  segments_.push_back(std::move(seg));
  return {};
}

Result<void> Spool::append(std::string_view line, bool partial) {
  return Appender(*this).append(line, partial);
}

Result<void> Spool::append_locked(std::string_view line, bool partial) {
  if (line.size() > kMaxRecordPayload)
    return make_error(ErrorKind::data, "spool record of " + std::to_string(line.size()) +
                                           " bytes exceeds the maximum; split lines first");
  if (buffer_.empty()) buffer_first_id_ = next_id_;
  append_record(buffer_, next_id_++, partial, line);  // sealed when written
  buffer_payload_ += line.size();
  if (buffer_.size() >= opt_.write_buffer ||
      segments_.back()->size + buffer_.size() >= opt_.segment_bytes)
    return flush_locked();
  return {};
}

Result<void> Spool::flush() {
  std::lock_guard lock(mu_);
  return flush_locked();
}

Result<void> Spool::sync() {
  std::unique_lock lock(mu_);
  if (auto st = write_locked(true); !st) return st;
  wait_for_syncer(lock);
  return sync_locked();
}

void Spool::wait_for_syncer(std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  syncer_->wait_idle();
  lock.lock();
}

Result<void> Spool::write_locked(bool sync_here) {
  if (!buffer_.empty()) {
    SegmentFile& seg = *segments_.back();
    seal_records(buffer_);
    Result<void> st = write_all(seg.fd.get(), buffer_, seg.path);
    if (!st) {
      // Lose the buffered records, not the segment: cut whatever part of them was written.
      std::string message = st.error().message;
      const bool torn = ::ftruncate(seg.fd.get(), static_cast<off_t>(seg.size)) != 0;
      if (torn)
        message +=
            "; cutting the partial write failed too: " + errno_message("ftruncate", seg.path);
      dropped_ += next_id_ - buffer_first_id_;
      buffer_.clear();
      buffer_payload_ = 0;
      // Records appended after torn bytes would be cut with them at the next start: the next
      // ones go to a segment of their own (the torn tail is then an older segment's damage,
      // found when read and counted, SPOOL.md).
      if (torn) {
        if (auto started = start_segment_locked(next_id_, sync_here); !started)
          message += "; " + started.error().message;
      }
      last_error_ = message;
      return st;
    }
    runs_.add(Run{buffer_first_id_, next_id_ - 1, buffer_payload_, seg.first_id, seg.size,
                  seg.size + buffer_.size()});
    seg.size += buffer_.size();
    disk_bytes_ += buffer_.size();
    buffer_.clear();
    buffer_payload_ = 0;
    last_error_.clear();
    unsynced_ = true;
    if (seg.size >= opt_.segment_bytes) {
      // Seal this segment and start the next; the new one holds the ids from next_id_ on.
      if (sync_here) {
        if (syncer_->fdatasync(seg.fd.get()) != 0)
          return io_error(errno_message("fsync", seg.path));
      } else if (auto owed = syncer_->owe_segment(seg.fd.get(), seg.path); !owed) {
        return owed;  // with the next due sync
      }
      if (auto started = start_segment_locked(next_id_, sync_here); !started) return started;
    }
    enforce_limit_locked();
  }
  return {};
}

Result<void> Spool::flush_locked() {
  // fsync here, in the caller, or leave it to the background sync
  const bool sync_here = !syncer_->background();
  if (auto st = write_locked(sync_here); !st) return st;
  const auto now = clock_.now();
  // A background sync that failed is tried again when due, even with nothing new written.
  const bool owed = unsynced_ || syncer_->retry_owed();
  if (owed && now - last_sync_ >= opt_.fsync_interval) {
    SegmentFile& seg = *segments_.back();
    if (sync_here) {
      if (syncer_->fdatasync(seg.fd.get()) != 0) return io_error(errno_message("fsync", seg.path));
    } else {
      syncer_->due(seg.fd.get(), seg.path);
    }
    unsynced_ = false;
    last_sync_ = now;
  }
  return {};
}

Result<void> Spool::sync_locked() {
  if (auto st = write_locked(true); !st) return st;
  // After what the background sync is doing: all it owes, and the rest.
  SegmentFile& seg = *segments_.back();
  if (syncer_->sync_now(seg.fd.get(), seg.path, unsynced_)) last_sync_ = clock_.now();
  const std::string error = syncer_->error();
  unsynced_ = !error.empty();
  if (unsynced_) return io_error(error);
  return {};
}

void Spool::enforce_limit_locked() {
  while (disk_bytes_ > opt_.max_bytes) {
    // The oldest segment that holds nothing in flight; never the one being written.
    std::size_t victim = segments_.size();
    for (std::size_t i = 0; i + 1 < segments_.size(); ++i) {
      const std::uint64_t last_id = segments_[i + 1]->first_id - 1;
      const bool in_flight = segments_[i]->first_id <= pinned_ && last_id > released_;
      if (!in_flight) {
        victim = i;
        break;
      }
    }
    if (victim == segments_.size()) return;  // everything left is in flight or being written
    const std::uint64_t first = std::max(segments_[victim]->first_id, released_ + 1);
    const std::uint64_t last = segments_[victim + 1]->first_id - 1;
    if (last >= first) dropped_ += last - first + 1;
    drop_segment_locked(victim);
  }
}

void Spool::drop_segment_locked(std::size_t index) {
  SegmentFile& seg = *segments_[index];
  runs_.drop_segment(seg.first_id);
  syncer_->forget(seg.path);  // a deleted segment needs no fsync
  ::unlink(seg.path.c_str());
  disk_bytes_ -= seg.size;
  segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(index));
}

Result<void> Spool::read_slice(Cursor& c, std::uint64_t through, std::size_t max_bytes,
                               std::size_t max_records, Slice& out, bool verify, bool pin) {
  std::lock_guard lock(mu_);
  (void)flush_locked();  // a failure loses the buffered records: counted, kept in stats
  auto st = spool::read_slice(segments_, c, through, max_bytes, max_records, out, verify);
  if (st && pin && !out.records.empty()) pinned_ = std::max(pinned_, out.records.back().id);
  return st;
}

Result<std::optional<Plan>> Spool::plan(const Cursor& cursor, const SizeRule& rule) {
  std::lock_guard lock(mu_);
  (void)flush_locked();  // a failure loses the buffered records: counted, kept in stats
  auto p = runs_.plan(segments_, cursor, rule);
  if (p && *p && (*p)->first != 0) pinned_ = std::max(pinned_, (*p)->last);
  return p;
}

void Spool::pin(std::uint64_t through) {
  std::lock_guard lock(mu_);
  pinned_ = through;
}

Result<void> Spool::release(std::uint64_t through) {
  std::unique_lock lock(mu_);
  released_ = std::max(released_, through);
  if (released_ >= next_id_) wait_for_syncer(lock);  // may let appends in: decide after it
  if (released_ >= next_id_) {
    // The spool is behind what the vault already has (e.g. the directory was lost): go on
    // from there, so that no id is ever used twice.
    if (auto st = sync_locked(); !st) return st;
    next_id_ = released_ + 1;
    if (auto st = start_segment_locked(next_id_, true); !st) return st;
  }
  while (segments_.size() > 1 && segments_[1]->first_id - 1 <= released_) drop_segment_locked(0);
  return {};
}

std::uint64_t Spool::next_id() const {
  std::lock_guard lock(mu_);
  return next_id_;
}

Stats Spool::stats() const {
  std::lock_guard lock(mu_);
  return Stats{disk_bytes_ + buffer_.size(), next_id_ - 1 - std::min(released_, next_id_ - 1),
               dropped_, segments_.size(), last_error_.empty() ? syncer_->error() : last_error_};
}

}  // namespace logship::spool
