// End-to-end tests of logship-push: the built binary against a private sshd whose
// authorized_keys forces `cat >> FILE`, checked with the built logship-verify.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <thread>
#include <tuple>

#include "support/child.hpp"
#include "support/fifo_writer.hpp"
#include "support/push_args.hpp"
#include "support/silent_listener.hpp"
#include "support/sshd_fixture.hpp"
#include "support/test_files.hpp"
#include "support/wait.hpp"

namespace logship::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The first "key":number in a JSON text (top-level fields come first in verify's summary).
std::int64_t json_number(const std::string& json, const std::string& key) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + key + "\":(-?[0-9]+)"))) return std::stoll(m[1]);
  return -1;
}
std::string json_string(const std::string& json, const std::string& key) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + key + "\":\"([^\"]*)\""))) return m[1];
  return "";
}

std::string numbered(std::uint64_t i) {
  return "auth line " + std::to_string(i) + " sshd[42]: ok\n";
}

class PushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);  // a FIFO without reader answers EPIPE, as syslog sees it
    home_ = sshd_.dir() / "host";
    fs::create_directories(home_);
    vault_ = sshd_.dir() / "vault.log";
    target_ = sshd_.dir() / "vault-target";  // a symlink the forced command appends through
    fs::create_symlink(vault_, target_);
    sshd_.add_authorized_key(push_key_options(target_), sshd_.client_key());
    sshd_.start();
    sshd_.write_known_hosts();
    auto init = run_program({program_path("logship-push").string(), "init", "--state-dir",
                             state().string(), "--key-out", key().string(), "--source", "web1"});
    ASSERT_EQ(init.code, 0) << init.err;
  }

  void TearDown() override {
    // Built with -DLOGSHIP_SANITIZE=ON, the agent reports memory errors in its log.
    EXPECT_EQ(slurp(log()).find("Sanitizer"), std::string::npos) << slurp(log());
  }

  fs::path state() const { return home_ / "state"; }
  fs::path key() const { return home_ / "web1.key"; }
  fs::path fifo() const { return home_ / "in.fifo"; }
  fs::path status() const { return home_ / "status.json"; }
  fs::path log() const { return home_ / "push.log"; }

  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    return push_args(sshd_, fifo(), state(), status(), extra);
  }
  std::unique_ptr<Child> start(std::vector<std::string> extra = {}) {
    auto c = std::make_unique<Child>(args(std::move(extra)), log());
    // Ready when the FIFO exists and the agent holds it open (its status file appears).
    EXPECT_TRUE(eventually([&] { return fs::exists(status()); }, 10s)) << slurp(log());
    return c;
  }
  // Writes lines 1..n into the FIFO on a thread of its own, one every `period` on average (a
  // busy syslog), each also appended to `expected`; join the thread before reading it.
  std::thread write_paced(std::string& expected, std::uint64_t n,
                          std::chrono::microseconds period) {
    return std::thread([this, &expected, n, period] {
      FifoWriter w(fifo());
      const auto t0 = std::chrono::steady_clock::now();
      for (std::uint64_t i = 1; i <= n; ++i) {
        const auto l = numbered(i);
        w.write(l);
        expected += l;
        if (i % 20 == 0) std::this_thread::sleep_until(t0 + i * period);
      }
    });
  }
  std::string status_text() const { return slurp(status()); }
  bool drained() const { return json_number(status_text(), "backlog_lines") == 0; }
  Output verify(std::vector<std::string> extra) const {
    std::vector<std::string> a = {program_path("logship-verify").string()};
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back(vault_.string());
    return run_program(a);
  }
  std::string extract() const { return verify({"--extract"}).out; }
  // Waits until the vault holds exactly `expected` (as extracted).
  void expect_delivered(const std::string& expected, std::chrono::seconds timeout = 60s) {
    EXPECT_TRUE(eventually([&] { return extract().size() >= expected.size(); }, timeout))
        << "status: " << status_text() << "\nlog:\n"
        << slurp(log()).substr(0, 20000);
    const std::string got = extract();
    EXPECT_TRUE(got == expected) << "extracted " << got.size() << " bytes, expected "
                                 << expected.size() << "; " << first_difference(got, expected);
  }

  // Waits until the running agent had every spooled line acknowledged: a batch is in the vault
  // file before it is closed and acknowledged, and logship-verify reports an unclosed one.
  void expect_acknowledged() {
    EXPECT_TRUE(eventually(
        [&] {
          const auto s = status_text();
          return json_number(s, "batches") >= 1 && json_number(s, "backlog_lines") == 0;
        },
        30s))
        << status_text();
  }

  SshdFixture sshd_;
  fs::path home_, vault_, target_;
};

TEST_F(PushTest, HundredThousandLinesArriveExactlyOnceInOrder) {
  auto agent = start();
  std::string expected;
  {
    FifoWriter w(fifo());
    for (std::uint64_t i = 1; i <= 100'000; ++i) {
      const auto l = numbered(i);
      w.write(l);
      expected += l;
    }
  }
  expect_delivered(expected);
  expect_acknowledged();
  auto v = verify({"--key", key().string(), "--json"});
  EXPECT_EQ(v.code, 0) << v.out;
  EXPECT_EQ(json_number(v.out, "payload_lines"), 100000);
  EXPECT_EQ(json_number(v.out, "dropped"), 0);
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait_for(10s), 0);
}

TEST_F(PushTest, SecondInstanceExitsZeroAndSighupDoesNotKill) {
  auto agent = start();
  auto second = run_program(args());
  EXPECT_EQ(second.code, 0);
  EXPECT_NE(second.err.find("already running"), std::string::npos) << second.err;
  agent->signal(SIGHUP);
  std::this_thread::sleep_for(300ms);  // give a wrong SIGHUP handling the time to kill it
  EXPECT_TRUE(agent->running());
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait_for(10s), 0);
}

TEST_F(PushTest, BatchOpenBeyondWhatVerifyCallsLiveIsAUsageError) {
  auto r = run_program(args({"--batch-open", "60001"}));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--batch-open must be at most 60000 ms"), std::string::npos) << r.err;
  r = run_program(args({"--batch-open", "-1"}));
  EXPECT_EQ(r.code, 2) << r.err;
}

TEST_F(PushTest, StateSyncIsSealOrSend) {
  auto r = run_program(args({"--state-sync", "never"}));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--state-sync must be seal or send, not 'never'"), std::string::npos)
      << r.err;
}

TEST_F(PushTest, EitherStateSyncDeliversEveryLineOnceAndVerifies) {
  std::string data;
  for (int i = 0; i < 5000; ++i) data += "line " + std::to_string(i) + "\n";
  const auto input = home_ / "input.txt";
  std::ofstream(input, std::ios::binary) << data;
  std::string expected;
  for (const char* mode : {"send", "seal"}) {
    auto a = args({"--state-sync", mode, "--batch-max-bytes", "4K"});  // many batches
    a[2] = "-";                                                        // --input -
    Child agent(a, log(), input);
    EXPECT_EQ(agent.wait_for(60s), 0) << slurp(log());
    expected += data;
    EXPECT_TRUE(extract() == expected)
        << mode << ": extracted " << extract().size() << " of " << expected.size();
    EXPECT_EQ(verify({"--key", key().string()}).code, 0) << mode;
  }
}

TEST_F(PushTest, CiphersAreOfferedAsGivenAndUnknownNamesAreAUsageError) {
  auto r = run_program(args({"--ciphers", "no-such-cipher"}));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("cipher 'no-such-cipher' in the list"), std::string::npos) << r.err;
  r = run_program(args({"--ciphers", "aes128-gcm@openssh.com,aes128-gmc@openssh.com"}));
  EXPECT_EQ(r.code, 2) << r.err;  // a typo next to a valid name is not dropped silently
  EXPECT_NE(r.err.find("cipher 'aes128-gmc@openssh.com'"), std::string::npos) << r.err;

  {  // offered alone, a cipher this sshd does not take fails the handshake: it was offered
    auto agent = start({"--ciphers", "aes128-cbc", "--shutdown-grace", "0"});
    FifoWriter(fifo()).write(numbered(1));
    EXPECT_TRUE(eventually(
        [&] { return slurp(log()).find("client [aes128-cbc]") != std::string::npos; }, 10s))
        << slurp(log());
    agent->signal(SIGTERM);
    EXPECT_EQ(agent->wait_for(15s), 0);
  }
  fs::remove(status());  // start() waits for the new agent's
  auto agent = start({"--ciphers", "aes128-gcm@openssh.com", "--shutdown-grace", "0"});
  FifoWriter(fifo()).write(numbered(2));
  expect_delivered(numbered(1) + numbered(2));
}

TEST_F(PushTest, OutageAndCutConnectionsLoseNothing) {
  auto agent = start({"--heartbeat", "1"});
  std::string expected;
  std::thread writer = write_paced(expected, 80'000, 200us);  // 5,000 lines/s for 16 s
  EXPECT_TRUE(wait_until([&] { return json_number(status_text(), "last_acked_seq") >= 2; }, 10s,
                         "batches acked"))
      << status_text();
  sshd_.cut_connections();  // mid-stream: some batch is usually being written
  EXPECT_TRUE(
      wait_until([&] { return json_number(status_text(), "reconnects") >= 1; }, 10s, "a reconnect"))
      << status_text();
  sshd_.stop();
  sshd_.cut_connections();
  // The vault is down for 10 s while lines keep coming: the outage is the scenario.
  std::this_thread::sleep_for(10s);
  EXPECT_NE(json_string(status_text(), "last_error"), "") << status_text();
  sshd_.start();
  writer.join();
  expect_delivered(expected);
  expect_acknowledged();
  auto v = verify({"--key", key().string(), "--json"});
  EXPECT_EQ(v.code, 0) << v.out;  // repeats only as identical resends, no findings
  EXPECT_EQ(json_number(v.out, "findings_total"), 0) << v.out;
  EXPECT_GE(json_number(status_text(), "reconnects"), 1);
}

TEST_F(PushTest, TornBatchOnTheVaultIsResentWhole) {
  // The vault takes 700 bytes of the first batch, then fails: a torn batch in the file.
  fs::remove(target_);
  std::ofstream(sshd_.authorized_keys(), std::ios::trunc)
      << "restrict,command=\"if [ -e " << (home_ / "healed").string() << " ]; then cat >> "
      << vault_.string() << "; else head -c 700 >> " << vault_.string() << "; exit 1; fi\" "
      << sshd_.client_key().public_line << "\n";
  auto agent = start();
  std::string expected;
  {
    FifoWriter w(fifo());
    for (int i = 1; i <= 200; ++i) {
      expected += numbered(static_cast<std::uint64_t>(i));
      w.write(numbered(static_cast<std::uint64_t>(i)));
    }
  }
  ASSERT_TRUE(eventually(
      [&] { return json_string(status_text(), "last_error_kind") == "remote_refused"; }, 20s))
      << status_text();
  std::ofstream(home_ / "healed") << "";
  expect_delivered(expected);
  expect_acknowledged();
  auto v = verify({"--key", key().string(), "--json"});
  EXPECT_EQ(v.code, 0) << v.out;
  EXPECT_GE(json_number(v.out, "interrupted_transfers"), 1) << v.out;
}

TEST_F(PushTest, KillNineMidStreamThenRestartLosesNothing) {
  auto agent = start();
  // A syslog daemon keeps the FIFO open while the agent restarts: what the killed agent left in
  // the pipe's buffer waits there for the next one (PUSH.md, The input).
  FifoWriter syslog(fifo());
  std::string expected;
  std::thread writer = write_paced(expected, 30'000, 200us);
  EXPECT_TRUE(wait_until([&] { return json_number(status_text(), "last_acked_seq") >= 2; }, 10s,
                         "batches acked"))
      << status_text();  // mid-stream
  agent->signal(SIGKILL);
  agent->wait_for(5s);
  agent = std::make_unique<Child>(args(), log());
  writer.join();
  expect_delivered(expected);
  expect_acknowledged();
  auto v = verify({"--key", key().string(), "--json"});
  EXPECT_EQ(v.code, 0) << v.out;
}

TEST_F(PushTest, BacklogFromAnEarlierRunLeavesAtOnceAfterRestart) {
  sshd_.stop();
  auto agent = start({"--shutdown-grace", "0"});
  std::string expected;
  {
    FifoWriter w(fifo());
    for (std::uint64_t i = 1; i <= 1000; ++i) {
      expected += numbered(i);
      w.write(numbered(i));
    }
  }
  ASSERT_TRUE(eventually([&] { return json_number(status_text(), "backlog_lines") == 1000; }, 10s));
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait_for(10s), 0) << "a vault that is down must not hold up the exit";
  sshd_.start();
  agent = std::make_unique<Child>(args(), log());  // no new input, heartbeat 60 s away
  // Every line is in the vault file at once. When the stopped run had cut its batch before the
  // last lines came, those follow in a batch of their own that takes every pending line: it
  // stays open, its seal (and so --extract) up to --batch-open-max away (PUSH.md, Batches).
  EXPECT_TRUE(
      eventually([&] { return slurp(vault_).find(numbered(1000)) != std::string::npos; }, 10s))
      << status_text();
  expect_delivered(expected, 30s);
}

TEST_F(PushTest, VaultDiskFullCommitsNothingAndDeliversOnceFixed) {
  fs::remove(target_);
  fs::create_symlink("/dev/full", target_);
  auto agent = start();
  std::string expected;
  {
    FifoWriter w(fifo());
    for (std::uint64_t i = 1; i <= 500; ++i) {
      expected += numbered(i);
      w.write(numbered(i));
    }
  }
  ASSERT_TRUE(eventually(
      [&] { return json_string(status_text(), "last_error_kind") == "remote_refused"; }, 20s))
      << status_text();
  EXPECT_NE(status_text().find("No space left"), std::string::npos) << status_text();
  EXPECT_EQ(json_number(status_text(), "backlog_lines"), 500);
  EXPECT_EQ(json_number(status_text(), "batches"), 0) << "nothing may be committed";
  // The vault admin frees space.
  fs::remove(target_);
  fs::create_symlink(vault_, target_);
  expect_delivered(expected);
  expect_acknowledged();
  EXPECT_EQ(verify({"--key", key().string()}).code, 0);
}

TEST_F(PushTest, ChangedHostKeyIsRefusedSpoolingGoesOnAndDeliveryResumes) {
  auto agent = start();
  std::string expected;
  FifoWriter w(fifo());
  for (std::uint64_t i = 1; i <= 10; ++i) {
    expected += numbered(i);
    w.write(numbered(i));
  }
  expect_delivered(expected);
  expect_acknowledged();     // so that the cut below interrupts no batch
  sshd_.replace_host_key();  // restarts sshd with a new key: a reconnect is needed
  sshd_.cut_connections();
  const std::string fingerprint = sshd_.host_key_fingerprint();
  for (std::uint64_t i = 11; i <= 1000; ++i) {
    expected += numbered(i);
    w.write(numbered(i));
  }
  ASSERT_TRUE(eventually(
      [&] { return json_string(status_text(), "last_error_kind") == "host_key_changed"; }, 20s))
      << status_text();
  EXPECT_NE(status_text().find(fingerprint), std::string::npos) << status_text();
  EXPECT_TRUE(eventually([&] { return json_number(status_text(), "backlog_lines") == 990; }, 10s))
      << "the lines are spooled meanwhile: " << status_text();
  sshd_.write_known_hosts();  // the admin checked the new key and recorded it
  expect_delivered(expected);
}

TEST_F(PushTest, OddLinesRoundTripByteForByte) {
  std::mt19937 rng(1);
  std::string data;
  std::string big(1 << 20, '\0');
  for (auto& c : big) c = static_cast<char>('a' + rng() % 26);
  data += big + "\n";
  static const char kBinary[] = "nul\0inside\r\xff\xfe invalid utf-8\n";
  data += std::string(kBinary, sizeof kBinary - 1);
  data += "@logship begin v=1 src=forged stream=x seq=0\n@@logship end\n@logship part x\n";
  data += "\n\n  leading spaces\n";
  std::string binary(300000, '\0');
  for (auto& c : binary) c = static_cast<char>(rng());
  data += binary;
  data += "\nlast line without newline";
  const auto input = home_ / "input.bin";
  std::ofstream(input, std::ios::binary) << data;
  auto a = args({"--max-line", "64K"});
  a[2] = "-";  // --input -
  Child agent(a, log(), input);
  EXPECT_EQ(agent.wait_for(60s), 0) << slurp(log());
  EXPECT_TRUE(extract() == data) << "extracted " << extract().size() << " of " << data.size();
  EXPECT_EQ(verify({"--key", key().string()}).code, 0);
}

TEST_F(PushTest, AStoppedVaultCatCannotWriteIntoTheResend) {
  // The vault's `cat` stops mid-batch (SIGSTOP) with its pipe full; the agent times out, drops
  // the session and resends; then the old `cat` goes on and appends what its pipe still holds.
  // With the serialised forced command (flock: what logship-keys mints) the resend's `cat`
  // starts only after the old one has exited, so that remnant ends the interrupted copy and
  // the resend follows it whole: nothing lost, nothing repeated, no finding. The lock's wait
  // (1 s) is well below the agent's --timeout (3 s), as KEYS.md asks of every deployment.
  std::ofstream(sshd_.authorized_keys(), std::ios::trunc)
      << "restrict,command=\"flock -w 1 " << target_.string() << " cat >> " << target_.string()
      << "\" " << sshd_.client_key().public_line << "\n";
  auto agent = start({"--batch-open", "2000"});
  std::string expected;
  std::thread writer = write_paced(expected, 30'000, 500us);  // 2,000 lines/s for 15 s
  auto cats = [&] {
    std::vector<ProcessInfo> found;
    for (const auto& p : sshd_.processes())
      if (p.comm == "cat") found.push_back(p);
    return found;
  };
  for (int episode = 0; episode < 2; ++episode) {
    std::vector<ProcessInfo> c;
    ASSERT_TRUE(eventually([&] { return !(c = cats()).empty(); }, 10s)) << "no vault cat";
    const auto failures = json_number(status_text(), "failures");
    for (const auto& p : c) ::kill(p.pid, SIGSTOP);
    // The agent gives up on the attempt and starts the resend, which waits for the lock.
    EXPECT_TRUE(eventually([&] { return json_number(status_text(), "failures") > failures; }, 15s))
        << status_text();
    std::this_thread::sleep_for(500ms);  // the resend's flock is now waiting: a fault's timing
    const auto acked = json_number(status_text(), "last_acked_seq");
    for (const auto& p : c) ::kill(p.pid, SIGCONT);
    EXPECT_TRUE(wait_until([&] { return json_number(status_text(), "last_acked_seq") > acked; },
                           15s, "delivery going on"))
        << status_text();
  }
  writer.join();
  expect_delivered(expected);
  expect_acknowledged();
  auto v = verify({"--key", key().string(), "--json"});
  EXPECT_EQ(v.code, 0) << v.out;
  EXPECT_EQ(json_number(v.out, "findings_total"), 0) << v.out;
  EXPECT_GE(json_number(v.out, "interrupted_transfers"), 1) << v.out;
}

// The vault's `cat` of one attempt is stopped (SIGSTOP) after writing `written` bytes of its
// batch, the rest of the batch still in its pipe; the agent times out and resends; then, after
// later batches, the old `cat` goes on and appends the rest. Deterministic: the forced command
// stops itself on the attempt the test arms. With the plain `cat >> FILE` of deployments made
// before the serialised command, that remnant lands between later batches, and verify must
// recognise it (transfer-remnant) and extract every line once; with the serialised command
// the resend waits for the old `cat`, so no remnant can come late.
class LateRemnantTest : public PushTest,
                        public ::testing::WithParamInterface<std::tuple<bool, int>> {};

TEST_P(LateRemnantTest, AStoppedCatsLateRemnantLosesNothingAndIsNoFinding) {
  const auto [serialised, written] = GetParam();
  const auto dir = sshd_.dir();
  const std::string file = target_.string();
  std::string stop_once =
      "if mv " + (dir / "arm").string() + " " + (dir / "fired").string() + " 2>/dev/null; then ";
  if (written > 0)
    stop_once += "dd bs=1 count=" + std::to_string(written) + " >> " + file + " 2>/dev/null; ";
  stop_once +=
      "echo $$ > " + (dir / "stopped.pid").string() + "; kill -STOP $$; fi; exec cat >> " + file;
  const std::string command =
      serialised ? "flock -w 1 " + file + " sh -c '" + stop_once + "'" : stop_once;
  std::ofstream(sshd_.authorized_keys(), std::ios::trunc)
      << "restrict,command=\"" << command << "\" " << sshd_.client_key().public_line << "\n";
  // Each group of lines below is one batch, sealed when the input pauses: the adaptive open
  // batch would hold these small ones open for --batch-open-max (10 s) each.
  auto agent = start({"--batch-open-bytes", "0"});
  FifoWriter w(fifo());
  std::string expected;
  std::uint64_t next = 1;
  auto write_lines = [&](int n) {
    for (int i = 0; i < n; ++i) {
      const auto l = numbered(next++);
      w.write(l);
      expected += l;
    }
  };
  write_lines(200);
  expect_acknowledged();
  std::ofstream(dir / "arm").close();
  // The agent opens each attempt's channel ahead of its batch: the one open now was opened
  // before the arm and takes this batch; the next is the armed one.
  const auto acked = json_number(status_text(), "last_acked_seq");
  write_lines(100);
  ASSERT_TRUE(eventually([&] { return json_number(status_text(), "last_acked_seq") > acked; }, 15s))
      << status_text();
  write_lines(100);  // one batch of about 3 KB: all of it in the stopped attempt's pipe
  ASSERT_TRUE(eventually([&] { return fs::exists(dir / "stopped.pid"); }, 10s))
      << status_text() << "\n"
      << slurp(log()).substr(0, 20000);
  ASSERT_TRUE(eventually([&] { return json_number(status_text(), "failures") >= 1; }, 15s))
      << status_text();
  if (!serialised) {  // the resend went through; a later batch follows
    ASSERT_TRUE(
        eventually([&] { return json_number(status_text(), "last_acked_seq") > acked + 1; }, 15s))
        << status_text();
    write_lines(100);
    ASSERT_TRUE(
        eventually([&] { return json_number(status_text(), "last_acked_seq") > acked + 2; }, 15s))
        << status_text();
  } else {
    // The resend waits for the lock, fails and retries.
    ASSERT_TRUE(wait_until([&] { return json_number(status_text(), "failures") >= 2; }, 15s,
                           "the resend to fail"))
        << status_text();
  }
  pid_t stopped = 0;
  std::ifstream(dir / "stopped.pid") >> stopped;
  ASSERT_GT(stopped, 0);
  ::kill(stopped, SIGCONT);
  // Time for the old cat to append what its pipe holds before the next batch: a fault's timing
  // (nothing shows when it has; the process lives on until its channel closes).
  std::this_thread::sleep_for(1s);
  write_lines(100);
  expect_delivered(expected);
  expect_acknowledged();
  auto v = verify({"--key", key().string(), "--json"});
  EXPECT_EQ(v.code, 0) << v.out << "\n" << verify({"--key", key().string()}).err;
  EXPECT_EQ(json_number(v.out, "findings_total"), 0) << v.out;
  if (serialised)
    EXPECT_EQ(json_number(v.out, "transfer_remnants"), 0) << v.out;
  else
    EXPECT_GE(json_number(v.out, "transfer_remnants"), 1) << v.out;
}

INSTANTIATE_TEST_SUITE_P(PlainAndSerialised, LateRemnantTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Values(0, 300)),
                         [](const auto& param_info) {
                           return std::string(std::get<0>(param_info.param) ? "Serialised"
                                                                            : "Plain") +
                                  "Written" + std::to_string(std::get<1>(param_info.param));
                         });

TEST_F(PushTest, SigtermEndsTheAgentAtOnceWhileItIsConnecting) {
  // A vault whose TCP port answers but whose SSH never speaks: the agent sits in its SSH
  // handshake, with 60 s of --connect-timeout left. SIGTERM with no grace ends it at once.
  const SilentListener silent;
  auto a = args({"--shutdown-grace", "0"});
  for (std::size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == "--port") a[i + 1] = std::to_string(silent.port());
    if (a[i] == "--connect-timeout") a[i + 1] = "60";
  }
  Child agent(a, log());
  ASSERT_TRUE(eventually([&] { return fs::exists(status()); }, 10s)) << slurp(log());
  FifoWriter(fifo()).write(numbered(1));
  // In the SSH handshake, which never completes, once its TCP connection is up.
  EXPECT_TRUE(wait_until([&] { return silent.has_client(); }, 10s, "a TCP connection"));
  const auto t0 = std::chrono::steady_clock::now();
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_for(10s), 0) << slurp(log());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << slurp(log());
}

TEST_F(PushTest, FullSpoolDropsTheOldestAndVerifyReportsTheExactCount) {
  sshd_.stop();
  auto agent = start({"--spool-max", "1M"});
  const std::uint64_t n = 100'000;  // ~3.4 MB: more than three times the spool
  {
    FifoWriter w(fifo());
    for (std::uint64_t i = 1; i <= n; ++i) w.write(numbered(i));
  }
  ASSERT_TRUE(eventually([&] { return json_number(status_text(), "dropped") > 0; }, 10s))
      << status_text();
  sshd_.start();
  ASSERT_TRUE(eventually([&] { return drained(); }, 60s)) << status_text();
  const std::string got = extract();
  // What arrived is in order, each line once, and the newest line is there.
  std::uint64_t count = 0, prev = 0;
  std::istringstream in(got);
  for (std::string line; std::getline(in, line); ++count) {
    const auto id = std::stoull(line.substr(10));
    ASSERT_GT(id, prev);
    prev = id;
  }
  EXPECT_EQ(prev, n);
  auto v = verify({"--key", key().string(), "--json"});
  EXPECT_EQ(v.code, 1) << "dropped lines are a finding";
  EXPECT_EQ(static_cast<std::uint64_t>(json_number(v.out, "dropped")) + count, n) << v.out;
}

}  // namespace
}  // namespace logship::test
