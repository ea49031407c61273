#include "ssh/private_key.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "ssh_test_util.hpp"
#include "support/silent_listener.hpp"

namespace logship::ssh {
namespace {

class AuthTest : public SshdTest {};

TEST_F(AuthTest, RefusedKeyIsAuthRefusedWithTheFix) {
  const auto other = sshd_.make_client_key("other");
  sshd_.add_authorized_key(test::push_key_options(sshd_.dir() / "vault.log"), other);
  auto s = Session::connect(options_for(sshd_, sshd_.client_key()));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::auth_refused) << s.error().message;
  EXPECT_FALSE(s.error().retryable());
  EXPECT_NE(s.error().message.find("authorized_keys"), std::string::npos);
  EXPECT_NE(s.error().message.find("from="), std::string::npos);
}

TEST_F(AuthTest, GroupReadableKeyIsRefusedBeforeConnecting) {
  sshd_.add_authorized_key("", sshd_.client_key());
  const auto key = sshd_.client_key().private_key;
  ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
  auto s = Session::connect(options_for(sshd_, sshd_.client_key()));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::config);
  EXPECT_NE(s.error().message.find("permissions 0640 for " + key.string() + " are too open"),
            std::string::npos)
      << s.error().message;
  EXPECT_NE(s.error().message.find("chmod 600 " + key.string()), std::string::npos);
  EXPECT_EQ(sshd_.log().find("Connection from"), std::string::npos) << sshd_.log();
}

TEST_F(AuthTest, MissingKeyFileIsAConfigErrorNamingIt) {
  auto o = options_for(sshd_, sshd_.client_key());
  o.identity_file = sshd_.dir() / "no-such-key";
  auto s = Session::connect(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::config);
  EXPECT_NE(s.error().message.find(o.identity_file.string()), std::string::npos);
}

TEST_F(AuthTest, ConnectionRefusedIsANetworkErrorAtOnce) {
  auto o = options_for(sshd_, sshd_.client_key());
  sshd_.stop();
  const auto start = std::chrono::steady_clock::now();
  auto s = Session::connect(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::network) << s.error().message;
  EXPECT_TRUE(s.error().retryable());
  EXPECT_NE(s.error().message.find(o.endpoint()), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("refused"), std::string::npos) << s.error().message;
  EXPECT_LT(seconds_since(start), 1.0);
}

TEST_F(AuthTest, UnresolvableHostIsANetworkErrorNamingIt) {
  auto o = options_for(sshd_, sshd_.client_key());
  o.host = "no-such-host.invalid";
  o.connect_timeout = std::chrono::seconds(3);
  auto s = Session::connect(o);
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().kind == ErrorKind::network || s.error().kind == ErrorKind::timeout)
      << s.error().message;
  EXPECT_NE(s.error().message.find("no-such-host.invalid"), std::string::npos);
}

TEST_F(AuthTest, ServerThatNeverSpeaksHitsTheConnectTimeout) {
  auto o = options_for(sshd_, sshd_.client_key());
  o.connect_timeout = std::chrono::milliseconds(1500);
  const test::SilentListener silent;
  o.port = silent.port();
  const auto start = std::chrono::steady_clock::now();
  auto s = Session::connect(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::timeout) << s.error().message;
  EXPECT_GE(seconds_since(start), 1.4);
  EXPECT_LT(seconds_since(start), 2.5);
}

// Descriptors this process holds.
int open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_F(AuthTest, NoDescriptorLeaksOnSuccessOrFailure) {
  sshd_.add_authorized_key("", sshd_.client_key());
  auto good = options_for(sshd_, sshd_.client_key());
  auto unknown = good;
  unknown.known_hosts_file = sshd_.dir() / "empty_known_hosts";
  auto refused = good;
  refused.identity_file = sshd_.make_client_key("stranger").private_key;
  { auto warm = Session::connect(good); }  // libraries open what they keep for good
  const int before = open_fds();
  for (int i = 0; i < 3; ++i) {
    auto s = Session::connect(good);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE((*s)->ping(in_seconds(5)));
    EXPECT_FALSE(Session::connect(unknown));
    EXPECT_FALSE(Session::connect(refused));
  }
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace logship::ssh
