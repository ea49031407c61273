#include "spool/spool.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <thread>

namespace logship::spool {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("logship-spool-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Options options(std::uint64_t max_bytes = 64ull << 20, std::uint64_t segment = 1ull << 20) {
    Options o;
    o.dir = dir_;
    o.max_bytes = max_bytes;
    o.segment_bytes = segment;
    return o;
  }
  std::unique_ptr<Spool> open(Options o, Recovery* rec = nullptr) {
    auto s = Spool::open(std::move(o), clock_, rec);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return s ? std::move(*s) : nullptr;
  }
  // The records after `after` that a batch of at most `max_bytes` of payload (at least one
  // record) and `max_records` takes, read as the shipper reads: slice by slice, each checked,
  // stopping before a hole.
  static std::vector<Record> read_batch(Spool& s, std::uint64_t after, std::size_t max_bytes,
                                        std::size_t max_records) {
    std::vector<Record> out;
    std::size_t bytes = 0;
    Cursor c{after};
    Slice slice;
    while (out.size() < max_records && (out.empty() || bytes < max_bytes)) {
      EXPECT_TRUE(s.read_slice(c, std::numeric_limits<std::uint64_t>::max(),
                               out.empty() ? max_bytes : max_bytes - bytes,
                               max_records - out.size(), slice, /*verify=*/true, /*pin=*/false));
      if (slice.records.empty()) break;
      if (!out.empty() && slice.records.front().id != out.back().id + 1) break;  // a hole
      for (const auto& r : slice.records) {
        out.push_back(Record{r.id, r.partial, std::string(r.data)});
        bytes += r.data.size();
      }
    }
    return out;
  }
  // All records after `after`, reading in batches of at most `batch` bytes.
  static std::vector<Record> read_all(Spool& s, std::uint64_t after, std::size_t batch = 4096) {
    std::vector<Record> all;
    for (;;) {
      auto r = read_batch(s, after, batch, 1000);
      if (r.empty()) return all;
      after = r.back().id;
      for (auto& rec : r) all.push_back(std::move(rec));
    }
  }
  static std::string line(std::uint64_t i) { return "line " + std::to_string(i) + " \x01\xff"; }

  // Appends lines first..last, then flushes them onto a full disk, injected as a file size
  // limit just above segment 1's size (write(2) fails with EFBIG); the flush's result.
  Result<void> flush_with_full_disk(Spool& s, int first, int last) {
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit small = old;
    small.rlim_cur = fs::file_size(dir_ / segment_file_name(1)) + 10;
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    for (int i = first; i <= last; ++i) EXPECT_TRUE(s.append(line(i)));
    auto st = s.flush();
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
    std::signal(SIGXFSZ, old_handler);
    return st;
  }

  // Records 1..10 and 21..25: 11..20 are lost to a full disk.
  void append_with_hole(Spool& s) {
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE(s.append(line(i)));
    ASSERT_TRUE(s.flush());
    ASSERT_FALSE(flush_with_full_disk(s, 11, 20));
    for (int i = 21; i <= 25; ++i) ASSERT_TRUE(s.append(line(i)));
  }

  fs::path dir_;
  ManualClock clock_;
};

TEST_F(SpoolTest, AppendReadInOrderAcrossSegments) {
  auto s = open(options(64ull << 20, 8192));
  for (int i = 1; i <= 5000; ++i) ASSERT_TRUE(s->append(line(i), i % 7 == 0));
  auto all = read_all(*s, 0);
  ASSERT_EQ(all.size(), 5000u);
  for (std::uint64_t i = 1; i <= 5000; ++i) {
    EXPECT_EQ(all[i - 1].id, i);
    EXPECT_EQ(all[i - 1].data, line(i));
    EXPECT_EQ(all[i - 1].partial, i % 7 == 0);
  }
  EXPECT_GT(s->stats().segments, 10u);
  EXPECT_EQ(s->stats().pending_records, 5000u);
}

TEST_F(SpoolTest, ReadRespectsLimitsButReturnsAtLeastOneRecord) {
  auto s = open(options());
  ASSERT_TRUE(s->append(std::string(10000, 'x')));
  ASSERT_TRUE(s->append("small"));
  auto r = read_batch(*s, 0, 100, 1000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r.front().data.size(), 10000u);
  r = read_batch(*s, 0, 1 << 20, 1);
  EXPECT_EQ(r.size(), 1u);
  r = read_batch(*s, 1, 1 << 20, 1000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r.front().data, "small");
}

TEST_F(SpoolTest, ReopenContinuesIdsAndReleaseDeletesSegments) {
  {
    auto s = open(options(64ull << 20, 8192));
    for (int i = 1; i <= 3000; ++i) ASSERT_TRUE(s->append(line(i)));
  }
  auto s = open(options(64ull << 20, 8192));
  EXPECT_EQ(s->next_id(), 3001u);
  const auto before = s->stats().segments;
  ASSERT_TRUE(s->release(2500));
  EXPECT_LT(s->stats().segments, before);
  EXPECT_EQ(s->stats().pending_records, 500u);
  auto rest = read_all(*s, 2500);
  ASSERT_EQ(rest.size(), 500u);
  EXPECT_EQ(rest.front().id, 2501u);
  ASSERT_TRUE(s->release(3000));
  EXPECT_EQ(s->stats().segments, 1u) << "the segment being written stays: it carries the ids";
  s.reset();
  s = open(options(64ull << 20, 8192));
  EXPECT_EQ(s->next_id(), 3001u);
}

TEST_F(SpoolTest, TornTailIsCutAndReported) {
  {
    auto s = open(options());
    for (int i = 1; i <= 100; ++i) ASSERT_TRUE(s->append(line(i)));
    ASSERT_TRUE(s->sync());
  }
  auto seg = dir_ / segment_file_name(1);
  const auto full = fs::file_size(seg);
  fs::resize_file(seg, full - 5);  // the last record loses its last 5 bytes
  Recovery rec;
  auto s = open(options(), &rec);
  EXPECT_GT(rec.torn_bytes_cut, 0u);
  ASSERT_EQ(rec.problems.size(), 1u);
  EXPECT_NE(rec.problems[0].find("cut"), std::string::npos);
  EXPECT_EQ(s->next_id(), 100u) << "record 100 was torn; its id is free again";
  ASSERT_TRUE(s->append("after"));
  auto all = read_all(*s, 0);
  ASSERT_EQ(all.size(), 100u);
  EXPECT_EQ(all[98].data, line(99));
  EXPECT_EQ(all[99].data, "after");
}

TEST_F(SpoolTest, GarbageAfterTheLastRecordIsCut) {
  {
    auto s = open(options());
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE(s->append(line(i)));
  }
  std::ofstream(dir_ / segment_file_name(1), std::ios::app) << "garbage that is not a record";
  Recovery rec;
  auto s = open(options(), &rec);
  EXPECT_EQ(rec.torn_bytes_cut, 28u);
  EXPECT_EQ(read_all(*s, 0).size(), 10u);
}

TEST_F(SpoolTest, DamageInAnOlderSegmentBecomesAHoleNotAnError) {
  {
    auto s = open(options(64ull << 20, 8192));
    for (int i = 1; i <= 2000; ++i) ASSERT_TRUE(s->append(line(i)));
  }
  // Flip a byte in the middle of the first segment.
  auto seg = dir_ / segment_file_name(1);
  std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(fs::file_size(seg) / 2));
  f.put('\x7f');
  f.close();
  auto s = open(options(64ull << 20, 8192));
  auto first = read_batch(*s, 0, 1 << 20, 100000);
  ASSERT_FALSE(first.empty());
  const auto stop = first.back().id;
  auto next = read_batch(*s, stop, 1 << 20, 100000);
  ASSERT_FALSE(next.empty());
  EXPECT_GT(next.front().id, stop + 1) << "the damaged records are a hole: counted as lost";
  EXPECT_EQ(next.front().data, line(next.front().id));
}

TEST_F(SpoolTest, FullSpoolDropsOldestUnpinnedAndTheHoleCountsThem) {
  auto s = open(options(64 * 1024, 8192));
  s->pin(10);  // records 1..10 are in a batch being sent
  const int n = 20000;
  for (int i = 1; i <= n; ++i) ASSERT_TRUE(s->append(line(i)));
  ASSERT_TRUE(s->flush());
  const auto st = s->stats();
  EXPECT_LE(st.disk_bytes, 64u * 1024 + 8192) << "bounded: the limit plus one segment";
  EXPECT_GT(st.dropped_records, 0u);

  auto batch = read_batch(*s, 0, 1 << 20, 10);
  ASSERT_EQ(batch.size(), 10u);
  EXPECT_EQ(batch.front().id, 1u) << "the pinned batch survived";
  // After the pinned segment, the loss shows as one hole whose size equals what was counted.
  std::uint64_t after = batch.back().id, holes = 0;
  for (auto all = read_all(*s, after); !all.empty(); all.clear()) {
    std::uint64_t prev = after;
    for (auto& r : all) {
      holes += r.id - prev - 1;
      EXPECT_EQ(r.data, line(r.id));
      prev = r.id;
    }
    EXPECT_EQ(prev, static_cast<std::uint64_t>(n)) << "the newest data is kept";
  }
  EXPECT_EQ(holes, st.dropped_records);
}

TEST_F(SpoolTest, ReleaseBeyondTheSpoolMovesIdsForward) {
  auto s = open(options());
  ASSERT_TRUE(s->append("a"));
  ASSERT_TRUE(s->release(5000));  // the vault has more than this spool knows (spool was lost)
  EXPECT_EQ(s->next_id(), 5001u);
  ASSERT_TRUE(s->append("b"));
  s.reset();
  s = open(options());
  EXPECT_EQ(s->next_id(), 5002u);
  auto all = read_all(*s, 5000);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].data, "b");
}

TEST_F(SpoolTest, LocalWriteFailureLosesOnlyBufferedRecordsAndCountsThem) {
  auto s = open(options());
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(s->append(line(i)));
  ASSERT_TRUE(s->flush());
  auto st = flush_with_full_disk(*s, 11, 20);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::io);
  EXPECT_EQ(s->stats().dropped_records, 10u);
  EXPECT_FALSE(s->stats().last_write_error.empty());

  ASSERT_TRUE(s->append(line(21)));
  ASSERT_TRUE(s->flush());
  EXPECT_TRUE(s->stats().last_write_error.empty());
  auto first = read_batch(*s, 0, 1 << 20, 1000);
  ASSERT_EQ(first.size(), 10u) << "records 1..10 intact; a read stops before the hole";
  auto rest = read_all(*s, 10);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, 21u) << "11..20 were lost: the hole counts them";
  s.reset();
  Recovery rec;
  s = open(options(), &rec);
  EXPECT_EQ(rec.torn_bytes_cut, 0u) << "the partial write was cut at once";
}

// Sets or clears the append-only attribute (chattr +a): ftruncate then fails, appends do not.
bool set_append_only(const fs::path& path, bool on) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int flags = 0;
  bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  flags = on ? (flags | FS_APPEND_FL) : (flags & ~FS_APPEND_FL);
  ok = ok && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  ::close(fd);
  return ok;
}

TEST_F(SpoolTest, ATornWriteThatCannotBeCutSendsLaterRecordsToANewSegment) {
  auto s = open(options());
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(s->append(line(i)));
  ASSERT_TRUE(s->flush());
  const auto seg = dir_ / segment_file_name(1);
  if (!set_append_only(seg, true))
    GTEST_SKIP() << "chattr +a is not available here (needs root and a file system with it)";
  ASSERT_FALSE(flush_with_full_disk(*s, 11, 20)) << "part of 11..20 written, the rest refused";
  ASSERT_TRUE(set_append_only(seg, false));
  EXPECT_NE(s->stats().last_write_error.find("cutting the partial write failed too"),
            std::string::npos)
      << s->stats().last_write_error;
  EXPECT_GT(fs::file_size(seg), 0u);
  for (int i = 21; i <= 25; ++i) ASSERT_TRUE(s->append(line(i)));
  ASSERT_TRUE(s->flush());
  s.reset();
  s = open(options());
  auto first = read_batch(*s, 0, 1 << 20, 1000);
  ASSERT_EQ(first.size(), 10u);
  auto rest = read_all(*s, 10);
  ASSERT_EQ(rest.size(), 5u) << "21..25 survive the restart: they do not follow the torn bytes";
  EXPECT_EQ(rest[0].id, 21u);
  EXPECT_EQ(rest[0].data, line(21));
}

TEST_F(SpoolTest, LargeRecordsRoundTrip) {
  auto s = open(options(256ull << 20, 4ull << 20));
  std::mt19937 rng(7);
  std::vector<std::string> lines;
  for (int i = 0; i < 12; ++i) {
    std::string l(static_cast<size_t>(1 << 20) + static_cast<size_t>(i), '\0');
    for (auto& c : l) c = static_cast<char>(rng());
    lines.push_back(l);
    ASSERT_TRUE(s->append(l, true));
  }
  s.reset();
  s = open(options(256ull << 20, 4ull << 20));
  auto all = read_all(*s, 0, 3 << 20);
  ASSERT_EQ(all.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(all[i].data, lines[i]) << i;
}

TEST_F(SpoolTest, SlicesAreViewsInOrderUpToThroughFromAnyCursor) {
  auto s = open(options(64ull << 20, 8192));
  for (int i = 1; i <= 5000; ++i) ASSERT_TRUE(s->append(line(i), i % 5 == 0));
  Cursor c;
  Slice slice;
  std::uint64_t next = 1;
  std::size_t slices = 0;
  for (;;) {
    ASSERT_TRUE(s->read_slice(c, 3000, 1 << 20, 100000, slice, /*verify=*/false, /*pin=*/false));
    if (slice.records.empty()) break;
    ++slices;
    for (const auto& r : slice.records) {
      ASSERT_EQ(r.id, next++);
      EXPECT_EQ(r.data, line(r.id));
      EXPECT_EQ(r.partial, r.id % 5 == 0);
    }
    EXPECT_EQ(c.after, slice.records.back().id);
  }
  EXPECT_EQ(next, 3001u) << "nothing after `through`";
  EXPECT_GT(slices, 10u) << "one read per slice, and a segment is 8 KiB";
  // A cursor that knows only an id finds its record by scanning that id's segment.
  Cursor fresh{1234};
  ASSERT_TRUE(s->read_slice(fresh, 5000, 1, 100000, slice, true, false));
  ASSERT_EQ(slice.records.size(), 1u) << "at least one record, at most max_bytes";
  EXPECT_EQ(slice.records[0].id, 1235u);
  ASSERT_TRUE(s->read_slice(fresh, 5000, 1 << 20, 3, slice, true, false));
  ASSERT_EQ(slice.records.size(), 3u);
  EXPECT_EQ(slice.records[0].id, 1236u);
  // A cursor into a segment that was released and deleted goes on from the oldest one left.
  ASSERT_TRUE(s->release(4000));
  ASSERT_TRUE(s->read_slice(c, 5000, 1 << 20, 100000, slice, true, false));
  ASSERT_FALSE(slice.records.empty());
  EXPECT_GT(slice.records[0].id, 3001u);
  EXPECT_LE(slice.records[0].id, 4001u) << "the segment holding 4001 is kept";
  EXPECT_EQ(slice.records[0].data, line(slice.records[0].id));
}

TEST_F(SpoolTest, SliceStopsBeforeAHoleAndGoesOnAfterIt) {
  auto s = open(options());
  ASSERT_NO_FATAL_FAILURE(append_with_hole(*s));
  Cursor c;
  Slice slice;
  ASSERT_TRUE(s->read_slice(c, 100, 1 << 20, 1000, slice, true, true));
  ASSERT_EQ(slice.records.size(), 10u);
  EXPECT_EQ(slice.records.back().id, 10u);
  ASSERT_TRUE(s->read_slice(c, 100, 1 << 20, 1000, slice, true, true));
  ASSERT_EQ(slice.records.size(), 5u);
  EXPECT_EQ(slice.records.front().id, 21u) << "11..20 are the hole";
}

// The size rule of ship::batch_room() with these limits: the room left in a batch.
SizeRule size_rule(std::uint64_t max_bytes, std::uint64_t max_records) {
  return [=](std::uint64_t records, std::uint64_t bytes) {
    return Room{max_records - std::min(records, max_records),
                max_bytes - std::min(bytes, max_bytes)};
  };
}

// The plan of a batch by reading it slice by slice, as for records of an earlier run.
Plan plan_by_reading(Spool& s, Cursor c, std::uint64_t max_bytes, std::uint64_t max_lines) {
  Plan p;
  std::uint64_t bytes = 0, lines = 0;
  Slice slice;
  while (p.first == 0 || (bytes < max_bytes && lines < max_lines)) {
    EXPECT_TRUE(s.read_slice(c, std::numeric_limits<std::uint64_t>::max(), max_bytes - bytes,
                             max_lines - lines, slice, true, false));
    p.reached_end = slice.records.empty();
    if (slice.records.empty() || (p.first != 0 && slice.records.front().id != p.last + 1)) break;
    if (p.first == 0) p.first = slice.records.front().id;
    p.last = slice.records.back().id;
    lines += slice.records.size();
    for (const auto& r : slice.records) bytes += r.data.size();
  }
  return p;
}

TEST_F(SpoolTest, PlanFromMemoryEqualsPlanByReading) {
  auto s = open(options(64ull << 20, 256u << 10));
  std::mt19937 rng(11);
  std::uint64_t id = 0;
  auto append_some = [&](int n) {
    for (int i = 0; i < n; ++i) {
      ++id;
      const std::size_t len = rng() % 16 == 0 ? 3000 + rng() % 5000 : rng() % 300;
      ASSERT_TRUE(s->append(std::string(len, static_cast<char>('a' + id % 26)), rng() % 9 == 0));
      if (rng() % 7 == 0) {
        ASSERT_TRUE(s->flush());  // runs of every length, segments too
      }
    }
  };
  append_some(6000);
  ASSERT_TRUE(s->flush());
  // Cursors of every kind: fresh (an id only) and exact (where a read stopped), all limits.
  const std::uint64_t limits[][2] = {{1, 1},           {100, 1000000},     {5000, 1000000},
                                     {1 << 20, 7},     {1 << 20, 1000000}, {70000, 333},
                                     {300000, 1000000}};
  Slice slice;
  for (std::uint64_t after = 0; after < id; after += 1 + rng() % 97) {
    Cursor fresh{after};
    Cursor exact{after > 0 ? after - 1 : 0};
    ASSERT_TRUE(s->read_slice(exact, after, 1 << 30, 1000000, slice, false, false));
    for (const auto& l : limits) {
      for (const Cursor& c : {fresh, exact}) {
        auto planned = s->plan(c, size_rule(l[0], l[1]));
        ASSERT_TRUE(planned);
        ASSERT_TRUE(planned->has_value()) << "every record was appended by this process";
        const Plan want = plan_by_reading(*s, c, l[0], l[1]);
        ASSERT_EQ((*planned)->first, want.first) << after << " " << l[0] << " " << l[1];
        ASSERT_EQ((*planned)->last, want.last) << after << " " << l[0] << " " << l[1];
        ASSERT_EQ((*planned)->reached_end, want.reached_end) << after;
      }
    }
  }
  // Reopened, the records are an earlier run's: planned by reading (and checking) them.
  s.reset();
  s = open(options(64ull << 20, 256u << 10));
  auto old = s->plan(Cursor{0}, size_rule(1 << 20, 1000));
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->has_value());
  ASSERT_TRUE(s->append("new"));
  auto fresh = s->plan(Cursor{id}, size_rule(1 << 20, 1000));
  ASSERT_TRUE(fresh && *fresh);
  EXPECT_EQ((*fresh)->first, id + 1);
}

TEST_F(SpoolTest, PlanFromMemoryStopsBeforeAHoleAndPins) {
  auto s = open(options());
  ASSERT_NO_FATAL_FAILURE(append_with_hole(*s));
  auto before = s->plan(Cursor{5}, size_rule(1 << 20, 1000));
  ASSERT_TRUE(before && *before);
  EXPECT_EQ((*before)->first, 6u);
  EXPECT_EQ((*before)->last, 10u);
  EXPECT_FALSE((*before)->reached_end) << "it stopped at the hole, not at the end";
  auto after = s->plan(Cursor{10}, size_rule(1 << 20, 1000));
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->first, 21u) << "11..20 are the hole: the batch's dropped count";
  EXPECT_EQ((*after)->last, 25u);
  EXPECT_TRUE((*after)->reached_end);
  auto none = s->plan(Cursor{25}, size_rule(1 << 20, 1000));
  ASSERT_TRUE(none && *none);
  EXPECT_EQ((*none)->first, 0u);
  EXPECT_TRUE((*none)->reached_end);
}

// A disk whose fdatasync(2) waits, once stick() was called, until the test opens it again.
class StuckDisk {
 public:
  void stick() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  int sync(int fd) {
    struct stat st {};
    const bool dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    std::unique_lock lock(mu_);
    ++(dir ? dir_calls_ : calls_);
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    return fail_ ? (errno = EIO, -1) : ::fdatasync(fd);
  }
  void open(bool fail = false) {
    std::lock_guard lock(mu_);
    open_ = true;
    fail_ = fail;
    cv_.notify_all();
  }
  bool wait_for_calls(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_ >= n; });
  }
  int calls() {  // of segment files
    std::lock_guard lock(mu_);
    return calls_;
  }
  int dir_calls() {  // of the spool directory
    std::lock_guard lock(mu_);
    return dir_calls_;
  }
  bool is_open() {
    std::lock_guard lock(mu_);
    return open_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0, dir_calls_ = 0;
  bool open_ = true, fail_ = false;
};

TEST_F(SpoolTest, AStuckFsyncHoldsUpNeitherAppendNorRead) {
  StuckDisk disk;
  auto o = options(64ull << 20, 64u << 10);  // small segments: several are sealed below
  o.write_buffer = 4096;
  o.fdatasync_fn = [&](int fd) { return disk.sync(fd); };
  auto s = open(o);
  ASSERT_TRUE(s);
  const int dir_syncs_at_open = disk.dir_calls();
  disk.stick();
  // Should an fsync run in the caller, it is unstuck after 10 s, and the test fails below.
  std::atomic<bool> done{false};
  std::jthread watchdog([&] {
    for (int i = 0; i < 1000 && !done; ++i) std::this_thread::sleep_for(10ms);
    if (!done) disk.open();
  });
  for (int i = 1; i <= 100; ++i) ASSERT_TRUE(s->append(line(i)));
  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(s->flush());  // an fsync is due: the background sync takes it, and is stuck
  ASSERT_TRUE(disk.wait_for_calls(1));

  // Meanwhile appends (sealing segments too), flushes and reads go on.
  for (int i = 101; i <= 20'000; ++i) ASSERT_TRUE(s->append(line(i)));
  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(s->flush());
  EXPECT_GT(s->stats().segments, 3u);
  const auto all = read_all(*s, 0, 1u << 20);
  ASSERT_EQ(all.size(), 20'000u);
  EXPECT_EQ(all.back().data, line(20'000));
  EXPECT_EQ(disk.calls(), 1);  // all of that without a second fsync, or waiting for the first
  EXPECT_FALSE(disk.is_open()) << "append, flush or read waited for the fsync";
  done = true;

  // sync() waits for the stuck one, then does what is owed: the sealed segments and the current.
  std::atomic<bool> synced{false};
  {
    std::jthread t([&] {
      EXPECT_TRUE(s->sync());
      synced = true;
    });
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(synced);
    disk.open();
  }
  EXPECT_TRUE(synced);
  EXPECT_GT(disk.calls(), 3);
  EXPECT_GT(disk.dir_calls(), dir_syncs_at_open);  // the segments created meanwhile
  EXPECT_EQ(s->stats().last_write_error, "");
}

TEST_F(SpoolTest, AForcedSyncDoesWhatTheBackgroundSyncStillOwes) {
  StuckDisk disk;
  auto o = options();
  o.fdatasync_fn = [&](int fd) { return disk.sync(fd); };
  auto s = open(o);
  ASSERT_TRUE(s);
  disk.stick();
  struct OpenAtExit {
    StuckDisk& d;
    ~OpenAtExit() { d.open(); }
  } unstick_at_exit{disk};  // a failed ASSERT must not leave the destructor stuck
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(s->append(line(i)));
  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(s->flush());
  ASSERT_TRUE(disk.wait_for_calls(1));  // the background sync is stuck on records 1..10
  for (int i = 11; i <= 20; ++i) ASSERT_TRUE(s->append(line(i)));
  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(s->flush());  // 11..20 are owed
  {
    std::jthread t([&] { EXPECT_TRUE(s->sync()); });
    OpenAtExit unstick{disk};
    std::this_thread::sleep_for(50ms);
  }
  // Whoever took it, the background sync or sync() itself, 11..20 were synced after they were
  // written: a second fsync of the segment.
  EXPECT_GE(disk.calls(), 2);

  // The same for the destructor, with nothing stuck.
  const int before = disk.calls();
  for (int i = 21; i <= 30; ++i) ASSERT_TRUE(s->append(line(i)));
  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(s->flush());
  s.reset();
  EXPECT_GT(disk.calls(), before);
}

TEST_F(SpoolTest, AFailedBackgroundFsyncIsReportedAndTriedAgainWhenDue) {
  StuckDisk disk;
  auto o = options(64ull << 20, 64u << 10);
  o.write_buffer = 4096;
  o.fdatasync_fn = [&](int fd) { return disk.sync(fd); };
  auto s = open(o);
  ASSERT_TRUE(s);
  disk.open(/*fail=*/true);
  for (int i = 1; i <= 5000; ++i) ASSERT_TRUE(s->append(line(i)));  // seals a few segments
  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(s->flush());
  std::string error;
  for (int i = 0; i < 1000 && error.empty(); ++i) {
    error = s->stats().last_write_error;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_NE(error.find("fsync"), std::string::npos) << error;
  std::this_thread::sleep_for(100ms);
  const int failed_once = disk.calls();
  EXPECT_GT(failed_once, 2);  // the sealed segments and the current one
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(disk.calls(), failed_once) << "a failing disk is retried in a loop";

  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(s->flush());  // the next due sync tries every one of them again
  const auto segments = static_cast<int>(s->stats().segments);  // the sealed ones, the current
  EXPECT_GT(segments, 2);
  EXPECT_TRUE(disk.wait_for_calls(failed_once + segments));
  EXPECT_EQ(s->stats().dropped_records, 0u);
  EXPECT_EQ(read_all(*s, 0, 1u << 20).size(), 5000u);

  const int calls = disk.calls();
  EXPECT_FALSE(s->sync());  // a forced sync tries again, and says so itself
  EXPECT_GT(disk.calls(), calls);
  disk.open();
  EXPECT_TRUE(s->sync());
  EXPECT_EQ(s->stats().last_write_error, "");
}

TEST_F(SpoolTest, DirectoryIsPrivateAndSegmentsAre0600) {
  auto s = open(options());
  ASSERT_TRUE(s->append("x"));
  ASSERT_TRUE(s->sync());
  EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(fs::status(dir_ / segment_file_name(1)).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace
}  // namespace logship::spool
