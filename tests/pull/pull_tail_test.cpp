// logship-pull end to end in tail mode (a forced `tail -F`): what a reconnect loses and
// repeats, measured; no remote tail outlives the agent.
#include "pull_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace logship::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- tail mode ----

class TailModeTest : public PullTest {
 protected:
  void SetUp() override {
    PullTest::SetUp();
    tail_key_ = sshd_.make_client_key("tail");
    sshd_.add_authorized_key(tail_key_options(remote("auth.log")), tail_key_);
  }
  std::vector<std::string> tail_args() const {
    auto a = args({"--mode", "tail", "--format", "raw", "--follow", follow("auth.log")});
    for (std::size_t i = 0; i + 1 < a.size(); ++i)
      if (a[i] == "--identity") a[i + 1] = tail_key_.private_key.string();
    return a;
  }
  int tails() const {
    int n = 0;
    for (const auto& p : sshd_.processes()) n += p.comm == "tail";
    return n;
  }
  ClientKey tail_key_;
};

// The copy's line numbers, in order.
std::vector<std::uint64_t> line_numbers(const std::string& copy) {
  std::vector<std::uint64_t> out;
  std::istringstream in(copy);
  for (std::string line; std::getline(in, line);) out.push_back(std::stoull(line.substr(5, 8)));
  return out;
}

// What the reconnects of tail mode did to a copy of lines 1..total: the copy is runs of
// consecutive lines; between two runs, a new `tail -F` started 10 lines before the end of the
// file as it was then, so it either skipped lines (lost) or printed some again (repeated).
struct Restarts {
  std::uint64_t breaks = 0, lost = 0, repeated = 0;
  std::uint64_t max_repeat = 0;  // most lines printed again at one restart
  std::string problem;           // a violation of those semantics, "" when none
};
Restarts restarts(const std::vector<std::uint64_t>& lines, std::uint64_t total) {
  Restarts r;
  if (lines.empty()) {
    r.problem = "empty copy";
    return r;
  }
  if (lines.front() != 1) r.problem = "the first tail did not start at line 1";
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto a = lines[i - 1], b = lines[i];
    if (b == a + 1) continue;
    ++r.breaks;
    if (b > a) {
      r.lost += b - a - 1;
    } else {
      r.repeated += a - b + 1;
      r.max_repeat = std::max(r.max_repeat, a - b + 1);
    }
  }
  for (auto n : lines)
    if (n < 1 || n > total) r.problem = "line " + std::to_string(n) + " was never written";
  if (lines.back() != total) r.problem = "the copy does not end with the last line written";
  return r;
}

TEST_F(TailModeTest, MeasuresWhatAReconnectLosesAndRepeats) {
  const auto file = remote("auth.log");
  std::string first;
  for (int i = 1; i <= 5; ++i) first += numbered(i);
  append(file, first);
  auto agent = std::make_unique<Child>(tail_args(), log());
  auto connections = [&] { return json_number(status_text(), "connections"); };
  // The first tail printed the short file whole: the copy starts at line 1.
  ASSERT_TRUE(wait_until([&] { return slurp(copy("auth.log")) == first; }, 10s)) << tail_of_log();
  const auto lines = [&] {
    const auto c = slurp(copy("auth.log"));
    return static_cast<std::size_t>(std::count(c.begin(), c.end(), '\n'));
  };
  std::uint64_t total = 0;
  {
    Writer w(file, 2000, 6);
    // Lines written and copied while the link is up.
    EXPECT_TRUE(wait_until([&] { return lines() >= 1000; }, 10s, "1000 lines copied"));
    const auto before = connections();
    sshd_.cut_connections();  // down until the agent notices and reconnects, lines still written
    EXPECT_TRUE(wait_until([&] { return connections() > before; }, 10s, "a reconnect"))
        << tail_of_log();
    // And copied again for a while.
    const auto copied = lines();
    EXPECT_TRUE(wait_until([&] { return lines() >= copied + 1400; }, 10s, "more lines copied"));
    w.stop();
    total = w.count();
  }
  ASSERT_TRUE(wait_until([&] { return slurp(copy("auth.log")).ends_with(numbered(total)); }, 10s))
      << tail_of_log();
  const auto busy_lines = line_numbers(slurp(copy("auth.log")));
  const auto busy = restarts(busy_lines, total);
  const auto busy_connections = connections();

  // The same on a quiet file: nothing is written while the link is down, so each new tail
  // prints (up to) the last 10 lines again and loses nothing.
  sshd_.cut_connections();
  EXPECT_TRUE(wait_until([&] { return connections() > busy_connections; }, 10s)) << tail_of_log();
  // (a moment for the new tail's repeat to arrive; the line below is copied either way)
  (void)wait_until(
      [&] { return line_numbers(slurp(copy("auth.log"))).size() >= busy_lines.size() + 10; }, 3s);
  append(file, numbered(total + 1));
  ASSERT_TRUE(
      wait_until([&] { return slurp(copy("auth.log")).ends_with(numbered(total + 1)); }, 10s));
  // Each reconnect (normally one) printed at most the last 10 lines once more; how many
  // depends on when the cut came, so the counts are printed, not asserted.
  const auto quiet_reconnects = static_cast<std::uint64_t>(connections() - busy_connections);
  const auto quiet_lines = line_numbers(slurp(copy("auth.log")));
  const auto quiet = restarts(quiet_lines, total + 1);

  std::printf(
      "tail mode, reconnects while 2000 lines/s are written: %llu restart(s) seen in the copy "
      "(%lld connections), %llu lines lost, %llu repeated (of %llu); on a quiet file: %llu "
      "reconnect(s), %llu lost, %llu repeated\n",
      static_cast<unsigned long long>(busy.breaks), static_cast<long long>(busy_connections),
      static_cast<unsigned long long>(busy.lost), static_cast<unsigned long long>(busy.repeated),
      static_cast<unsigned long long>(total), static_cast<unsigned long long>(quiet_reconnects),
      static_cast<unsigned long long>(quiet.lost - busy.lost),
      static_cast<unsigned long long>(quiet.repeated - busy.repeated));
  RecordProperty("busy_lost_lines", std::to_string(busy.lost));
  RecordProperty("busy_repeated_lines", std::to_string(busy.repeated));
  RecordProperty("quiet_repeated_lines", std::to_string(quiet.repeated - busy.repeated));
  // What must hold however long the link stayed down: each restart shows in the copy at most
  // once per connection made, and repeats at most tail's 10 lines; the copy holds only lines
  // written, in runs, and ends with the last one.
  EXPECT_EQ(busy.problem, "");
  EXPECT_LE(busy.breaks, static_cast<std::uint64_t>(busy_connections - 1));
  EXPECT_LE(busy.max_repeat, 10u);
  // On the quiet file nothing was written while the link was down: nothing more is lost, and
  // each reconnect repeats at most 10 lines.
  EXPECT_EQ(quiet.problem, "");
  EXPECT_GE(quiet_reconnects, 1u);
  EXPECT_EQ(quiet.lost, busy.lost);
  EXPECT_LE(quiet.breaks - busy.breaks, quiet_reconnects);
  EXPECT_LE(quiet.repeated - busy.repeated, 10 * quiet_reconnects);
  EXPECT_LE(quiet.max_repeat, 10u);
  stop(agent);
  EXPECT_TRUE(wait_until([&] { return tails() == 0; }, 5s)) << "a remote tail outlived SIGTERM";
}

TEST_F(TailModeTest, NoRemoteTailLeftAfterKillOrFrozenLink) {
  append(remote("auth.log"), numbered(1));
  auto agent = std::make_unique<Child>(tail_args(), log());
  ASSERT_TRUE(wait_until([&] { return tails() == 1; }, 10s)) << tail_of_log();
  // The agent dies without closing anything: sshd sees the connection close, tail goes.
  agent->signal(SIGKILL);
  agent->wait_for(5s);
  EXPECT_TRUE(wait_until([&] { return tails() == 0; }, 10s)) << "a remote tail outlived kill -9";

  // A frozen link: the agent times out, reconnects (a second tail), and when the old
  // connection wakes up and finds its client gone, its tail goes too.
  agent = std::make_unique<Child>(tail_args(), log());
  ASSERT_TRUE(wait_until([&] { return tails() == 1; }, 10s)) << tail_of_log();
  sshd_.freeze_connections();
  EXPECT_TRUE(wait_until([&] { return tails() == 2; }, 20s)) << tail_of_log();
  sshd_.thaw_connections();
  append(remote("auth.log"), numbered(2));
  EXPECT_TRUE(wait_until([&] { return tails() == 1; }, 10s))
      << "the frozen connection's tail stayed";
  stop(agent);
  EXPECT_TRUE(wait_until([&] { return tails() == 0; }, 5s));
}

}  // namespace
}  // namespace logship::test
