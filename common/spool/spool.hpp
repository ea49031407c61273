// Spool: the durable, bounded queue between the input and the network (docs/SPOOL.md).
// Every appended line gets the next record id; ids never repeat. A record that is lost
// (dropped because the spool is full, or never written because the local disk failed) leaves
// a hole in the ids, and a hole is how loss is counted: exactly, and across restarts.
// The spool is the segment store: the queue of segment files, their retention (a full spool
// drops its oldest segment), and an index of the runs this process appended, from which a batch
// is planned without reading it. Reading is reader.hpp's, fsyncing syncer.hpp's.
// Thread-safe: one thread appends while another reads and releases.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "spool/reader.hpp"
#include "spool/run_index.hpp"
#include "spool/segment.hpp"
#include "spool/syncer.hpp"
#include "util/clock.hpp"
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

class Spool {
 public:
  // Opens (creating if needed, mode 0700) the spool directory, and repairs a torn tail.
  static Result<std::unique_ptr<Spool>> open(Options options, const Clock& clock,
                                             Recovery* recovery = nullptr);
  ~Spool();

  // Adds one line (`partial`: a fragment with no newline after it). Never blocks on anything
  // but local disk. A failure to write loses the buffered records (counted) and is returned.
  Result<void> append(std::string_view line, bool partial = false);

  // Holds the spool's lock while it lives, so that the lines of one input read are appended
  // under one lock, not one each. Keep it short-lived: the reader waits for it.
  class Appender {
   public:
    explicit Appender(Spool& spool) : spool_(spool), lock_(spool.mu_) {}
    Result<void> append(std::string_view line, bool partial = false) {
      return spool_.append_locked(line, partial);
    }

   private:
    Spool& spool_;
    std::lock_guard<std::mutex> lock_;
  };
  // Writes buffered records to disk; when the interval has passed, has them fsynced (in the
  // background, unless the interval is 0).
  Result<void> flush();
  // Writes buffered records and fsyncs now, with everything the background sync still owes.
  Result<void> sync();

  // spool::read_slice() (reader.hpp) of this spool's records, after writing what is buffered.
  // `pin`: pin() what it returns in the same step.
  Result<void> read_slice(Cursor& cursor, std::uint64_t through, std::size_t max_bytes,
                          std::size_t max_records, Slice& out, bool verify, bool pin);

  // RunIndex::plan() (run_index.hpp) of the next batch, pinned.
  Result<std::optional<Plan>> plan(const Cursor& cursor, const SizeRule& rule);

  // Records with id <= `through` must survive: they are in a batch being sent.
  void pin(std::uint64_t through);
  // The vault holds every record with id <= `through`: their segments may go.
  Result<void> release(std::uint64_t through);

  std::uint64_t next_id() const;  // the id the next append gets
  Stats stats() const;

 private:
  Spool(Options options, const Clock& clock);
  Result<void> recover(Recovery& recovery);
  Result<void> append_locked(std::string_view line, bool partial);
  // Writes what is buffered; a segment that fills up is sealed: fsynced now if `sync_here`,
  // else owed to the next due sync.
  Result<void> write_locked(bool sync_here);
  Result<void> flush_locked();  // write_locked, then a sync if one is due
  // Writes what is buffered, then fsyncs everything now (after the background sync running).
  Result<void> sync_locked();
  // Lets go of mu_ (held by `lock`) until no background sync runs.
  void wait_for_syncer(std::unique_lock<std::mutex>& lock);
  // sync_dir_now: fsync the directory before returning; otherwise the next due sync does.
  Result<void> start_segment_locked(std::uint64_t first_id, bool sync_dir_now);
  void enforce_limit_locked();
  void drop_segment_locked(std::size_t index);

  Options opt_;
  const Clock& clock_;
  mutable std::mutex mu_;
  Segments segments_;
  std::string buffer_;  // records not yet written; their CRCs are filled in as they are
  std::uint64_t buffer_first_id_ = 0;
  std::uint64_t buffer_payload_ = 0;  // payload bytes in buffer_
  RunIndex runs_;
  std::uint64_t next_id_ = 1;
  std::uint64_t released_ = 0;  // ids <= released_ are in the vault
  std::uint64_t pinned_ = 0;    // ids <= pinned_ must not be dropped
  std::uint64_t dropped_ = 0;
  std::string last_error_;
  std::uint64_t disk_bytes_ = 0;
  SteadyTime last_sync_{};
  bool unsynced_ = false;  // written since the last sync
  std::unique_ptr<Syncer> syncer_;
};

}  // namespace logship::spool
