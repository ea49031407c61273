#include "ssh/session.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

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

}  // namespace
}  // namespace logship::ssh
