#include "ship/batch_policy.hpp"

#include <gtest/gtest.h>

namespace logship::ship {
namespace {

using std::chrono::milliseconds;
using A = Decision::Action;

TEST(BatchPolicy, Table) {
  const BatchPolicy p{1000, 100, milliseconds(5), milliseconds(60'000)};
  const SteadyTime t0{std::chrono::hours(1)};
  struct Case {
    const char* name;
    milliseconds now;  // after t0
    std::uint64_t bytes;
    std::optional<milliseconds> since;
    milliseconds last;
    A action;
    milliseconds wake;
  };
  const Case cases[] = {
      {"idle, heartbeat not due", milliseconds(1000), 0, std::nullopt, milliseconds(0), A::wait,
       milliseconds(60'000)},
      {"idle, heartbeat due", milliseconds(60'000), 0, std::nullopt, milliseconds(0),
       A::send_heartbeat, milliseconds(60'000)},
      {"trickle lingers", milliseconds(1002), 10, milliseconds(1000), milliseconds(0), A::wait,
       milliseconds(1005)},
      {"trickle leaves after linger", milliseconds(1005), 10, milliseconds(1000), milliseconds(0),
       A::send_lines, milliseconds(1005)},
      {"backlog leaves at once", milliseconds(1000), 1000, milliseconds(1000), milliseconds(0),
       A::send_lines, milliseconds(1000)},
      {"pending beats heartbeat", milliseconds(90'000), 1, milliseconds(89'999), milliseconds(0),
       A::wait, milliseconds(90'004)},
  };
  for (const auto& c : cases) {
    auto d = decide(p, t0 + c.now, c.bytes,
                    c.since ? std::optional<SteadyTime>(t0 + *c.since) : std::nullopt, t0 + c.last);
    EXPECT_EQ(d.action, c.action) << c.name;
    EXPECT_EQ(d.wake, t0 + c.wake) << c.name;
  }
}

}  // namespace
}  // namespace logship::ship
