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

  Alarm(std::string program, const Clock& clock);
  ~Alarm();

  void finding(const std::string& stream, const vault::Finding& f);
  // Reaps finished programs, refills, announces what was suppressed. Call every round.
  void tick();
  std::uint64_t suppressed_total() const { return suppressed_total_; }

 private:
  bool spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env);

  std::string program_;
  const Clock& clock_;
  double tokens_ = kBurst;
  SteadyTime refilled_;
  std::vector<pid_t> running_;
  std::uint64_t suppressed_ = 0, suppressed_total_ = 0;
};

}  // namespace logship::watch
