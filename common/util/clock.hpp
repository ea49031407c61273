// Clock: the one source of time for components that act on time, so tests can drive them.
#pragma once

#include <chrono>

namespace logship {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime now() const = 0;     // monotonic: deadlines, intervals
  virtual WallTime wall_now() const = 0;  // UTC wall time: timestamps written into the vault
};

// The real clocks.
class SystemClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

// The process's one SystemClock, for code that is given no other.
inline const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

// A clock that moves only when told to (tests).
class ManualClock final : public Clock {
 public:
  SteadyTime now() const override { return steady_; }
  WallTime wall_now() const override { return wall_; }
  void advance(std::chrono::nanoseconds d) {
    steady_ += d;
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  }
  void set_wall(WallTime t) { wall_ = t; }

 private:
  SteadyTime steady_{std::chrono::hours(1)};
  WallTime wall_{std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}};
};

}  // namespace logship
