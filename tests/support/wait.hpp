// wait_until: the way a test waits for something to happen, instead of sleeping: polls
// `condition` until it holds or `timeout` passes (eventually(), child.hpp). The result is an
// AssertionResult, true or false like a bool, whose failure says what was waited for and how
// long: EXPECT_TRUE(wait_until(copied, 10s, "the copy holds every line")) << more context.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string_view>

#include "support/child.hpp"

namespace logship::test {

inline ::testing::AssertionResult wait_until(const std::function<bool()>& condition,
                                             std::chrono::milliseconds timeout,
                                             std::string_view what = "the condition") {
  if (eventually(condition, timeout)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "waited " << timeout.count() << " ms for " << what << "; it never held";
}

}  // namespace logship::test
