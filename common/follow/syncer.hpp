// Syncer: makes local copies durable and saves their checkpoints on a thread of its own, so an
// fdatasync (as slow as the disk) never stalls reading from the network. A checkpoint is saved
// only after an fdatasync of its copy that began after the checkpoint was taken, so it never
// claims a byte that is not on disk; it merely trails the copy by a moment. One Syncer serves
// every followed file.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "follow/checkpoint.hpp"
#include "util/result.hpp"

namespace logship::follow {

class Syncer {
 public:
  // What to do for one file: fdatasync(fd), then file->save(checkpoint).
  struct Job {
    int fd = -1;  // the copy (not owned; open until the owner's wait())
    Checkpoint checkpoint;
    CheckpointFile* file = nullptr;  // used by the Syncer's thread only while a job runs
  };

  Syncer();
  ~Syncer();  // finishes queued jobs, then stops
  Syncer(const Syncer&) = delete;
  Syncer& operator=(const Syncer&) = delete;

  // Queues `job` for `owner`, replacing the owner's job that has not started yet (a later
  // checkpoint supersedes an earlier one).
  void submit(const void* owner, Job job);
  // Waits until no job of `owner` is queued or running; then its first failure since the last
  // wait() or failure(), if any.
  Result<void> wait(const void* owner);
  // The owner's first failure since the last call (without waiting), or success.
  Result<void> failure(const void* owner);

 private:
  struct Slot {
    std::optional<Job> queued;
    bool running = false;
    std::optional<Error> error;
  };
  void run();
  Result<void> take_error(Slot& s);

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<const void*, Slot> slots_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace logship::follow
