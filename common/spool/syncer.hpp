// Syncer: makes the spool's writes durable. With a background thread (fsync_interval > 0) a
// due sync runs there, without the spool's lock, so that a slow disk never holds up append();
// what it could not do yet (completed segments, the directory) is owed to the next due sync,
// and a failure stays owed. Without one, the caller fsyncs. Thread-safe.
// (follow::Syncer is a different thing: one fdatasync and checkpoint save per file, the later
// replacing the earlier; here work accumulates, and failures are kept and retried.)
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/files.hpp"
#include "util/result.hpp"

namespace logship::spool {

class Syncer {
 public:
  // fdatasync(2) of a segment, fsync(2) of the directory, if empty; tests inject a slow disk.
  using SyncFn = std::function<int(int)>;
  // `background`: start the thread (with every signal blocked).
  Syncer(std::filesystem::path dir, SyncFn fn, bool background);
  ~Syncer();  // stops the thread; what is still owed is left to the owner's last sync_now()
  Syncer(const Syncer&) = delete;
  Syncer& operator=(const Syncer&) = delete;

  bool background() const { return thread_.joinable(); }
  int fdatasync(int fd) const;    // now, in the caller: 0 or -1 with errno
  Result<void> sync_dir() const;  // now, in the caller

  // Owed to the next due sync: a completed segment (a duplicate of `fd` is kept), the
  // directory (a segment was created).
  Result<void> owe_segment(int fd, const std::filesystem::path& path);
  void owe_dir();
  // A deleted segment needs no fsync: its duplicate is closed, so that its blocks are freed.
  void forget(const std::filesystem::path& path);
  // A sync is due: the thread syncs what is owed and `current`, the segment being written.
  void due(int current, const std::filesystem::path& path);
  void wait_idle();  // until no background sync runs

  // In the caller, after the background sync running: syncs what is owed, and the current
  // segment if `unsynced`, if a due sync was waiting, or if retry_owed(). Whether the
  // current segment was synced; error() says how it went.
  bool sync_now(int current, const std::filesystem::path& path, bool unsynced);
  // The last fsync failure, empty after a sync that went well.
  std::string error() const;
  // The last background sync failed, and no sync was due since: the next one is owed, even
  // with nothing new written.
  bool retry_owed() const;

 private:
  struct File {
    UniqueFd fd;
    std::filesystem::path path;
  };
  void run();
  // fsyncs `sealed` (those that fail stay in it), the directory if `dir` (cleared once done)
  // and `current` if it is a descriptor; the last failure's message, empty if none.
  std::string sync_all(std::vector<File>& sealed, bool& dir, int current,
                       const std::filesystem::path& current_path) const;

  const std::filesystem::path dir_path_;
  const SyncFn fn_;
  mutable std::mutex mu_;
  std::condition_variable cv_;                    // due_ or stopping_ set, or running_ ended
  bool due_ = false;                              // a sync is due: the thread wakes for it
  File current_;                                  // the segment being written, when due_
  std::string dup_error_;                         // why current_ has no descriptor
  bool dir_ = false;                              // owed: the directory
  std::vector<File> sealed_;                      // owed: completed segments
  bool running_ = false;                          // the thread works on what it took
  std::vector<std::filesystem::path> forgotten_;  // deleted while running_
  bool stopping_ = false;
  std::string error_;
  bool retry_ = false;  // retry_owed()
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace logship::spool
