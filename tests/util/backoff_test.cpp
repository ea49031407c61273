#include "util/backoff.hpp"

#include <gtest/gtest.h>

namespace logship {
namespace {

using std::chrono::milliseconds;

// An RNG that always returns the same value, so the jitter is known.
Backoff::Rng fixed(std::uint64_t v) {
  return [v] { return v; };
}

TEST(Backoff, FirstDelayIsFloorPlusJitterBelowBase) {
  ManualClock clock;
  Backoff b({milliseconds(100), milliseconds(500), milliseconds(30000)}, clock,
            fixed(~std::uint64_t{0}));
  // jitter = max % (500 + 1) is within [0, 500].
  const auto d = b.failed();
  EXPECT_GE(d, milliseconds(100));
  EXPECT_LE(d, milliseconds(600));
  EXPECT_EQ(b.failures(), 1u);
}

TEST(Backoff, CeilingDoublesThenCaps) {
  ManualClock clock;
  // The rng returns the expected ceiling itself, which the jitter maps to exactly the ceiling.
  std::vector<std::int64_t> ceilings;
  for (unsigned n = 1; n <= 12; ++n) {
    std::int64_t c = 500;
    for (unsigned i = 1; i < n && c < 30000; ++i) c *= 2;
    ceilings.push_back(std::min<std::int64_t>(c, 30000));
  }
  Backoff b({milliseconds(0), milliseconds(500), milliseconds(30000)}, clock,
            [&] { return static_cast<std::uint64_t>(ceilings.at(b.failures() - 1)); });
  for (unsigned n = 1; n <= 12; ++n) {
    EXPECT_EQ(b.failed(), milliseconds(ceilings[n - 1])) << "after " << n << " failures";
  }
}

TEST(Backoff, FullJitterSpreadsOverWholeRange) {
  ManualClock clock;
  Backoff b({milliseconds(0), milliseconds(1000), milliseconds(1000)}, clock);
  milliseconds lo(1000), hi(0);
  for (int i = 0; i < 2000; ++i) {
    auto d = b.failed();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, milliseconds(50));
  EXPECT_GT(hi, milliseconds(950));
  EXPECT_LE(hi, milliseconds(1000));
}

TEST(Backoff, ReadyFollowsTheInjectedClock) {
  ManualClock clock;
  Backoff b({milliseconds(100), milliseconds(500), milliseconds(30000)}, clock, fixed(0));
  EXPECT_TRUE(b.ready());
  EXPECT_EQ(b.failed(), milliseconds(100));
  EXPECT_FALSE(b.ready());
  EXPECT_EQ(b.next_deadline(), clock.now() + milliseconds(100));
  clock.advance(milliseconds(99));
  EXPECT_FALSE(b.ready());
  clock.advance(milliseconds(1));
  EXPECT_TRUE(b.ready());
}

TEST(Backoff, SuccessResetsToBase) {
  ManualClock clock;
  std::uint64_t v = ~std::uint64_t{0};
  Backoff b({milliseconds(0), milliseconds(500), milliseconds(30000)}, clock, [&] { return v; });
  for (int i = 0; i < 10; ++i) (void)b.failed();
  EXPECT_EQ(b.failures(), 10u);
  b.succeeded();
  EXPECT_EQ(b.failures(), 0u);
  EXPECT_TRUE(b.ready());
  v = 500;
  EXPECT_EQ(b.failed(), milliseconds(500));
}

TEST(Backoff, HugeFailureCountsDoNotOverflow) {
  ManualClock clock;
  Backoff b({milliseconds(10), milliseconds(500), milliseconds(60000)}, clock,
            fixed(~std::uint64_t{0}));
  for (int i = 0; i < 100000; ++i) {
    auto d = b.failed();
    ASSERT_GE(d, milliseconds(10));
    ASSERT_LE(d, milliseconds(60010));
  }
}

}  // namespace
}  // namespace logship
