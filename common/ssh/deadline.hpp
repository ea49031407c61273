// Deadlines: every network operation in common/ssh takes one. Each is a point in the steady time
// of a Clock: the session's (SessionOptions::clock), or the caller's injected one.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "util/clock.hpp"
#include "util/result.hpp"

namespace logship::ssh {

// The deadline of one network operation. A fixed deadline ends the wait at `at`. A liveness
// deadline (Session::op_deadline()) ends it at `at` only if the connection has also made no
// progress (bytes acknowledged or received) for `idle`: a slow link still moving what is in
// flight is not a stalled peer, however long that takes.
struct Deadline {
  Deadline(SteadyTime t) : at(t) {}  // NOLINT(google-explicit-constructor): a fixed deadline
  // `idle` from now, and then until the connection has made no progress for `idle`.
  static Deadline live(const Clock& clock, std::chrono::milliseconds idle) {
    Deadline d(clock.now() + idle);
    d.idle = idle;
    return d;
  }
  bool is_live() const { return idle.count() > 0; }
  SteadyTime at;
  std::chrono::milliseconds idle{0};  // ms without progress that end a liveness deadline
};

// How often a wait asks whether it is to be interrupted (SessionOptions::interrupted).
inline constexpr std::chrono::milliseconds kInterruptCheck{50};

// The error of a wait for `what` that an interruption ended (an agent stopping).
inline Error interrupted_error(std::string_view what) {
  return make_error(ErrorKind::timeout, std::string(what) + ": interrupted (stopping)");
}

// The deadline `timeout` from now.
inline SteadyTime deadline_in(const Clock& clock, std::chrono::milliseconds timeout) {
  return clock.now() + timeout;
}

// Time left until `deadline`, never negative.
inline std::chrono::milliseconds time_left(const Clock& clock, SteadyTime deadline) {
  const auto left = deadline - clock.now();
  return std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(left));
}

// Whether `deadline` has passed.
inline bool expired(const Clock& clock, SteadyTime deadline) {
  return clock.now() >= deadline;
}

// A poll(2)-style timeout in milliseconds until `deadline`, capped at `cap`.
inline int poll_timeout_ms(const Clock& clock, SteadyTime deadline,
                           std::chrono::milliseconds cap = std::chrono::milliseconds(1000)) {
  return static_cast<int>(std::min(time_left(clock, deadline), cap).count());
}

}  // namespace logship::ssh
