#include "support/sshd_fixture.hpp"

#include <gtest/gtest.h>

#include "ssh/channel.hpp"
#include "ssh_test_util.hpp"
#include "support/wait.hpp"

namespace logship::ssh {
namespace {

// Waits (polling /proc) until `sshd` has no process left but its listener; returns those left.
std::string left_after(const test::SshdFixture& sshd, int seconds) {
  (void)test::wait_until([&] { return sshd.processes().empty(); }, std::chrono::seconds(seconds));
  std::string left;
  for (const auto& p : sshd.processes()) {
    left += std::to_string(p.pid) + " " + p.state + " " + p.cmdline + "; ";
  }
  return left;
}

// Processes anywhere whose command line names `dir`.
int processes_naming(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& p : test::all_processes())
    n += p.cmdline.find(dir.string()) != std::string::npos;
  return n;
}

TEST(SshdFixture, TwoServersRestartsAndCleanTeardown) {
  std::filesystem::path first_dir;
  {
    test::SshdFixture a;
    test::SshdFixture b;
    a.start();
    b.start();
    first_dir = a.dir();
    EXPECT_NE(a.port(), b.port());
    EXPECT_NE(a.dir(), b.dir());
    a.add_authorized_key(test::push_key_options(a.dir() / "out"), a.client_key());
    auto s = Session::connect(options_for(a, a.client_key()));
    ASSERT_TRUE(s) << s.error().message;
    auto c = (*s)->exec("cat", in_seconds(10));  // a live command under the server
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_FALSE(a.processes().empty());

    const auto port = a.port();
    a.restart();  // same port, same host key: clients need no change
    EXPECT_EQ(a.port(), port);
    EXPECT_TRUE((*s)->ping(in_seconds(5))) << "live connections outlive a restart";
    auto again = Session::connect(options_for(a, a.client_key()));
    EXPECT_TRUE(again) << again.error().message;

    a.cut_connections();  // also the connection that outlived the restart, and its `cat`
    EXPECT_EQ(left_after(a, 5), "");
    EXPECT_FALSE((*s)->ping(in_seconds(5)));
  }
  EXPECT_FALSE(std::filesystem::exists(first_dir));
  EXPECT_EQ(processes_naming(first_dir), 0);
}

TEST(SshdFixture, FrozenConnectionsAreThawedAndTornDown) {
  test::SshdFixture sshd;
  sshd.start();
  sshd.add_authorized_key(test::push_key_options(sshd.dir() / "out"), sshd.client_key());
  auto s = Session::connect(options_for(sshd, sshd.client_key()));
  ASSERT_TRUE(s);
  sshd.freeze_connections();
  int stopped = 0;
  for (const auto& p : sshd.processes()) stopped += p.state == 'T';
  EXPECT_GT(stopped, 0);
  sshd.thaw_connections();
  for (const auto& p : sshd.processes()) EXPECT_NE(p.state, 'T') << p.cmdline;
  EXPECT_TRUE((*s)->ping(in_seconds(5)));
}

}  // namespace
}  // namespace logship::ssh
