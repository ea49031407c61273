// The main loop's shell every agent shares: the stop signals, read through a signalfd, the
// status files' period, and a wait that wakes for whichever comes first. SIGTERM/SIGINT stop
// the agent, SIGHUP is logged and ignored, SIGPIPE is ignored.
#pragma once

#include <chrono>

#include "util/clock.hpp"
#include "util/files.hpp"

namespace logship::cli {

class AgentLoop {
 public:
  static constexpr std::chrono::milliseconds kMaxWait{1000};  // longest sleep of wait()

  // Blocks SIGTERM, SIGINT and SIGHUP for this thread and every thread started after it (so
  // make it before any thread), and ignores SIGPIPE. The status is due at once.
  AgentLoop(const Clock& clock, std::chrono::milliseconds status_interval);

  // Reads the pending signals; true once SIGTERM or SIGINT arrived (logged once) or after
  // stop().
  bool stopping();
  // Ends the loop after this turn (the input ended).
  void stop() { stop_ = true; }

  // Sleeps until `fd` (-1: none) is readable, a signal arrives, the status is due, `until`
  // or kMaxWait. True when `fd` woke it (readable, hung up or in error).
  bool wait(int fd, SteadyTime until);

  // True when the status files are due; the next are due one interval later.
  bool status_due();

 private:
  const Clock& clock_;
  std::chrono::milliseconds status_interval_;
  UniqueFd sigfd_;
  SteadyTime next_status_;
  bool stop_ = false;
};

}  // namespace logship::cli
