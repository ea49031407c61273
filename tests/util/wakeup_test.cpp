#include "util/wakeup.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace logship {
namespace {

using namespace std::chrono_literals;

TEST(Wakeup, AWakeUpBeforeTheSleepIsKept) {
  Wakeup w;
  w.notify();  // comes between deciding to sleep and sleeping
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(w.wait_until(t0 + 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s) << "the kept wake-up ends the sleep";
  EXPECT_FALSE(w.wait_until(std::chrono::steady_clock::now())) << "and is used up";
}

TEST(Wakeup, ASleepEndsAtItsDeadlineOrWhenWoken) {
  Wakeup w;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(w.wait_until(t0 + 20ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  std::thread other([&] { w.notify(); });
  EXPECT_TRUE(w.wait_until(SteadyTime::max())) << "woken from another thread";
  other.join();
}

}  // namespace
}  // namespace logship
