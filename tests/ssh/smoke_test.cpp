#include "ssh/session.hpp"

#include <gtest/gtest.h>

#include "ssh/channel.hpp"
#include "ssh/deadline.hpp"
#include "support/sshd_fixture.hpp"
#include "util/files.hpp"

namespace logship::ssh {
namespace {

TEST(Smoke, ExecCat) {
  testing::SshdFixture sshd;
  sshd.start();
  const auto out = sshd.dir() / "vault.log";
  sshd.add_authorized_key(testing::push_key_options(out), sshd.client_key());
  SessionOptions o;
  o.host = "127.0.0.1";
  o.port = sshd.port();
  o.user = sshd.user();
  o.identity_file = sshd.client_key().private_key;
  o.known_hosts_file = sshd.known_hosts();
  auto s = Session::connect(o);
  ASSERT_TRUE(s) << s.error().message;
  auto c = (*s)->exec("ignored", deadline_in(std::chrono::seconds(5)));
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE((*c)->write("hello\n", deadline_in(std::chrono::seconds(5))));
  auto st = (*c)->finish(deadline_in(std::chrono::seconds(5)));
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(*read_file(out), "hello\n");
  ASSERT_TRUE((*s)->ping(deadline_in(std::chrono::seconds(5))));
}

}  // namespace
}  // namespace logship::ssh
