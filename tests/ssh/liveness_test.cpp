#include "ssh/session.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <filesystem>

#include "ssh/channel.hpp"
#include "ssh_test_util.hpp"

namespace logship::ssh {
namespace {

// CPU seconds this process has used.
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

class LivenessTest : public SshdTest {
 protected:
  void SetUp() override {
    SshdTest::SetUp();
    sshd_.add_authorized_key(test::push_key_options(sshd_.dir() / "vault.log"), sshd_.client_key());
    options_ = options_for(sshd_, sshd_.client_key());
    options_.op_timeout = std::chrono::seconds(2);
  }
  void TearDown() override { sshd_.thaw_connections(); }
  SessionOptions options_;
};

TEST_F(LivenessTest, PingNeedsARealRoundTrip) {
  auto s = connect(options_);
  ASSERT_TRUE(s);
  for (int i = 0; i < 3; ++i) {
    auto st = s->ping(s->op_deadline());
    ASSERT_TRUE(st) << st.error().message;
  }
  sshd_.freeze_connections();
  const auto start = std::chrono::steady_clock::now();
  const double cpu = cpu_seconds();
  auto st = s->ping(s->op_deadline());
  const double took = seconds_since(start);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::timeout) << st.error().message;
  EXPECT_GE(took, 1.9);
  EXPECT_LT(took, 3.0);
  EXPECT_LT(cpu_seconds() - cpu, 0.5) << "waiting must not spin";
  EXPECT_FALSE(s->connected());
}

// A clock that runs 100 times faster than the system's.
class FastClock final : public Clock {
 public:
  SteadyTime now() const override {
    return start_ + 100 * (std::chrono::steady_clock::now() - start_);
  }
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }

 private:
  SteadyTime start_ = std::chrono::steady_clock::now();
};

TEST_F(LivenessTest, DeadlinesAreMeasuredOnTheSessionsClock) {
  FastClock fast;
  options_.clock = &fast;
  auto s = connect(options_);
  ASSERT_TRUE(s);
  sshd_.freeze_connections();
  const auto start = std::chrono::steady_clock::now();
  auto st = s->ping(s->op_deadline());
  const double took = seconds_since(start);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::timeout) << st.error().message;
  EXPECT_LT(took, 1.0) << "2 s of the session's clock are 20 ms of the system's";
}

TEST_F(LivenessTest, FrozenPeerStopsAWriteAndAnExitWaitAtTheDeadline) {
  auto s = connect(options_);
  ASSERT_TRUE(s);
  auto writer = s->exec("cat", s->op_deadline());
  ASSERT_TRUE(writer) << writer.error().message;
  auto waiter = s->exec("cat", s->op_deadline());
  ASSERT_TRUE(waiter) << waiter.error().message;
  ASSERT_TRUE((*waiter)->write("small batch\n", s->op_deadline()));
  sshd_.freeze_connections();

  // A batch larger than the peer's window cannot be written to a frozen peer.
  const std::string big = random_bytes(16 * 1024 * 1024);
  auto start = std::chrono::steady_clock::now();
  double cpu = cpu_seconds();
  auto st = (*writer)->write(big, s->op_deadline());
  double took = seconds_since(start);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::timeout) << st.error().message;
  EXPECT_GE(took, 1.9);
  EXPECT_LT(took, 3.0);
  EXPECT_LT(cpu_seconds() - cpu, 0.8) << "a closed window must not make us spin";

  // A small batch fits, but its acknowledgement never comes.
  start = std::chrono::steady_clock::now();
  cpu = cpu_seconds();
  st = (*waiter)->finish(s->op_deadline());
  took = seconds_since(start);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::timeout) << st.error().message;
  EXPECT_GE(took, 1.9);
  EXPECT_LT(took, 3.0);
  EXPECT_LT(cpu_seconds() - cpu, 0.5);
}

TEST_F(LivenessTest, ASlowButMovingVaultIsNotAStall) {
  // The vault's command takes 256 KiB every 0.25 s (about 1 MB/s): 8 MiB take 8 s, four times
  // the op timeout, and the EOF waits behind the 2 MiB the window let through. The connection
  // makes progress all along, so neither the write nor the acknowledgement times out.
  const auto key = sshd_.make_client_key("slow");
  const auto out = sshd_.dir() / "slow.out";
  sshd_.add_authorized_key("restrict,command=\"while :; do n=$(head -c 262144 | tee -a " +
                               out.string() +
                               " | wc -c); [ $n = 0 ] \x26\x26 exit 0; sleep 0.25; done\"",
                           key);
  auto o = options_for(sshd_, key);
  o.op_timeout = std::chrono::seconds(2);
  auto s = connect(o);
  ASSERT_TRUE(s);
  auto c = s->exec("slow", s->op_deadline());
  ASSERT_TRUE(c) << c.error().message;
  const std::string data = random_bytes(8 * 1024 * 1024);
  const auto start = std::chrono::steady_clock::now();
  auto st = (*c)->write(data, s->op_deadline());
  ASSERT_TRUE(st) << st.error().message;
  st = (*c)->finish(s->op_deadline());
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_GT(seconds_since(start), 4.0) << "the vault was meant to be slower than the op timeout";
  EXPECT_EQ(std::filesystem::file_size(out), data.size());
}

}  // namespace
}  // namespace logship::ssh
