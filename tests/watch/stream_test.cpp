// A watched stream's silence is measured on the monotonic clock: stepping the wall clock does
// not raise one (a false finding) nor hide one.
#include "watch/stream.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>

#include "util/clock.hpp"
#include "vault_fixture.hpp"
#include "watch/alarm.hpp"

namespace logship::watch {
namespace {

using namespace std::chrono_literals;
using vault::testing::at;
using vault::testing::lines;

TEST(WatchedStreamSilence, IsMeasuredOnTheMonotonicClockNotTheWallClock) {
  vault::testing::TempDir dir;
  const auto file = dir.path() / "v.log";
  vault::testing::Sender sender;
  std::ofstream(file) << sender.next(lines({"hello"}), at(0));
  ManualClock clock;
  std::vector<vault::Finding> found;
  StreamConfig cfg{"s", file, file.string() + "-*", {}, {}, std::chrono::seconds(10), false};
  WatchedStream s(
      cfg, vault::testing::test_key(),
      [&](const WatchedStream&, const vault::Finding& f) { found.push_back(f); }, nullptr, clock);
  s.poll(1 << 20);
  ASSERT_TRUE(s.view().has_batches);
  clock.set_wall(clock.wall_now() + std::chrono::hours(1));  // stepped forward
  s.poll(1 << 20);
  EXPECT_TRUE(found.empty()) << vault::format_finding(found.front());
  clock.set_wall(clock.wall_now() - std::chrono::hours(2));  // and back
  clock.advance(11s);
  s.poll(1 << 20);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, vault::FindingKind::silence);
}

// A hung --on-finding program is killed after Alarm::kLongest and frees its slot.
TEST(Alarm, AHungProgramIsKilledAndFreesItsSlot) {
  vault::testing::TempDir dir;
  const auto program = dir.path() / "hang.sh";
  std::ofstream(program) << "#!/bin/sh\nexec sleep 1000\n";
  ::chmod(program.c_str(), 0700);
  ManualClock clock;
  Alarm alarm(program.string(), clock);
  alarm.finding("s", {"f", 1, vault::FindingKind::stray_line, "m"});
  EXPECT_EQ(alarm.running(), 1u);
  clock.advance(Alarm::kLongest - 1s);
  alarm.tick();
  EXPECT_EQ(alarm.running(), 1u);
  clock.advance(2s);
  alarm.tick();
  EXPECT_EQ(alarm.running(), 0u);
}

}  // namespace
}  // namespace logship::watch
