// Spool: the durable, bounded queue between the input and the network (docs/SPOOL.md).
// Every appended line gets the next record id; ids never repeat. A record that is lost
// (dropped because the spool is full, or never written because the local disk failed) leaves
// a hole in the ids, and a hole is how loss is counted: exactly, and across restarts.
// Thread-safe: one thread appends while another reads and releases.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "spool/segment.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/result.hpp"

namespace logship::spool {

struct Options {
  std::filesystem::path dir;
  std::uint64_t max_bytes = 256ull << 20;     // bytes on disk before the oldest data is dropped
  std::uint64_t segment_bytes = 16ull << 20;  // bytes; clamped to max_bytes / 4
  // ms; 0: fsync on every flush, in the caller. Otherwise a background thread fdatasyncs at
  // most this often (and completed segments), so that a slow disk never holds up append().
  std::chrono::milliseconds fsync_interval{1000};
  std::size_t write_buffer = 256u << 10;  // bytes buffered before a write(2)
  // fdatasync(2) of a segment, fsync(2) of the directory, if empty; tests inject a slow disk
  std::function<int(int)> fdatasync_fn{};
};

// What open() found and repaired.
struct Recovery {
  std::uint64_t torn_bytes_cut = 0;   // an incomplete last record, cut off
  std::vector<std::string> problems;  // one line each: what was wrong, where
};

struct Stats {
  std::uint64_t disk_bytes = 0;       // segment files, headers included
  std::uint64_t pending_records = 0;  // ids after the released point (holes included)
  std::uint64_t dropped_records = 0;  // lost since open: spool full or local write failure
  std::uint64_t segments = 0;
  std::string last_write_error;  // the latest local write failure, empty if none
};

// Where a sequential reader stands: every record before `offset` of the segment whose first id
// is `segment` has an id <= `after`, every record from there on a larger one. segment 0: not
// known yet (found by scanning the segment that holds after + 1).
struct Cursor {
  std::uint64_t after = 0;
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
};

// What read_slice() fills, reused from one slice to the next: the bytes of one read and views
// of the records in them (valid until the next read_slice into the same Slice).
struct Slice {
  std::vector<RecordView> records;
  std::string bytes;  // a read buffer: grows to the largest read, its tail is stale
};

class Spool {
 public:
  // Opens (creating if needed, mode 0700) the spool directory, and repairs a torn tail.
  static Result<std::unique_ptr<Spool>> open(Options options, const Clock& clock,
                                             Recovery* recovery = nullptr);
  ~Spool();

  // Adds one line (`partial`: a fragment with no newline after it). Never blocks on anything
  // but local disk. A failure to write loses the buffered records (counted) and is returned.
  Status append(std::string_view line, bool partial = false);

  // Holds the spool's lock while it lives, so that the lines of one input read are appended
  // under one lock, not one each. Keep it short-lived: the reader waits for it.
  class Appender {
   public:
    explicit Appender(Spool& spool) : spool_(spool), lock_(spool.mu_) {}
    Status append(std::string_view line, bool partial = false) {
      return spool_.append_locked(line, partial);
    }

   private:
    Spool& spool_;
    std::lock_guard<std::mutex> lock_;
  };
  // Writes buffered records to disk; when the interval has passed, has them fsynced (in the
  // background, unless the interval is 0).
  Status flush();
  // Writes buffered records and fsyncs now, with everything the background sync still owes.
  Status sync();

  // Records with id > `after`, in order, up to `max_bytes` of payload (always at least one
  // record when any exists) and `max_records`. Stops before a hole, so a batch never spans a
  // loss: the caller counts the loss as first.id - after - 1. With `pin`, the records read
  // are pinned (see pin()) in the same step, so none of them can be dropped in between.
  Result<std::vector<Record>> read(std::uint64_t after, std::size_t max_bytes,
                                   std::size_t max_records, bool pin = false);
  static constexpr std::size_t kSliceBytes = 256u << 10;  // bytes per read_slice pread

  // The records after cursor.after, through id `through`, from one read of about kSliceBytes:
  // at most `max_bytes` of payload (at least one record) and `max_records`. Stops before a hole
  // (the next call returns the records after it) and at the end (then `out` is empty).
  // Advances the cursor past what it returned. `verify`: check each record's CRC (damage ends
  // the segment's readable part, as in read()). `pin`: pin() what it returns in the same step.
  Status read_slice(Cursor& cursor, std::uint64_t through, std::size_t max_bytes,
                    std::size_t max_records, Slice& out, bool verify, bool pin);

  // The next batch: the records after cursor.after (the first may follow a hole), in order
  // without a hole, each taken while fewer than `max_bytes` of payload and `max_records` records
  // are taken before it; reached_end: no record was left. first 0: there was none.
  struct Plan {
    std::uint64_t first = 0, last = 0;
    bool reached_end = false;
  };
  // Plans that batch and pins it, from the runs this process appended (kept in memory), so the
  // batch is not read to be planned: only the run where a limit falls is read, one pread.
  // nullopt when records written before this process started may come first: plan those with
  // read_slice(), which checks them.
  Result<std::optional<Plan>> plan(const Cursor& cursor, std::uint64_t max_bytes,
                                   std::uint64_t max_records);

  // Records with id <= `through` must survive: they are in a batch being sent.
  void pin(std::uint64_t through);
  // The vault holds every record with id <= `through`: their segments may go.
  Status release(std::uint64_t through);

  std::uint64_t next_id() const;  // the id the next append gets
  Stats stats() const;

 private:
  struct Segment;
  // Records this process appended: ids first..last, every one present, one after another in
  // segment `segment` from byte `offset` to `end`, with `bytes` of payload.
  struct Run {
    std::uint64_t first = 0, last = 0, bytes = 0, segment = 0, offset = 0, end = 0;
  };
  static constexpr std::uint64_t kRunBytes = kSliceBytes;  // payload bytes a run grows to

  Spool(Options options, const Clock& clock);
  Status recover(Recovery& recovery);
  Status append_locked(std::string_view line, bool partial);
  Result<std::vector<Record>> read_locked(std::uint64_t after, std::size_t max_bytes,
                                          std::size_t max_records);
  Status flush_locked(bool force_sync);
  Status read_slice_locked(Cursor& cursor, std::uint64_t through, std::size_t max_bytes,
                           std::size_t max_records, Slice& out, bool verify);
  std::size_t locate_locked(Cursor& cursor) const;  // segment index; fixes a stale cursor
  // sync_dir_now: fsync the directory before returning; otherwise the background sync does.
  Status start_segment_locked(std::uint64_t first_id, bool sync_dir_now);
  using SealedFd = std::pair<UniqueFd, std::filesystem::path>;  // a dup of a completed segment
  void syncer_main();
  int fdatasync_fd(int fd) const;
  Status sync_directory() const;
  // fsyncs `sealed` (those that fail stay in it), the directory if `dir` (cleared once done)
  // and `current` if it is a descriptor; the last failure's message, empty if none.
  std::string sync_all(std::vector<SealedFd>& sealed, bool& dir, int current,
                       const std::filesystem::path& current_path) const;
  void wait_for_syncer_locked();  // lets go of mu_ while a background fsync runs
  void enforce_limit_locked();
  void drop_segment_locked(std::size_t index);
  void add_run_locked(const Run& run);

  Options opt_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::deque<std::unique_ptr<Segment>> segments_;  // oldest first; back() is written to
  std::string buffer_;                             // encoded records not yet written
  std::uint64_t buffer_first_id_ = 0;
  std::uint64_t buffer_payload_ = 0;  // payload bytes in buffer_
  std::deque<Run> runs_;              // oldest first: every record from trusted_from_ on
  std::uint64_t trusted_from_ = 0;    // the first id this process appended (or would have)
  Slice scratch_;                     // plan()'s reads
  std::uint64_t next_id_ = 1;
  std::uint64_t released_ = 0;  // ids <= released_ are in the vault
  std::uint64_t pinned_ = 0;    // ids <= pinned_ must not be dropped
  std::uint64_t dropped_ = 0;
  std::string last_error_;
  std::uint64_t disk_bytes_ = 0;
  SteadyTime last_sync_{};
  bool unsynced_ = false;
  // The background sync (fsync_interval > 0), under mu_: what the next due sync does, besides
  // the segment being written. A failure stays owed, and leaves unsynced_ set.
  struct Owed {
    bool current = false;          // a sync is due: the syncer wakes for it
    bool dir = false;              // the directory (a segment was created)
    std::vector<SealedFd> sealed;  // completed segments
  };
  Owed owed_;
  bool syncing_ = false;  // the syncer works on what it took from owed_
  bool stopping_ = false;
  std::string sync_error_;           // the last fsync failure, empty after a sync that went well
  std::condition_variable sync_cv_;  // owed_.current or stopping_ set, or syncing_ ended
  std::thread syncer_;
  Cursor cursor_;  // where the last read() stopped, to avoid rescanning
};

}  // namespace logship::spool
