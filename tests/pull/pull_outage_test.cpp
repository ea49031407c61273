// logship-pull end to end: kill -9 and SIGTERM at awkward moments, connections cut or frozen,
// a host that never speaks, a second instance: nothing lost, nothing repeated, a quick exit.
#include "pull_fixture.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <mutex>
#include <thread>

#include "support/silent_listener.hpp"

namespace logship::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- crashes and outages ----

class CrashTest : public PullTest, public ::testing::WithParamInterface<const char*> {};
class StopTest : public PullTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CrashTest, KillNineDuringCatchUpThenRestart) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("big.log");
  const std::string expected = write_numbered(file, 96u << 20);
  const std::vector<std::string> a = {"--follow", follow("big.log"),       "--format",
                                      GetParam(), "--checkpoint-interval", "50"};
  int killed_mid_way = 0;
  for (std::uint64_t at : {4u << 20, 24u << 20, 48u << 20}) {
    auto agent = std::make_unique<Child>(args(a), log());
    const bool reached = static_cast<bool>(wait_until(
        [&] {
          std::error_code ec;
          return fs::file_size(copy("big.log"), ec) >= at && !ec;
        },
        30s));
    agent->signal(SIGKILL);
    agent->wait_for(10s);
    std::error_code ec;
    if (reached && fs::file_size(copy("big.log"), ec) < expected.size()) ++killed_mid_way;
  }
  EXPECT_GE(killed_mid_way, 2) << "the copy was complete before the kill: make the file larger";
  auto agent = start(a);
  expect_copy(copy("big.log"), expected, framed, 60s);
  stop(agent);
  if (framed) expect_verifies(copy("big.log"));
}

// kill -9 while a writer appends, then a copytruncate and a rename rotation while nobody
// watches: at each restart the old file's rest is found by its identity (FILE.1) and read first.
TEST_P(CrashTest, KillNineThenRotatedWhileDownThenRestart) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("app.log");
  Writer w(file, 2000);
  const std::vector<std::string> a = {"--follow", follow("app.log"), "--format", GetParam()};
  // Each agent is killed once it has logged `event` (after the checkpoint of the generation it
  // starts) and copied more (not after a fixed time: on a busy machine it may not even have
  // connected by then).
  const auto copying = [&](const std::string& event, std::uintmax_t size) {
    return wait_until(
        [&] {
          std::error_code ec;
          const auto now = fs::file_size(copy("app.log"), ec);
          return !ec && now > size + 4096 && slurp(log()).find(event) != std::string::npos;
        },
        20s);
  };
  auto agent = std::make_unique<Child>(args(a), log());
  ASSERT_TRUE(copying("following from offset 0", 0)) << slurp(log());
  agent->signal(SIGKILL);
  agent->wait_for(10s);
  {
    std::lock_guard<std::mutex> hold(w.mutex());
    rotate_by_copytruncate(file);
  }
  ASSERT_TRUE(w.wrote(600));  // into the truncated file, while no agent runs
  const auto before = fs::file_size(copy("app.log"));
  agent = std::make_unique<Child>(args(a), log());
  // (" from 0": a new generation after the copy was read, as "rotated" or "copytruncated"
  // depending on what the first agent had checkpointed)
  ASSERT_TRUE(copying(" from 0", before)) << slurp(log());
  agent->signal(SIGKILL);
  agent->wait_for(10s);
  rotate_by_rename(file);
  std::this_thread::sleep_for(50ms);  // (postrotate's delay: the time is the scenario)
  w.reopen();
  ASSERT_TRUE(w.wrote(600));
  agent = start(a);
  ASSERT_TRUE(w.wrote(1000));
  w.stop();
  ASSERT_FALSE(w.failed());
  expect_copy(copy("app.log"), w.written(), framed);
  stop(agent);
  if (framed) expect_verifies(copy("app.log"));
}

INSTANTIATE_TEST_SUITE_P(Formats, CrashTest, ::testing::Values("raw", "framed"));

TEST_F(PullTest, ConnectionCutDuringRotation) {
  const auto file = remote("auth.log");
  Writer w(file, 2000);
  auto agent = start({"--follow", follow("auth.log"), "--format", "framed"});
  EXPECT_TRUE(wait_until(
      [&] {
        std::error_code ec;
        return fs::file_size(copy("auth.log"), ec) > 16384 && !ec;
      },
      10s, "the copy to grow"))
      << tail_of_log();
  // The connection drops and stays down while the file is rotated and the writer moves on.
  sshd_.stop();
  sshd_.cut_connections();
  rotate_by_rename(file);
  std::this_thread::sleep_for(100ms);  // (postrotate's delay: the time is the scenario)
  w.reopen();
  ASSERT_TRUE(w.wrote(2000));
  EXPECT_TRUE(wait_until([&] { return json_string(status_text(), "state") == "unreachable"; }, 5s,
                         "the host reported unreachable"))
      << status_text();
  EXPECT_NE(json_string(status_text(), "unreachable_since"), "");
  sshd_.start();
  // Cut again while it catches up with the renamed file, as a flaky link would.
  EXPECT_TRUE(wait_until([&] { return json_number(status_text(), "connections") >= 2; }, 10s,
                         "a reconnect"))
      << status_text();
  sshd_.cut_connections();
  ASSERT_TRUE(w.wrote(1600));
  w.stop();
  expect_copy(copy("auth.log"), w.written(), true);
  // The renamed file was found as auth.log.1 by its identity and read to its end.
  EXPECT_TRUE(status_shows("rotations", 1, 5s));
  EXPECT_EQ(json_number(status_text(), "replaced"), 0);
  stop(agent);
  expect_verifies(copy("auth.log"));
}

TEST_F(PullTest, SecondInstanceExitsZeroSighupIgnoredUnreachableReported) {
  append(remote("a.log"), numbered(1));
  auto agent = start({"--follow", follow("a.log"), "--format", "raw"});
  auto second = run_program(args({"--follow", follow("a.log"), "--format", "raw"}));
  EXPECT_EQ(second.code, 0);
  EXPECT_NE(second.err.find("already running"), std::string::npos) << second.err;
  agent->signal(SIGHUP);
  // Time for a wrong SIGHUP handling to kill it: surviving it is the test, and nothing shows
  // that the signal was handled.
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(agent->running());
  stop(agent);
}

// A host whose TCP port answers but whose SSH never speaks: the agent sits in its SSH
// handshake with 60 s of --connect-timeout left. SIGTERM ends it at once all the same.
TEST_F(PullTest, SigtermEndsTheAgentAtOnceWhileItIsConnecting) {
  const SilentListener silent;
  append(remote("auth.log"), numbered(1));
  auto a = args({"--follow", follow("auth.log")});
  for (std::size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == "--port") a[i + 1] = std::to_string(silent.port());
    if (a[i] == "--connect-timeout") a[i + 1] = "60";
  }
  Child agent(a, log());
  ASSERT_TRUE(
      wait_until([&] { return slurp(log()).find("following 1 file") != std::string::npos; }, 10s))
      << slurp(log());
  // In the SSH handshake, which never completes, once its TCP connection is up.
  EXPECT_TRUE(wait_until([&] { return silent.has_client(); }, 10s, "a TCP connection"));
  const auto t0 = std::chrono::steady_clock::now();
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_for(10s), 0) << tail_of_log();
  const auto took = std::chrono::steady_clock::now() - t0;
  std::printf(
      "exit after SIGTERM while connecting: %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_LT(took, 1s) << tail_of_log();
}

// SIGTERM while a request is in flight on a link that stopped answering: the agent exits at
// once (not after --timeout), and what it copied is exactly what a restart continues from.
TEST_P(StopTest, SigtermDuringAStalledRequestExitsAtOnceLosingNothing) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("auth.log");
  std::string expected;
  for (int i = 1; i <= 2000; ++i) expected += numbered(i);
  append(file, expected);
  const std::vector<std::string> a = {"--follow", follow("auth.log"), "--format",
                                      GetParam(), "--timeout",        "60"};
  auto agent = start(a);
  expect_copy(copy("auth.log"), expected, framed, 30s, false);
  std::string more;
  for (int i = 2001; i <= 2500; ++i) more += numbered(i);
  append(file, more);
  expected += more;
  sshd_.freeze_connections();
  // The agent is stuck in a request once its status file stops being rewritten (every 1 s).
  const auto stuck = [&] {
    std::error_code ec;
    const auto t = fs::last_write_time(status(), ec);
    return !ec && fs::file_time_type::clock::now() - t > 2500ms;
  };
  ASSERT_TRUE(wait_until(stuck, 20s)) << tail_of_log();
  const auto t0 = std::chrono::steady_clock::now();
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait_for(20s), 0) << tail_of_log();
  const auto took = std::chrono::steady_clock::now() - t0;
  std::printf(
      "exit after SIGTERM with a request in flight: %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_LT(took, 2500ms) << "SIGTERM waited for the stalled request";
  sshd_.thaw_connections();
  auto again = start(a);
  expect_copy(copy("auth.log"), expected, framed);
  stop(again);
  if (framed) expect_verifies(copy("auth.log"));
}

// SIGTERM in the middle of a catch-up: quick, and the restart continues without a loss or a
// repeat.
TEST_P(StopTest, SigtermDuringCatchUpThenRestart) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("big.log");
  const std::string expected = write_numbered(file, 64u << 20);
  const std::vector<std::string> a = {"--follow", follow("big.log"), "--format", GetParam()};
  auto agent = std::make_unique<Child>(args(a), log());
  ASSERT_TRUE(wait_until(
      [&] {
        std::error_code ec;
        return fs::file_size(copy("big.log"), ec) >= (8u << 20) && !ec;
      },
      30s));
  const auto t0 = std::chrono::steady_clock::now();
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait_for(20s), 0) << tail_of_log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
  std::error_code ec;
  EXPECT_LT(fs::file_size(copy("big.log"), ec), expected.size()) << "stopped after the end";
  auto again = start(a);
  expect_copy(copy("big.log"), expected, framed, 60s);
  stop(again);
  if (framed) expect_verifies(copy("big.log"));
}

INSTANTIATE_TEST_SUITE_P(Formats, StopTest, ::testing::Values("raw", "framed"));

}  // namespace
}  // namespace logship::test
