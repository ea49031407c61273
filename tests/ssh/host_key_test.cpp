#include "ssh/host_key.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ssh_test_util.hpp"
#include "util/files.hpp"

namespace logship::ssh {
namespace {

class HostKeyTest : public SshdTest {
 protected:
  void SetUp() override {
    SshdTest::SetUp();
    sshd_.add_authorized_key(test::push_key_options(sshd_.dir() / "vault.log"), sshd_.client_key());
    options_ = options_for(sshd_, sshd_.client_key());
  }
  SessionOptions options_;
};

TEST_F(HostKeyTest, KnownKeyIsAccepted) {
  EXPECT_TRUE(connect(options_));
}

TEST_F(HostKeyTest, HashedKnownHostsEntryIsAccepted) {
  sshd_.write_known_hosts(/*hashed=*/true);
  auto text = read_file(sshd_.known_hosts());
  ASSERT_TRUE(text);
  ASSERT_EQ(text->rfind("|1|", 0), 0u) << *text;
  ASSERT_EQ(text->find("127.0.0.1"), std::string::npos) << *text;
  EXPECT_TRUE(connect(options_));
}

TEST_F(HostKeyTest, UnknownKeyIsRefusedWithItsFingerprintAndTheFix) {
  std::ofstream(sshd_.known_hosts(), std::ios::trunc).flush();
  auto s = Session::connect(options_);
  ASSERT_FALSE(s);
  const auto& e = s.error();
  EXPECT_EQ(e.kind, ErrorKind::host_key_unknown);
  EXPECT_FALSE(e.retryable());
  EXPECT_NE(e.message.find(sshd_.host_key_fingerprint()), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("127.0.0.1:" + std::to_string(sshd_.port())), std::string::npos);
  EXPECT_NE(e.message.find("ssh-keyscan -p " + std::to_string(sshd_.port())), std::string::npos);
  EXPECT_NE(e.message.find("--accept-new-host-key"), std::string::npos);
  EXPECT_EQ(e.message.find('\n'), std::string::npos) << "one line";
}

TEST_F(HostKeyTest, MissingKnownHostsFileCountsAsUnknown) {
  std::filesystem::remove(sshd_.known_hosts());
  auto s = Session::connect(options_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::host_key_unknown) << s.error().message;
}

TEST_F(HostKeyTest, AcceptNewAppendsTheKeyOnceThenStrictCheckingPasses) {
  std::filesystem::remove(sshd_.known_hosts());
  auto accepting = options_;
  accepting.accept_new_host_key = true;
  ASSERT_TRUE(connect(accepting));
  auto text = read_file(sshd_.known_hosts());
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("[127.0.0.1]:" + std::to_string(sshd_.port()) + " ssh-ed25519 "),
            std::string::npos)
      << *text;
  EXPECT_TRUE(connect(options_));  // without the option now
  ASSERT_TRUE(connect(accepting));
  EXPECT_EQ(*read_file(sshd_.known_hosts()), *text) << "a known key is not appended again";
}

TEST_F(HostKeyTest, ChangedKeyIsRefusedEvenWithAcceptNew) {
  sshd_.replace_host_key();
  auto accepting = options_;
  accepting.accept_new_host_key = true;
  for (const auto& o : {options_, accepting}) {
    auto s = Session::connect(o);
    ASSERT_FALSE(s);
    const auto& e = s.error();
    EXPECT_EQ(e.kind, ErrorKind::host_key_changed);
    EXPECT_FALSE(e.retryable());
    EXPECT_NE(e.message.find(sshd_.host_key_fingerprint()), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("ssh-keygen -R '[127.0.0.1]:" + std::to_string(sshd_.port())),
              std::string::npos)
        << e.message;
    EXPECT_EQ(e.message.find('\n'), std::string::npos);
  }
}

TEST(HostKeyMessages, PortTwentyTwoUsesThePlainHostName) {
  SessionOptions o;
  o.host = "vault.example";
  o.known_hosts_file = "/home/u/.ssh/known_hosts";
  const OfferedKey key{"ssh-ed25519", "SHA256:abc"};
  EXPECT_NE(unknown_host_key_message(o, key).find("`ssh-keyscan vault.example >> "),
            std::string::npos);
  EXPECT_NE(changed_host_key_message(o, key).find("ssh-keygen -R 'vault.example'"),
            std::string::npos);
}

}  // namespace
}  // namespace logship::ssh
