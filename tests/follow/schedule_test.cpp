// The Puller's pure decisions: when a file is looked at again (next_look(), table-tested), and
// what a failure is reported as (cause()).
#include "follow/puller.hpp"

#include <gtest/gtest.h>

namespace logship::follow {
namespace {

using namespace std::chrono_literals;

TEST(NextLookTest, WhenAFileIsLookedAtAgain) {
  const SteadyTime t0{std::chrono::hours(1)};
  struct Row {
    std::chrono::milliseconds took;  // how long the look took (the round trip)
    bool busy, active;
    std::chrono::milliseconds poll;
    std::chrono::milliseconds next;  // after the look's start
    const char* why;
  };
  const Row rows[] = {
      {1ms, false, false, 500ms, 500ms, "quiet: a poll interval after the look began"},
      {200ms, false, false, 500ms, 500ms, "the round trip is part of the interval, not added"},
      {700ms, false, false, 500ms, 700ms, "a round trip longer than the interval: at once"},
      {1ms, false, true, 500ms, kActiveRepoll, "new bytes: soon again, not a poll later"},
      {200ms, false, true, 500ms, 200ms, "new bytes over a WAN: at once"},
      {1ms, false, true, 5ms, 5ms, "a poll interval shorter than the re-look wins"},
      {1ms, true, false, 500ms, 1ms, "catching up: at once"},
      {300ms, true, true, 500ms, 300ms, "catching up over a WAN: at once"},
  };
  for (const auto& r : rows)
    EXPECT_EQ(next_look(t0, t0 + r.took, r.busy, r.active, r.poll), t0 + r.next) << r.why;
}

TEST(CauseTest, AFailureAlwaysNamesACause) {
  EXPECT_EQ(cause(make_error(ErrorKind::timeout, "SFTP: no answer")), "SFTP: no answer");
  const auto none = cause(make_error(ErrorKind::network, ""));
  EXPECT_NE(none.find("network"), std::string::npos) << none;
  EXPECT_NE(none.find("no reason"), std::string::npos) << none;
}

}  // namespace
}  // namespace logship::follow
