// Wakeup: one thread sleeps until a deadline or until another thread wakes it. A wake-up that
// comes while the thread is not asleep is kept for its next sleep, so none is lost between
// deciding to sleep and sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "util/clock.hpp"

namespace logship {

class Wakeup {
 public:
  // From any thread.
  void notify() {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    cv_.notify_one();
  }
  // Sleeps until `deadline` (steady time, as SystemClock gives it) or a notify(), whichever
  // comes first, and an hour at most; true when notify() ended it.
  bool wait_until(SteadyTime deadline) {
    const SteadyTime cap = std::chrono::steady_clock::now() + std::chrono::hours(1);
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, std::min(deadline, cap), [&] { return woken_; });
    const bool woken = woken_;
    woken_ = false;
    return woken;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
};

}  // namespace logship
