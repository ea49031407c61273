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

TEST(BatchPolicy, OpenBatchCloseTable) {
  BatchPolicy p;
  p.open_for = milliseconds(250);
  p.open_idle = milliseconds(50);
  p.open_worth = 1000;
  p.open_max = milliseconds(10'000);
  const SteadyTime opened{std::chrono::hours(1)};
  struct Case {
    const char* name;
    milliseconds last_line;  // after it opened
    std::uint64_t payload;
    milliseconds due;  // after it opened
  };
  const Case cases[] = {
      {"worth it, steady input: open_for", milliseconds(240), 1000, milliseconds(250)},
      {"worth it, input paused: the pause", milliseconds(100), 5000, milliseconds(150)},
      {"worth it at once, no line since", milliseconds(0), 1000, milliseconds(50)},
      {"a trickle: open_max, whatever the pauses", milliseconds(0), 999, milliseconds(10'000)},
      {"a trickle grown late: still open_max", milliseconds(9'990), 10, milliseconds(10'000)},
  };
  for (const auto& c : cases)
    EXPECT_EQ(open_batch_due(p, opened, opened + c.last_line, c.payload), opened + c.due) << c.name;
  p.open_max = milliseconds(100);
  EXPECT_EQ(open_batch_due(p, opened, opened, 10), opened + milliseconds(250))
      << "never before open_for";
}

TEST(BatchPolicy, SizeRuleTable) {
  BatchPolicy p;
  p.max_bytes = 1000;
  p.max_lines = 100;
  struct Case {
    const char* name;
    std::uint64_t records, bytes;  // in the batch already
    std::uint64_t room_records, room_bytes;
    bool left;  // it takes the next record
  };
  const Case cases[] = {
      {"empty: the whole size", 0, 0, 100, 1000, true},
      {"partly full", 10, 400, 90, 600, true},
      {"one byte left", 99, 999, 1, 1, true},
      {"bytes reached", 5, 1000, 95, 0, false},
      {"bytes passed by one large record", 1, 5000, 99, 0, false},
      {"lines reached", 100, 10, 0, 990, false},
      {"both passed", 150, 2000, 0, 0, false},
  };
  for (const auto& c : cases) {
    const spool::Room r = batch_room(p, c.records, c.bytes);
    EXPECT_EQ(r.records, c.room_records) << c.name;
    EXPECT_EQ(r.bytes, c.room_bytes) << c.name;
    EXPECT_EQ(r.left(), c.left) << c.name;
  }
  // The defaults: 64 MiB and a million lines.
  const spool::Room d = batch_room(BatchPolicy{}, 0, 0);
  EXPECT_EQ(d.bytes, 64u << 20);
  EXPECT_EQ(d.records, 1'000'000u);
}

}  // namespace
}  // namespace logship::ship
