#include "util/instance_lock.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace logship {
namespace {

TEST(InstanceLock, SecondHolderIsToldWhoHasIt) {
  const auto path =
      std::filesystem::temp_directory_path() / ("logship-lock-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  {
    auto first = InstanceLock::acquire(path);
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(first->has_value());
    // flock locks belong to open file descriptions: a child process must be refused.
    pid_t child = ::fork();
    if (child == 0) {
      pid_t holder = 0;
      auto second = InstanceLock::acquire(path, &holder);
      ::_exit(second && !second->has_value() && holder == ::getppid() ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  // Released when the holder goes away.
  auto again = InstanceLock::acquire(path);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->has_value());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace logship
