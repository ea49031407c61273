// logship-pull end to end: a followed path missing at start, deleted and recreated, turned
// into a dangling symlink or a directory: reported in the status file and the textfile, never
// fatal, nothing lost.
#include "pull_fixture.hpp"

#include <gtest/gtest.h>

namespace logship::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST_F(PullTest, MissingAtStartThenCreatedThenDeletedAndRecreated) {
  const auto file = remote("late.log");
  auto agent = start({"--follow", follow("late.log"), "--format", "raw"});
  EXPECT_TRUE(wait_until([&] { return json_string(status_text(), "state") == "connected"; }, 10s));
  EXPECT_TRUE(wait_until(
      [&] { return status_text().find("\"state\":\"missing\"") != std::string::npos; }, 5s))
      << status_text();
  // A dangling symlink and a directory are reported, not fatal.
  fs::create_symlink(host_ / "nowhere", file);
  EXPECT_TRUE(wait_until(
      [&] { return status_text().find("dangling symbolic link") != std::string::npos; }, 5s))
      << status_text();
  fs::remove(file);
  fs::create_directory(file);
  EXPECT_TRUE(
      wait_until([&] { return status_text().find("a directory") != std::string::npos; }, 5s))
      << status_text();
  fs::remove(file);

  std::string expected;
  for (int i = 1; i <= 50; ++i) expected += numbered(i);
  append(file, expected);
  expect_copy(copy("late.log"), expected, false);

  // Deleted with lines not read yet, recreated at once: the deleted file is finished through
  // its open handle, then the new one is read from 0.
  std::string more;
  for (int i = 51; i <= 80; ++i) more += numbered(i);
  std::string fresh;
  for (int i = 81; i <= 90; ++i) fresh += numbered(i);
  append(file, more);
  fs::remove(file);
  append(file, fresh);
  expected += more + fresh;
  expect_copy(copy("late.log"), expected, false);
  EXPECT_TRUE(wait_until([&] { return json_number(status_text(), "rotations") == 1; }, 5s))
      << status_text();
  stop(agent);
  EXPECT_NE(slurp(log()).find("missing: no such file"), std::string::npos);
}

// A followed path that turns into a dangling symbolic link, then a directory, then a file again:
// reported in the status file (and the Prometheus textfile), never fatal, nothing lost.
TEST_F(PullTest, PathBecomesADanglingSymlinkThenADirectoryThenAFileAgain) {
  const auto file = remote("odd.log");
  const auto prom = vault_ / "pull.prom";
  std::string want;
  for (int i = 1; i <= 20; ++i) want += numbered(i);
  append(file, want);
  auto agent =
      start({"--follow", follow("odd.log"), "--format", "raw", "--prometheus-file", prom.string()});
  expect_copy(copy("odd.log"), want, false, 30s, false);
  EXPECT_TRUE(wait_until(
      [&] {
        const auto p = slurp(prom);
        return p.find("logship_pull_up{source=\"web1\"} 1") != std::string::npos &&
               p.find("logship_pull_file_following{source=\"web1\",file=\"" + file.string() +
                      "\"} 1") != std::string::npos;
      },
      5s))
      << slurp(prom);
  std::string more;
  for (int i = 21; i <= 30; ++i) more += numbered(i);
  append(file, more);  // (read from the held file after the path changes, if not before)
  want += more;
  fs::rename(file, remote("odd.log.1"));
  fs::create_symlink(host_ / "nowhere", file);
  EXPECT_TRUE(wait_until(
      [&] { return status_text().find("dangling symbolic link") != std::string::npos; }, 5s))
      << status_text();
  EXPECT_TRUE(wait_until(
      [&] {
        return slurp(prom).find("logship_pull_file_following{source=\"web1\",file=\"" +
                                file.string() + "\"} 0") != std::string::npos;
      },
      5s))
      << slurp(prom);
  fs::remove(file);
  fs::create_directory(file);
  EXPECT_TRUE(
      wait_until([&] { return status_text().find("a directory") != std::string::npos; }, 5s))
      << status_text();
  expect_copy(copy("odd.log"), want, false, 30s, false);
  fs::remove(file);
  std::string fresh;
  for (int i = 31; i <= 40; ++i) fresh += numbered(i);
  append(file, fresh);
  want += fresh;
  expect_copy(copy("odd.log"), want, false);
  EXPECT_TRUE(wait_until([&] { return json_string(status_text(), "state") == "connected"; }, 5s));
  EXPECT_TRUE(agent->running());
  // The host goes away: the textfile says so, and since when.
  sshd_.stop();
  sshd_.cut_connections();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto p = slurp(prom);
        return p.find("logship_pull_up{source=\"web1\"} 0") != std::string::npos &&
               p.find("logship_pull_unreachable_since_seconds{source=\"web1\"} 0\n") ==
                   std::string::npos;
      },
      10s))
      << slurp(prom);
  EXPECT_NE(json_string(status_text(), "unreachable_since"), "");
  stop(agent);
}

}  // namespace
}  // namespace logship::test
