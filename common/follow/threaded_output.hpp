// ThreadedOutput: an Output whose appends and flushes run on a thread of their own, so the
// thread that receives and decrypts (the SFTP client) never waits on the framing (line split,
// two SHA-256 per line, batch building, sealing) or on the write into the copy.
//
// append() copies the bytes into a chunk of up to OutputThread::kChunk bytes, handed to the
// thread when full (few hand-offs, so few wake-ups: on a virtual machine each costs more than
// the copy); flush() hands over the chunk and a flush. Both return at once unless more than
// OutputThread::kMaxQueued bytes are handed over and not yet framed: then the SFTP thread waits
// for room, so memory stays bounded. Every other call waits first until the thread has done
// everything queued for this output, then runs on the caller's thread, so it sees exactly the
// state the plain Output would have after the same calls: the same bytes in the file, and a
// checkpoint built from resumable_offset(), size() and seal_record() never claims a byte that
// append() handed over but that is not yet written. The first failure of a queued call is kept:
// the calls after it are dropped, and every call returns it until recover().
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "follow/output.hpp"

namespace logship::follow {

class ThreadedOutput;

// The thread that runs the queued appends and flushes of every ThreadedOutput given it, in the
// order they were queued. It must outlive them.
class OutputThread {
 public:
  static constexpr std::size_t kChunk = 256 * 1024;      // bytes per hand-off, at most about
  static constexpr std::size_t kMaxQueued = 512 * 1024;  // bytes handed over and not yet framed

  explicit OutputThread(std::size_t max_queued = kMaxQueued, std::size_t chunk = kChunk);
  ~OutputThread();  // finishes the queued work, then stops
  OutputThread(const OutputThread&) = delete;
  OutputThread& operator=(const OutputThread&) = delete;

  std::size_t max_queued() const { return max_queued_; }
  std::size_t chunk() const { return chunk_; }
  std::size_t queued_bytes();  // handed over and not yet framed (tests)

 private:
  friend class ThreadedOutput;
  struct Job {
    const ThreadedOutput* owner = nullptr;
    std::string bytes;  // to append
    bool flush = false;
  };
  static constexpr std::size_t kSpareBuffers = 2;  // kept for reuse (no allocation per chunk)
  void run();

  const std::size_t max_queued_;
  const std::size_t chunk_;
  std::mutex mu_;
  std::condition_variable work_;  // a job was queued, or stop
  std::condition_variable done_;  // a job is done: room in the queue, or an output settled
  std::deque<Job> jobs_;
  std::size_t queued_bytes_ = 0;
  std::vector<std::string> spare_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is ready
};

class ThreadedOutput final : public Output {
 public:
  ThreadedOutput(std::unique_ptr<Output> inner, OutputThread& thread, const Clock& clock);
  ~ThreadedOutput() override;  // waits until the thread is done with this output

  Result<Checkpoint> recover(const std::optional<Checkpoint>& c,
                             std::vector<std::string>& notes) override;
  Status set_origin(Origin origin) override;
  Status append(std::string_view bytes) override;  // queued
  Status flush() override;                         // queued
  Status drain() override;                         // waits; the first failure, if any
  Status finish() override;
  Status mark(const std::vector<vault::Field>& fields) override;
  std::uint64_t resumable_offset() const override;
  std::uint64_t pending() const override;
  std::uint64_t size() const override;
  // While bytes are on their way: now (a batch is being made), so no heartbeat is due.
  SteadyTime last_write() const override;
  std::string seal_record() const override;
  int fd() const override { return inner_->fd(); }

 private:
  friend class OutputThread;
  // Hands over the chunk being filled, and a flush if `flush`.
  Status hand_over(bool flush) const;
  // Hands over the chunk, then waits until the thread is done with this output; returns with
  // the lock held.
  std::unique_lock<std::mutex> settle() const;

  std::unique_ptr<Output> inner_;
  OutputThread& thread_;
  mutable std::string chunk_;  // appended bytes not handed over yet (the caller's)
  // Guarded by thread_.mu_ (and changed by const calls, which hand over the chunk first):
  mutable std::uint64_t queued_ = 0;  // jobs queued since start
  mutable std::uint64_t done_ = 0;    // ... and done
  mutable std::optional<Error> error_;
};

}  // namespace logship::follow
