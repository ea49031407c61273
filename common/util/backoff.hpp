// Backoff: when to try again after a failure. Capped exponential with full jitter, reset on
// success. Every retry loop in logship uses this one type; clock and randomness are injected.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "util/clock.hpp"

namespace logship {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;
  using Rng = std::function<std::uint64_t()>;  // uniformly distributed 64-bit values

  struct Policy {
    Duration floor{100};   // ms; never retry sooner than this
    Duration base{500};    // ms; ceiling of the first jittered delay
    Duration cap{30'000};  // ms; the ceiling never grows beyond this
  };

  // rng defaults to a std::random_device-seeded generator.
  Backoff(Policy policy, const Clock& clock, Rng rng = {});

  // Records a failure now; returns the delay until next_attempt().
  // The delay is floor + uniform[0, min(cap, base * 2^(failures-1))].
  Duration failed();
  // Records a success: the next failure starts again from base.
  void succeeded();

  bool ready() const { return clock_.now() >= next_attempt_; }  // may we try now?
  SteadyTime next_deadline() const { return next_attempt_; }    // earliest next attempt
  unsigned failures() const { return failures_; }               // since the last success

 private:
  Policy policy_;
  const Clock& clock_;
  Rng rng_;
  unsigned failures_ = 0;
  SteadyTime next_attempt_{};
};

}  // namespace logship
