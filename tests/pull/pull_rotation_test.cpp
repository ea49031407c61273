// logship-pull end to end: rotation by rename and by copytruncate under load, truncation, a
// copy found under a dated name or a pattern, and files shorter than the fingerprint.
#include "pull_fixture.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <mutex>
#include <thread>

namespace logship::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- rotation under load ----

class RotationTest : public PullTest, public ::testing::WithParamInterface<const char*> {};
class ShortFileTest : public PullTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(RotationTest, RenameRotationWhileWritingTwoThousandLinesASecond) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("auth.log");
  Writer w(file, 2000);
  auto agent = start({"--follow", follow("auth.log"), "--format", GetParam(), "--heartbeat", "1"});
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(w.wrote(1400));
    rotate_by_rename(file);
    // (postrotate's delay: the time is the scenario, nothing to wait for)
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + 60 * i));
    w.reopen();  // lines up to here went to the renamed file
  }
  ASSERT_TRUE(w.wrote(1000));
  w.stop();
  ASSERT_FALSE(w.failed());
  expect_copy(copy("auth.log"), w.written(), framed);
  EXPECT_TRUE(status_shows("rotations", 4, 5s));
  EXPECT_EQ(json_number(status_text(), "truncations"), 0);
  stop(agent);
  if (framed) expect_verifies(copy("auth.log"), {"--max-silence", "3"});
}

INSTANTIATE_TEST_SUITE_P(Formats, RotationTest, ::testing::Values("raw", "framed"));

TEST_F(PullTest, CopytruncateReadsTheRestFromTheCopy) {
  const auto file = remote("app.log");
  Writer w(file, 2000);
  auto agent = start({"--follow", follow("app.log"), "--format", "framed", "--poll", "300"});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(w.wrote(1200));
    // The writer waits during copy + truncate (lines written in between would be lost by
    // logrotate itself, not by us). Meanwhile up to 300 ms of lines are not read yet: they
    // must come from the copy.
    std::lock_guard<std::mutex> hold(w.mutex());
    rotate_by_copytruncate(file);
  }
  ASSERT_TRUE(w.wrote(1000));
  w.stop();
  expect_copy(copy("app.log"), w.written(), true);
  auto events = [&] {
    const auto st = status_text();
    return json_number(st, "copytruncations") + json_number(st, "truncations");
  };
  EXPECT_TRUE(wait_until([&] { return events() == 3; }, 5s, "3 truncations")) << status_text();
  // (one may find everything read already, the rest in the copy being empty)
  EXPECT_GE(json_number(status_text(), "copytruncations"), 2) << status_text();
  stop(agent);
  expect_verifies(copy("app.log"));
  EXPECT_NE(slurp(copy("app.log")).find("event=copytruncated"), std::string::npos);
}

TEST_F(PullTest, PlainTruncationStartsAgainAndIsRecorded) {
  const auto file = remote("app.log");
  std::string expected;
  for (int i = 1; i <= 100; ++i) expected += numbered(i);
  append(file, expected);
  auto agent = start({"--follow", follow("app.log"), "--format", "raw"});
  expect_copy(copy("app.log"), expected, false);
  // Cut to 0 and at once written past the old size (before the next poll, most likely): the
  // first bytes differ, so it is seen as a truncation, not as growth.
  std::string again;
  for (int i = 1000; i < 1300; ++i) again += numbered(i);
  fs::resize_file(file, 0);
  append(file, again);
  expected += again;
  expect_copy(copy("app.log"), expected, false);
  // And a plain `: > file`, seen empty, followed by a little.
  fs::resize_file(file, 0);
  EXPECT_TRUE(status_shows("truncations", 2, 5s));
  append(file, numbered(5000));
  expected += numbered(5000);
  expect_copy(copy("app.log"), expected, false);
  EXPECT_EQ(json_number(status_text(), "truncations"), 2) << status_text();
  stop(agent);
}

// A quiet file is looked at with its stat, the bytes just before the offset and a read: when it
// is cut and written past the old size between two looks, those bytes differ and the full look
// that follows sees the truncation (no bytes of the new file are taken for the old one's).
TEST_F(PullTest, QuietFileTruncatedAndRewrittenPastTheOffsetIsATruncation) {
  const auto file = remote("quiet.log");
  std::string expected;
  for (int i = 1; i <= 100; ++i) expected += numbered(i);
  append(file, expected);
  auto agent = start({"--follow", follow("quiet.log"), "--format", "raw", "--poll", "300"});
  expect_copy(copy("quiet.log"), expected, false);
  // Long enough for the path to be trusted as quiet: what is tested happens only after this
  // time, and nothing outside the agent shows when it has passed.
  std::this_thread::sleep_for(2500ms);
  std::string again;
  for (int i = 2000; i < 2400; ++i) again += numbered(i);
  {
    auto out = std::ofstream(file, std::ios::trunc | std::ios::binary);
    out << again;  // cut and rewritten at once, longer than before
  }
  expected += again;
  expect_copy(copy("quiet.log"), expected, false);
  EXPECT_TRUE(status_shows("truncations", 1, 5s));
  stop(agent);
}

// The rotated copy of a copytruncate is found by its identity under a dated name
// (logrotate's dateext) and under an administrator's pattern, while the writer waits.
TEST_F(PullTest, CopytruncateCopyFoundUnderADatedNameAndAConfiguredPattern) {
  const auto dated = remote("dated.log"), custom = remote("custom.log");
  std::string want_dated, want_custom;
  auto add = [](const fs::path& f, std::string& want, int from, int to) {
    std::string t;
    for (int i = from; i <= to; ++i) t += numbered(i);
    append(f, t);
    want += t;
  };
  add(dated, want_dated, 1, 100);
  add(custom, want_custom, 1, 100);
  // A long poll, so that the lines added just before each rotation are unread when it happens.
  auto agent =
      start({"--follow", follow("dated.log"), "--follow", follow("custom.log"), "--format", "raw",
             "--poll", "1500", "--rotated-name", "{}-%Y%m%d", "--rotated-name", "{}.old"});
  expect_copy(copy("dated.log"), want_dated, false, 30s, false);
  expect_copy(copy("custom.log"), want_custom, false, 30s, false);
  add(dated, want_dated, 101, 150);
  add(custom, want_custom, 101, 150);
  char day[16];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::strftime(day, sizeof day, "%Y%m%d", &utc);
  fs::copy_file(dated, dated.string() + "-" + day);
  fs::resize_file(dated, 0);
  fs::copy_file(custom, custom.string() + ".old");
  fs::resize_file(custom, 0);
  add(dated, want_dated, 151, 160);
  add(custom, want_custom, 151, 160);
  expect_copy(copy("dated.log"), want_dated, false);
  expect_copy(copy("custom.log"), want_custom, false);
  stop(agent);  // (the status file written at exit shows every event)
  const auto st = status_text();
  EXPECT_EQ(json_number(st, "truncations"), 0) << st;
  EXPECT_EQ(json_number(st, "copytruncations"), 1) << st;  // (of the first file)
  EXPECT_NE(slurp(log()).find("from the rotated copy " + dated.string() + "-" + day),
            std::string::npos)
      << log_events();
  EXPECT_NE(slurp(log()).find("from the rotated copy " + custom.string() + ".old"),
            std::string::npos)
      << log_events();
}

// A file shorter than the fingerprint (1 KiB): its identity grows with it, and rename
// rotation, copytruncate and truncation of short files are told apart.
TEST_P(ShortFileTest, RotatedCopytruncatedAndTruncatedWhileShort) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("short.log");
  std::string want;
  auto add = [&](int from, int to) {
    std::string t;
    for (int i = from; i <= to; ++i) t += numbered(i);
    append(file, t);
    want += t;
  };
  add(1, 2);  // 138 bytes
  auto agent = start({"--follow", follow("short.log"), "--format", GetParam()});
  expect_copy(copy("short.log"), want, framed, 30s, false);
  add(3, 5);
  expect_copy(copy("short.log"), want, framed, 30s, false);
  rotate_by_rename(file);  // the new file is shorter than the old one
  add(6, 6);
  expect_copy(copy("short.log"), want, framed, 30s, false);
  add(7, 8);
  rotate_by_copytruncate(file);  // the rest, still short, is in short.log.1
  add(9, 9);
  expect_copy(copy("short.log"), want, framed, 30s, false);
  fs::resize_file(file, 0);  // truncated, nothing lost
  add(10, 11);
  expect_copy(copy("short.log"), want, framed);
  stop(agent);  // (the status file written at exit shows every event)
  const auto st = status_text();
  EXPECT_EQ(json_number(st, "rotations"), 1) << st;
  EXPECT_EQ(json_number(st, "copytruncations") + json_number(st, "truncations"), 2) << st;
  if (framed) expect_verifies(copy("short.log"));
}

// SFTP times are whole seconds: a file copytruncated and written again to the very size that was
// read, within the second of the last look, has the same size and mtime as then. A look at the
// path alone must not take that for a quiet file (the lines in the copy and the new ones were
// never read).
TEST_P(ShortFileTest, RewrittenToTheSameSizeWithinTheSecondOfTheLastLook) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("same.log");
  append(file, numbered(1));
  auto agent = start({"--follow", follow("same.log"), "--format", GetParam()});
  const auto copied = [&](int upto) {
    std::string t;
    for (int i = 1; i <= upto; ++i) t += numbered(i);
    return t;
  };
  expect_copy(copy("same.log"), copied(1), framed, 30s, false);
  // What follows has to happen within one second of the host's clock: start it at the
  // beginning of one (a time of the clock, not a wait for anything).
  const auto now = std::chrono::system_clock::now();
  std::this_thread::sleep_until(std::chrono::ceil<std::chrono::seconds>(now) + 10ms);
  append(file, numbered(2));
  expect_copy(copy("same.log"), copied(2), framed, 30s, false);  // read: size 2 lines, mtime s
  append(file, numbered(3) + numbered(4));
  rotate_by_copytruncate(file);
  append(file, numbered(5) + numbered(6));  // the same size again (lines of equal length)
  expect_copy(copy("same.log"), copied(6), framed);
  stop(agent);
  if (framed) expect_verifies(copy("same.log"));
}

INSTANTIATE_TEST_SUITE_P(Formats, ShortFileTest, ::testing::Values("raw", "framed"));

}  // namespace
}  // namespace logship::test
