// --on-finding PROGRAM: runs a program for every new finding (mail, a pager), never through a
// shell: argv is PROGRAM KIND STREAM FILE LINE MESSAGE, and the same values are in the
// environment (LOGSHIP_KIND, LOGSHIP_STREAM, LOGSHIP_FILE, LOGSHIP_LINE, LOGSHIP_MESSAGE,
// LOGSHIP_TIME). Rate-limited: a burst of kBurst, then one per kRefill; at most kRunning at
// once. Findings over the limit are counted and announced by one run with KIND "suppressed".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "util/clock.hpp"
#include "vault/findings.hpp"

namespace logship::watch {

class Alarm {
 public:
  static constexpr int kBurst = 20;
  static constexpr std::chrono::seconds kRefill{3};
  static constexpr std::size_t kRunning = 4;
  // A run still going after this long is killed (a hung mailer must not hold the slots).
  static constexpr std::chrono::seconds kLongest{60};

  Alarm(std::string program, const Clock& clock);
  // Leaves runs still going to finish on their own (the watcher stops at once).
  ~Alarm() = default;

  void finding(const std::string& stream, const vault::Finding& f);
  // Reaps finished programs, refills, announces what was suppressed. Call every round.
  void tick();
  std::uint64_t suppressed_total() const { return suppressed_total_; }
  std::size_t running() const { return running_.size(); }

 private:
  bool spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env);

  std::string program_;
  const Clock& clock_;
  double tokens_ = kBurst;
  SteadyTime refilled_;
  struct Run {
    pid_t pid;
    SteadyTime started;
  };
  std::vector<Run> running_;
  std::uint64_t suppressed_ = 0, suppressed_total_ = 0;
};

}  // namespace logship::watch
