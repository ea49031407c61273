#include "ssh/channel.hpp"

#include <gtest/gtest.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "crypto/sha256.hpp"
#include "ssh_test_util.hpp"
#include "support/wait.hpp"
#include "util/files.hpp"

namespace logship::ssh {
namespace {

class PushTest : public SshdTest {
 protected:
  void SetUp() override {
    SshdTest::SetUp();
    vault_file_ = sshd_.dir() / "vault.log";
    // These tests drive channels directly, without an agent's --timeout: a channel queued
    // behind another's megabytes may wait for the lock longer than 1 s on a loaded machine.
    sshd_.add_authorized_key(test::push_key_options(vault_file_, 20), sshd_.client_key());
  }
  std::string vault() const {
    auto r = read_file(vault_file_);
    return r ? *r : std::string();
  }
  std::filesystem::path vault_file_;
};

TEST_F(PushTest, BatchIsAppendedByteIdenticalAndAcknowledged) {
  auto s = connect(options_for(sshd_, sshd_.client_key()));
  ASSERT_TRUE(s);
  const std::string batch = random_bytes(8 * 1024 * 1024 + 17);
  auto c = s->exec("cat >> ignored-the-vault-forces-its-command", in_seconds(10));
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE((*c)->write(batch, in_seconds(20)));
  auto st = (*c)->finish(in_seconds(10));
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ((*c)->exit_status(), 0);
  const std::string got = vault();
  ASSERT_EQ(got.size(), batch.size());
  EXPECT_EQ(crypto::to_hex(crypto::sha256(got)), crypto::to_hex(crypto::sha256(batch)));
}

// Counts libssh's "new keys" log lines: each key exchange installs keys for both directions.
std::atomic<int> g_new_keys{0};
void count_new_keys(int, const char*, const char* message, void*) {
  if (std::strstr(message, "rekey") != nullptr) ++g_new_keys;
}

TEST_F(PushTest, WritesSurviveRekeying) {
  ssh_set_log_callback(&count_new_keys);
  ssh_set_log_level(SSH_LOG_PROTOCOL);
  struct Restore {
    ~Restore() {
      ssh_set_log_level(SSH_LOG_NOLOG);
      ssh_set_log_callback(nullptr);
    }
  } restore;
  auto o = options_for(sshd_, sshd_.client_key());
  o.rekey_after_bytes = 1024 * 1024;  // several key exchanges during the batch
  o.ciphers = "aes128-gcm@openssh.com";
  auto s = connect(o);
  ASSERT_TRUE(s);
  const std::string batch = random_bytes(6 * 1024 * 1024 + 3, 2);
  auto c = s->exec("cat", in_seconds(10));
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE((*c)->write(batch, in_seconds(20)));
  auto st = (*c)->finish(in_seconds(10));
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(vault() == batch);
  EXPECT_GT(g_new_keys.load(), 4) << "no key exchange happened during the batch";
}

std::mutex g_algorithms_mu;
std::vector<std::string> g_algorithms;  // libssh's "Set output/input algorithm to ..." lines
void note_algorithm(int, const char*, const char* message, void*) {
  // The ciphers, not the MACs ("Set HMAC output algorithm to aead-gcm").
  if (std::strstr(message, "algorithm to") == nullptr || std::strstr(message, "HMAC")) return;
  std::lock_guard lock(g_algorithms_mu);
  g_algorithms.emplace_back(message);
}

TEST(DefaultCiphers, AesGcmFirstWithHardwareAesElseLibsshsOrder) {
  EXPECT_EQ(default_ciphers(false), "");
  const std::string with_aes = default_ciphers(true);
  EXPECT_EQ(with_aes.rfind("aes128-gcm@openssh.com,", 0), 0u) << with_aes;
  EXPECT_NE(with_aes.find("chacha20-poly1305@openssh.com"), std::string::npos)
      << "a vault that offers only ChaCha20 must still be reachable";
}

TEST_F(PushTest, EveryNameOfTheAesOrderIsOneLibsshKnows) {
  auto o = options_for(sshd_, sshd_.client_key());
  ASSERT_TRUE(validate(o));
  o.ciphers = default_ciphers(true);
  const auto st = validate(o);  // asks libssh about each name alone
  EXPECT_TRUE(st) << st.error().message;
  EXPECT_TRUE(connect(o));
}

TEST_F(PushTest, WithoutCiphersGivenAesGcmIsNegotiatedWhereTheCpuHasAes) {
  if (!has_hardware_aes()) GTEST_SKIP() << "no AES-NI here: libssh's own order applies";
  {
    std::lock_guard lock(g_algorithms_mu);
    g_algorithms.clear();  // this connection's lines only (--gtest_repeat)
  }
  ssh_set_log_callback(&note_algorithm);
  ssh_set_log_level(SSH_LOG_PACKET);
  struct Restore {
    ~Restore() {
      ssh_set_log_level(SSH_LOG_NOLOG);
      ssh_set_log_callback(nullptr);
    }
  } restore;
  auto s = connect(options_for(sshd_, sshd_.client_key()));
  ASSERT_TRUE(s);
  std::lock_guard lock(g_algorithms_mu);
  ASSERT_EQ(g_algorithms.size(), 2u) << "libssh logs one cipher for each direction";
  for (const auto& line : g_algorithms)
    EXPECT_NE(line.find("aes128-gcm@openssh.com"), std::string::npos) << line;
}

TEST_F(PushTest, NextChannelOpensWhileTheCurrentBatchIsInFlightAndStartsWhenAsked) {
  auto s = connect(options_for(sshd_, sshd_.client_key()));
  ASSERT_TRUE(s);
  auto first = s->start_exec("cat");
  ASSERT_TRUE(first) << first.error().message;
  const std::string a = random_bytes(3 * 1024 * 1024, 1);
  ASSERT_TRUE((*first)->write(a.substr(0, 1024 * 1024), in_seconds(10)));
  // Once its `cat` has written, `first` holds the vault's lock. Started before that, the second
  // command's flock could take the lock first, and `first` would wait behind it (the agent
  // defers its next command until the current batch is acknowledged for this reason; this
  // test starts one early on purpose).
  ASSERT_TRUE(test::wait_until([&] { return !vault().empty(); }, std::chrono::seconds(10),
                               "the first cat to write"));
  auto second = s->start_exec("cat");  // pre-opened while `first` is still being written
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE((*first)->write(a.substr(1024 * 1024), in_seconds(10)));
  // The second channel progressed during the first one's writes, without waiting on it.
  ASSERT_TRUE((*second)->wait_started(in_seconds(5)));
  auto starts = [&] {
    const std::string log = sshd_.log();
    std::size_t n = 0;
    for (auto at = log.find("Starting session"); at != std::string::npos;
         at = log.find("Starting session", at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(starts(), 2u);
  // Deferred: the channel opens at once, its command starts only when requested.
  auto third = s->start_exec("cat", /*deferred=*/true);
  ASSERT_TRUE(third) << third.error().message;
  ASSERT_TRUE(s->ping(in_seconds(5)));  // a round trip: the open has been answered by now
  ASSERT_TRUE(s->ping(in_seconds(5)));
  EXPECT_EQ(starts(), 2u) << "a deferred command must not start before request()";
  (*third)->request();
  ASSERT_TRUE((*third)->wait_started(in_seconds(5)));
  for (int i = 0; i < 100 && starts() < 3; ++i) ASSERT_TRUE(s->ping(in_seconds(5)));
  EXPECT_EQ(starts(), 3u);
  // The vault serialises them (flock): first holds the lock; second and third wait for it, in
  // no set order (flock's waiters are not queued), so both get their input and end before
  // either is waited for.
  auto st = (*first)->finish(in_seconds(10));
  ASSERT_TRUE(st) << st.error().message;
  ASSERT_TRUE((*second)->write("second batch\n", in_seconds(5)));
  ASSERT_TRUE((*second)->send_eof(in_seconds(5)));
  ASSERT_TRUE((*third)->send_eof(in_seconds(5)));
  st = (*second)->finish(in_seconds(10));
  ASSERT_TRUE(st) << st.error().message;
  ASSERT_TRUE((*third)->finish(in_seconds(10)));
  EXPECT_EQ(vault(), a + "second batch\n");
}

TEST_F(PushTest, FailingRemoteCommandIsRefusedWithItsStderr) {
  const auto key = sshd_.make_client_key("full");
  sshd_.add_authorized_key(test::push_key_options("/dev/full"), key);
  auto s = connect(options_for(sshd_, key));
  ASSERT_TRUE(s);
  auto c = s->exec("cat", in_seconds(10));
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE((*c)->write("a line that cannot be stored\n", in_seconds(10)));
  auto st = (*c)->finish(in_seconds(10));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::remote_refused);
  EXPECT_TRUE(st.error().retryable());
  EXPECT_NE(st.error().message.find("No space left on device"), std::string::npos)
      << st.error().message;
  EXPECT_NE((*c)->exit_status().value_or(0), 0);
}

TEST_F(PushTest, CommandThatStopsReadingIsRefusedNotAHang) {
  const auto key = sshd_.make_client_key("quitter");
  sshd_.add_authorized_key("restrict,command=\"echo vault is read-only >&2; exit 3\"", key);
  auto s = connect(options_for(sshd_, key));
  ASSERT_TRUE(s);
  auto c = s->exec("cat", in_seconds(10));
  ASSERT_TRUE(c) << c.error().message;
  const auto start = std::chrono::steady_clock::now();
  Result<void> st = (*c)->write(random_bytes(8 * 1024 * 1024), in_seconds(10));
  if (st) st = (*c)->finish(in_seconds(10));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::remote_refused) << st.error().message;
  EXPECT_NE(st.error().message.find("exit status 3"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("vault is read-only"), std::string::npos) << st.error().message;
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_TRUE(s->ping(in_seconds(5))) << "the session survives a refused command";
}

TEST_F(PushTest, RefusedChannelIsRemoteRefusedAndTheSessionLives) {
  auto s = connect(options_for(sshd_, sshd_.client_key()));
  ASSERT_TRUE(s);
  std::vector<std::unique_ptr<Channel>> open;  // sshd allows MaxSessions (10) per connection
  Result<void> refused;
  for (int i = 0; i < 11 && refused; ++i) {
    auto c = s->exec("cat", in_seconds(10));
    if (c) {
      open.push_back(std::move(*c));
    } else {
      refused = c.error();
    }
  }
  ASSERT_FALSE(refused) << "an eleventh channel was accepted";
  EXPECT_EQ(refused.error().kind, ErrorKind::remote_refused) << refused.error().message;
  EXPECT_EQ(open.size(), 10u);
  // The vault serialises its appenders (flock), in an order of its own: every EOF first.
  for (auto& c : open) ASSERT_TRUE(c->send_eof(in_seconds(10)));
  for (auto& c : open) {
    auto status = c->wait_exit(in_seconds(10));
    ASSERT_TRUE(status) << status.error().message;
    EXPECT_EQ(*status, 0);
  }
  EXPECT_TRUE(s->connected());
}

TEST_F(PushTest, ConnectionCutMidWriteIsARetryableErrorNotAHang) {
  auto o = options_for(sshd_, sshd_.client_key());
  o.op_timeout = std::chrono::seconds(5);
  auto s = connect(o);
  ASSERT_TRUE(s);
  auto c = s->exec("cat", in_seconds(10));
  ASSERT_TRUE(c) << c.error().message;
  const std::string mib = random_bytes(1024 * 1024);
  ASSERT_TRUE((*c)->write(mib, s->op_deadline()));
  sshd_.cut_connections();
  const auto start = std::chrono::steady_clock::now();
  Result<void> st;
  for (int i = 0; i < 256 && st; ++i) st = (*c)->write(mib, s->op_deadline());
  if (st) st = (*c)->finish(s->op_deadline());
  ASSERT_FALSE(st);
  EXPECT_TRUE(st.error().retryable()) << st.error().message;
  EXPECT_EQ(st.error().kind, ErrorKind::network) << st.error().message;
  EXPECT_LT(seconds_since(start), 4.0);
  EXPECT_FALSE(s->connected());
}

}  // namespace
}  // namespace logship::ssh
