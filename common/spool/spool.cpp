#include "spool/spool.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

namespace logship::spool {

namespace fs = std::filesystem;

struct Spool::Segment {
  std::uint64_t first_id = 0;  // no record in it has a smaller id
  fs::path path;
  UniqueFd fd;
  std::uint64_t size = 0;        // bytes of valid data, header included
  std::uint64_t corrupt_at = 0;  // if non-zero: nothing at or after this offset is readable
  // This process wrote the segment from this offset on: its records there are not read back to
  // be checked (a crash or the disk may have damaged what an earlier run wrote, not these).
  std::uint64_t own_from = std::numeric_limits<std::uint64_t>::max();
};

namespace {

Error io_error(std::string msg) {
  return make_error(ErrorKind::io, std::move(msg));
}

// Reads up to n bytes at offset into a reused buffer, grown but never shrunk (no zero-filling
// on every read): the bytes read are the first ones of `buf`, fewer than n only at end of file.
Result<std::size_t> pread_into(int fd, std::uint64_t offset, std::size_t n, std::string& buf,
                               const fs::path& p) {
  if (buf.size() < n) buf.resize(n);
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error(errno_message("read", p));
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

// Reads exactly up to n bytes at offset (fewer only at end of file).
Result<std::string> pread_some(int fd, std::uint64_t offset, std::size_t n, const fs::path& p) {
  std::string buf;
  auto got = pread_into(fd, offset, n, buf, p);
  if (!got) return got.error();
  buf.resize(*got);
  return buf;
}

// Reads the records of one segment file in order, from `offset` up to `end`.
class Scanner {
 public:
  enum class Step { record, end, corrupt };
  static constexpr std::size_t kChunk = 256u << 10;  // bytes per read

  Scanner(int fd, const fs::path& path, std::uint64_t offset, std::uint64_t end)
      : fd_(fd), path_(path), off_(offset), end_(end) {}

  // The next record (payload copied if `copy`), the end, or damage at offset().
  Result<Step> next(Record& rec, bool copy) {
    for (;;) {
      if (off_ >= end_) return Step::end;
      const std::string_view avail = buffered();
      std::size_t n = 0;
      switch (decode_record(avail, rec, n, copy)) {
        case Decode::ok:
          off_ += n;
          return Step::record;
        case Decode::corrupt:
          return Step::corrupt;
        case Decode::need_more:
          break;
      }
      if (off_ + avail.size() >= end_) return Step::corrupt;  // the data ends inside a record
      std::size_t want = kChunk;
      if (avail.size() >= 8) {
        std::uint32_t len = 0;
        std::memcpy(&len, avail.data() + 4, sizeof len);
        want = std::max<std::size_t>(want, kRecordHeaderSize + len);
      }
      want = static_cast<std::size_t>(std::min<std::uint64_t>(want, end_ - off_));
      auto more = pread_some(fd_, off_, want, path_);
      if (!more) return more.error();
      if (more->size() < want) end_ = off_ + more->size();  // the file is shorter than thought
      buf_ = std::move(*more);
      buf_off_ = off_;
    }
  }
  std::uint64_t offset() const { return off_; }

 private:
  // The bytes read ahead from off_ on.
  std::string_view buffered() const {
    if (off_ < buf_off_ || off_ - buf_off_ > buf_.size()) return {};
    return std::string_view(buf_).substr(off_ - buf_off_);
  }

  int fd_;
  const fs::path& path_;
  std::uint64_t off_, end_;
  std::string buf_;
  std::uint64_t buf_off_ = 0;
};

}  // namespace

Spool::Spool(Options options, const Clock& clock) : opt_(std::move(options)), clock_(clock) {
  opt_.segment_bytes = std::max<std::uint64_t>(std::min(opt_.segment_bytes, opt_.max_bytes / 4),
                                               kSegmentHeaderSize + 4096);
  last_sync_ = clock_.now();
}

Spool::~Spool() {
  (void)sync();  // everything, including what the background sync owes
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  sync_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
}

int Spool::fdatasync_fd(int fd) const {
  return opt_.fdatasync_fn ? opt_.fdatasync_fn(fd) : ::fdatasync(fd);
}

Status Spool::sync_directory() const {
  UniqueFd fd(::open(opt_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return io_error(errno_message("open directory", opt_.dir));
  const int r = opt_.fdatasync_fn ? opt_.fdatasync_fn(fd.get()) : ::fsync(fd.get());
  if (r != 0) return io_error(errno_message("fsync", opt_.dir));
  return {};
}

void Spool::wait_for_syncer_locked() {
  std::unique_lock lock(mu_, std::adopt_lock);  // the caller's lock: wait with it, keep it
  sync_cv_.wait(lock, [&] { return !syncing_; });
  lock.release();
}

std::string Spool::sync_all(std::vector<SealedFd>& sealed, bool& dir, int current,
                            const fs::path& current_path) const {
  std::string error;
  std::erase_if(sealed, [&](const SealedFd& f) {
    if (fdatasync_fd(f.first.get()) == 0) return true;
    error = errno_message("fsync", f.second);
    return false;
  });
  if (dir) {
    if (auto st = sync_directory(); st)
      dir = false;
    else
      error = st.error().message;
  }
  if (current >= 0 && fdatasync_fd(current) != 0) error = errno_message("fsync", current_path);
  return error;
}

// The background sync: when a sync is due, takes what flush_locked() left owed, fsyncs it
// without the lock (a slow disk holds up nobody else), and records the outcome.
void Spool::syncer_main() {
  std::unique_lock lock(mu_);
  for (;;) {
    sync_cv_.wait(lock, [&] { return stopping_ || owed_.current; });
    if (stopping_) return;  // the destructor's sync() does what is left
    owed_.current = false;
    auto sealed = std::exchange(owed_.sealed, {});
    bool dir = std::exchange(owed_.dir, false);
    const Segment& seg = *segments_.back();
    const fs::path current_path = seg.path;
    UniqueFd current(::dup(seg.fd.get()));
    std::string error = current.valid() ? "" : errno_message("dup", seg.path);
    syncing_ = true;
    lock.unlock();
    if (auto e = sync_all(sealed, dir, current.get(), current_path); !e.empty()) error = e;
    current.reset();
    lock.lock();
    syncing_ = false;
    // What failed is owed again (a segment dropped meanwhile needs nothing), and the next
    // flush() is a due sync that tries it.
    for (auto& f : sealed) {
      const auto same = [&](const auto& g) { return g->path == f.second; };
      if (std::any_of(segments_.begin(), segments_.end(), same))
        owed_.sealed.push_back(std::move(f));
    }
    owed_.dir = owed_.dir || dir;
    sync_error_ = error;
    if (!error.empty()) unsynced_ = true;
    sealed.clear();
    sync_cv_.notify_all();
  }
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
  if (s->opt_.fsync_interval.count() > 0) {
    // The thread starts with every signal blocked: signals are for the program's own threads.
    struct BlockAll {
      sigset_t old;
      BlockAll() {
        sigset_t all;
        ::sigfillset(&all);
        ::pthread_sigmask(SIG_BLOCK, &all, &old);
      }
      ~BlockAll() { ::pthread_sigmask(SIG_SETMASK, &old, nullptr); }
    } blocked;
    s->syncer_ = std::thread([p = s.get()] { p->syncer_main(); });
  }
  return s;
}

Status Spool::recover(Recovery& rec) {
  std::vector<std::pair<std::uint64_t, fs::path>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(opt_.dir, ec)) {
    if (auto id = parse_segment_file_name(e.path().filename().string()))
      found.emplace_back(*id, e.path());
  }
  if (ec) return io_error("list spool directory " + opt_.dir.string() + ": " + ec.message());
  std::sort(found.begin(), found.end());

  for (auto& [id, path] : found) {
    auto seg = std::make_unique<Segment>();
    seg->first_id = id;
    seg->path = path;
    seg->fd = UniqueFd(::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC));
    if (!seg->fd.valid()) return io_error(errno_message("open spool segment", path));
    auto head = pread_some(seg->fd.get(), 0, kSegmentHeaderSize, path);
    if (!head) return head.error();
    const auto hid = decode_segment_header(*head);
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
    trusted_from_ = next_id_;
    return start_segment_locked(next_id_, true);
  }

  // Only the last segment can have been cut short by a crash: scan it, cut a torn tail.
  Segment& last = *segments_.back();
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
  trusted_from_ = next_id_;
  return {};
}

Status Spool::start_segment_locked(std::uint64_t first_id, bool sync_dir_now) {
  auto seg = std::make_unique<Segment>();
  seg->first_id = first_id;
  seg->path = opt_.dir / segment_file_name(first_id);
  seg->fd =
      UniqueFd(::open(seg->path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!seg->fd.valid()) return io_error(errno_message("create spool segment", seg->path));
  auto st = write_all(seg->fd.get(), encode_segment_header(first_id), seg->path);
  if (st && sync_dir_now) st = sync_directory();
  if (!st) {
    ::unlink(seg->path.c_str());
    return st;
  }
  if (!sync_dir_now) owed_.dir = true;  // with the next due sync
  seg->size = kSegmentHeaderSize;
  seg->own_from = kSegmentHeaderSize;
  disk_bytes_ += seg->size;
  segments_.push_back(std::move(seg));
  return {};
}

Status Spool::append(std::string_view line, bool partial) {
  return Appender(*this).append(line, partial);
}

Status Spool::append_locked(std::string_view line, bool partial) {
  if (line.size() > kMaxRecordPayload)
    return make_error(ErrorKind::data, "spool record of " + std::to_string(line.size()) +
                                           " bytes exceeds the maximum; split lines first");
  if (buffer_.empty()) buffer_first_id_ = next_id_;
  encode_record(buffer_, next_id_++, partial, line);
  buffer_payload_ += line.size();
  if (buffer_.size() >= opt_.write_buffer ||
      segments_.back()->size + buffer_.size() >= opt_.segment_bytes)
    return flush_locked(false);
  return {};
}

Status Spool::flush() {
  std::lock_guard lock(mu_);
  return flush_locked(false);
}

Status Spool::sync() {
  std::lock_guard lock(mu_);
  return flush_locked(true);
}

Status Spool::flush_locked(bool force_sync) {
  // fsync here, in the caller, or leave it owed to the background sync
  const bool sync_here = force_sync || !syncer_.joinable();
  if (!buffer_.empty()) {
    Segment& seg = *segments_.back();
    Status st = write_all(seg.fd.get(), buffer_, seg.path);
    if (!st) {
      // Lose the buffered records, not the segment: cut whatever part of them was written.
      std::string message = st.error().message;
      if (::ftruncate(seg.fd.get(), static_cast<off_t>(seg.size)) != 0)  // cut at the next start
        message +=
            "; cutting the partial write failed too: " + errno_message("ftruncate", seg.path);
      dropped_ += next_id_ - buffer_first_id_;
      buffer_.clear();
      buffer_payload_ = 0;
      last_error_ = message;
      return st;
    }
    add_run_locked(Run{buffer_first_id_, next_id_ - 1, buffer_payload_, seg.first_id, seg.size,
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
        if (fdatasync_fd(seg.fd.get()) != 0) return io_error(errno_message("fsync", seg.path));
      } else {
        UniqueFd dup(::dup(seg.fd.get()));
        if (!dup.valid()) return io_error(errno_message("dup", seg.path));
        owed_.sealed.emplace_back(std::move(dup), seg.path);  // with the next due sync
      }
      if (auto started = start_segment_locked(next_id_, sync_here); !started) return started;
    }
    enforce_limit_locked();
  }
  if (force_sync) {  // after what the background sync is doing, all it owes, and the rest
    wait_for_syncer_locked();
    const bool current = std::exchange(owed_.current, false) || unsynced_;
    Segment& seg = *segments_.back();
    sync_error_ = sync_all(owed_.sealed, owed_.dir, current ? seg.fd.get() : -1, seg.path);
    if (current) last_sync_ = clock_.now();
    unsynced_ = !sync_error_.empty();
    if (unsynced_) return io_error(sync_error_);
    return {};
  }
  const auto now = clock_.now();
  if (unsynced_ && now - last_sync_ >= opt_.fsync_interval) {
    if (sync_here) {
      Segment& seg = *segments_.back();
      if (fdatasync_fd(seg.fd.get()) != 0) return io_error(errno_message("fsync", seg.path));
    } else {
      owed_.current = true;
      sync_cv_.notify_all();
    }
    unsynced_ = false;
    last_sync_ = now;
  }
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

void Spool::add_run_locked(const Run& r) {
  if (!runs_.empty()) {
    Run& back = runs_.back();
    if (back.segment == r.segment && back.last + 1 == r.first && back.end == r.offset &&
        back.bytes < kRunBytes) {
      back.last = r.last;
      back.bytes += r.bytes;
      back.end = r.end;
      return;
    }
  }
  runs_.push_back(r);
}

void Spool::drop_segment_locked(std::size_t index) {
  Segment& seg = *segments_[index];
  const auto of_segment = [&](const Run& r) { return r.segment == seg.first_id; };
  const auto lo = std::find_if(runs_.begin(), runs_.end(), of_segment);
  runs_.erase(lo, std::find_if_not(lo, runs_.end(), of_segment));
  // A deleted segment needs no fsync: close its duplicates, so that its blocks are freed.
  std::erase_if(owed_.sealed, [&](const SealedFd& f) { return f.second == seg.path; });
  ::unlink(seg.path.c_str());
  disk_bytes_ -= seg.size;
  segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(index));
}

Result<std::vector<Record>> Spool::read(std::uint64_t after, std::size_t max_bytes,
                                        std::size_t max_records, bool pin) {
  std::lock_guard lock(mu_);
  (void)flush_locked(false);  // a failure loses the buffered records: counted, kept in stats
  auto result = read_locked(after, max_bytes, max_records);
  if (pin && result && !result->empty()) pinned_ = std::max(pinned_, result->back().id);
  return result;
}

Result<std::vector<Record>> Spool::read_locked(std::uint64_t after, std::size_t max_bytes,
                                               std::size_t max_records) {
  Cursor c = cursor_.after == after && after != 0 ? cursor_ : Cursor{after};
  std::vector<Record> out;
  std::size_t bytes = 0;
  Slice slice;
  while (out.size() < max_records && (out.empty() || bytes < max_bytes)) {
    const Cursor before = c;
    const std::size_t room = out.empty() ? max_bytes : max_bytes - bytes;
    if (auto st = read_slice_locked(c, std::numeric_limits<std::uint64_t>::max(), room,
                                    max_records - out.size(), slice, true);
        !st)
      return st.error();
    if (slice.records.empty()) break;
    if (!out.empty() && slice.records.front().id != out.back().id + 1) {  // a hole: stop before it
      c = before;
      break;
    }
    for (const auto& r : slice.records) {
      out.push_back(Record{r.id, r.partial, std::string(r.data)});
      bytes += r.data.size();
    }
  }
  cursor_ = c;
  return out;
}

std::size_t Spool::locate_locked(Cursor& c) const {
  if (c.segment != 0) {
    for (std::size_t i = 0; i < segments_.size(); ++i)
      if (segments_[i]->first_id == c.segment) return i;
  }
  std::size_t si = 0;
  while (si + 1 < segments_.size() && segments_[si + 1]->first_id <= c.after + 1) ++si;
  c.segment = segments_[si]->first_id;
  c.offset = kSegmentHeaderSize;
  return si;
}

Status Spool::read_slice(Cursor& c, std::uint64_t through, std::size_t max_bytes,
                         std::size_t max_records, Slice& out, bool verify, bool pin) {
  std::lock_guard lock(mu_);
  (void)flush_locked(false);  // a failure loses the buffered records: counted, kept in stats
  auto st = read_slice_locked(c, through, max_bytes, max_records, out, verify);
  if (st && pin && !out.records.empty()) pinned_ = std::max(pinned_, out.records.back().id);
  return st;
}

Status Spool::read_slice_locked(Cursor& c, std::uint64_t through, std::size_t max_bytes,
                                std::size_t max_records, Slice& out, bool verify) {
  out.records.clear();
  if (c.after >= through || max_records == 0) return {};
  std::size_t bytes = 0;
  bool done = false;
  for (std::size_t si = locate_locked(c); si < segments_.size() && !done; ++si) {
    Segment& seg = *segments_[si];
    if (seg.first_id != c.segment) c = Cursor{c.after, seg.first_id, kSegmentHeaderSize};
    std::uint64_t end = seg.corrupt_at ? seg.corrupt_at : seg.size;
    std::size_t want = kSliceBytes;
    while (!done && c.offset < end) {
      want = static_cast<std::size_t>(std::min<std::uint64_t>(want, end - c.offset));
      auto got = pread_into(seg.fd.get(), c.offset, want, out.bytes, seg.path);
      if (!got) return got.error();
      if (*got < want) end = c.offset + *got;  // the file is shorter than thought
      const std::string_view buf(out.bytes.data(), *got);
      std::size_t pos = 0;
      want = kSliceBytes;
      for (;;) {
        RecordView r;
        std::size_t n = 0;
        const bool check = verify && c.offset + pos < seg.own_from;
        const Decode d = decode_view(buf.substr(pos), r, n, check);
        if (d == Decode::need_more) {
          if (pos > 0) break;                  // read on from the record's start
          if (c.offset + buf.size() >= end) {  // the data ends inside a record
            seg.corrupt_at = end = c.offset;
          } else {  // one record larger than a slice: read it whole
            std::uint32_t len = 0;
            std::memcpy(&len, buf.data() + 4, sizeof len);
            want = kRecordHeaderSize + len;
          }
          break;
        }
        if (d == Decode::corrupt) {  // the rest of this segment is lost: its ids become a hole
          seg.corrupt_at = end = c.offset + pos;
          done = !out.records.empty();
          break;
        }
        if (r.id <= c.after) {  // before the cursor: scanning from the segment's start
          pos += n;
          continue;
        }
        const bool fits = out.records.empty() ||
                          (r.id == out.records.back().id + 1 && bytes + r.data.size() <= max_bytes);
        if (r.id > through || !fits) {
          done = true;
          break;
        }
        out.records.push_back(r);
        bytes += r.data.size();
        pos += n;
        if (r.id == through || out.records.size() >= max_records || bytes >= max_bytes) {
          done = true;
          break;
        }
      }
      c.offset += pos;
      if (!out.records.empty()) {
        c.after = out.records.back().id;
        done = true;  // one read per slice: its views point into out.bytes
      }
    }
  }
  return {};
}

Result<std::optional<Spool::Plan>> Spool::plan(const Cursor& cursor, std::uint64_t max_bytes,
                                               std::uint64_t max_records) {
  std::lock_guard lock(mu_);
  (void)flush_locked(false);  // a failure loses the buffered records: counted, kept in stats
  if (cursor.after + 1 < trusted_from_) return std::optional<Plan>();
  Plan p;
  Cursor c = cursor;
  std::uint64_t bytes = 0, lines = 0;
  auto it = std::partition_point(runs_.begin(), runs_.end(),
                                 [&](const Run& r) { return r.last <= c.after; });
  while (p.first == 0 || (bytes < max_bytes && lines < max_records)) {
    while (it != runs_.end() && it->last <= c.after) ++it;
    if (it == runs_.end()) {
      p.reached_end = true;
      break;
    }
    const Run& r = *it;
    if (p.first != 0 && r.first > c.after + 1) break;  // a hole: the next batch counts it
    // Where the run's records after c.after start, if known without reading: its start, or a
    // cursor inside it (a record boundary: every record before it is <= c.after).
    const bool at_start = c.after < r.first;
    const bool inside = c.segment == r.segment && c.offset > r.offset && c.offset <= r.end;
    if (at_start || inside) {
      const std::uint64_t taken = at_start ? 0 : c.after - r.first + 1;
      const std::uint64_t n = r.last - r.first + 1 - taken;
      const std::uint64_t b =
          at_start ? r.bytes : r.bytes - (c.offset - r.offset - taken * kRecordHeaderSize);
      if (lines + n <= max_records && bytes + b < max_bytes) {  // the whole rest of it fits
        if (p.first == 0) p.first = r.last - n + 1;
        p.last = r.last;
        bytes += b;
        lines += n;
        c = Cursor{r.last, r.segment, r.end};
        continue;
      }
    }
    // A limit falls inside this run, or where its records after c.after start is not known:
    // read it (through its last record), with the same rule as a batch read slice by slice.
    if (!inside) c = Cursor{c.after, r.segment, r.offset};  // records <= c.after are skipped
    const std::uint64_t room = max_bytes - std::min(bytes, max_bytes);
    if (auto st = read_slice_locked(c, r.last, static_cast<std::size_t>(room),
                                    static_cast<std::size_t>(max_records - lines), scratch_, false);
        !st)
      return st.error();
    if (scratch_.records.empty()) break;  // unreadable: what follows is planned next time
    if (p.first == 0) p.first = scratch_.records.front().id;
    p.last = scratch_.records.back().id;
    lines += scratch_.records.size();
    for (const auto& rec : scratch_.records) bytes += rec.data.size();
  }
  if (p.first != 0) pinned_ = std::max(pinned_, p.last);
  return std::optional<Plan>(p);
}

void Spool::pin(std::uint64_t through) {
  std::lock_guard lock(mu_);
  pinned_ = through;
}

Status Spool::release(std::uint64_t through) {
  std::lock_guard lock(mu_);
  released_ = std::max(released_, through);
  if (released_ >= next_id_) wait_for_syncer_locked();  // may let appends in: decide after it
  if (released_ >= next_id_) {
    // The spool is behind what the vault already has (e.g. the directory was lost): go on
    // from there, so that no id is ever used twice.
    if (auto st = flush_locked(true); !st) return st;
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
               dropped_, segments_.size(), last_error_.empty() ? sync_error_ : last_error_};
}

}  // namespace logship::spool
