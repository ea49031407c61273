// logship-pull end to end: each followed file is a stream with its own key; a hundred files
// share one session.
#include "pull_fixture.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace logship::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Each followed file is a stream with its own key, derived from a genesis key that evolves
// at each stream start: afterwards no file of the state directory holds the verification key,
// so whoever reads it cannot reseal these streams; a batch moved between the copies is found.
TEST_F(PullTest, EachStreamHasItsOwnKeyAndTheStateDirectoryNoLongerHoldsTheFirst) {
  append(remote("auth.log"), numbered(1) + numbered(2));
  append(remote("syslog"), numbered(3));
  auto agent = start({"--follow", follow("auth.log"), "--follow", follow("syslog")});
  expect_copy(copy("auth.log"), numbered(1) + numbered(2), true);
  expect_copy(copy("syslog"), numbered(3), true);
  stop(agent);
  const auto key_text = slurp(key());
  const auto g0 = key_text.substr(key_text.find("logship-key v1 ") + 15, 64);
  for (const auto& e : fs::recursive_directory_iterator(state())) {
    if (!e.is_regular_file()) continue;
    EXPECT_EQ(slurp(e.path()).find(g0), std::string::npos) << e.path() << " holds the key";
  }
  const auto a = slurp(copy("auth.log")), b = slurp(copy("syslog"));
  EXPECT_NE(a.find(" genesis="), std::string::npos) << a;
  EXPECT_NE(a.substr(a.find(" genesis=") + 9, 1), b.substr(b.find(" genesis=") + 9, 1));
  expect_verifies(copy("auth.log"));
  expect_verifies(copy("syslog"));
  // auth.log's first batch (begin line to end line) put into syslog's copy.
  const auto first = a.substr(a.find("@logship begin"), a.find('\n', a.find("@logship end")) + 1);
  append(copy("syslog"), first);
  auto v = verify(copy("syslog"), {"--key", key().string()});
  EXPECT_EQ(v.code, 1) << v.out;
  EXPECT_NE(v.out.find("stream-mixed"), std::string::npos) << v.out;
}

TEST_F(PullTest, HundredFilesOnOneSession) {
  std::vector<std::string> a;
  std::vector<std::string> expected(100);
  for (int f = 0; f < 100; ++f) {
    const auto name = "f" + std::to_string(f) + ".log";
    for (int i = 0; i < 20; ++i) expected[f] += numbered(f * 1000 + i);
    append(remote(name), expected[f]);
    a.push_back("--follow");
    a.push_back(follow(name));
  }
  a.push_back("--format");
  a.push_back("raw");
  auto agent = start(a);
  for (int f = 0; f < 100; ++f) {
    const auto name = "f" + std::to_string(f) + ".log";
    const auto line = numbered(f * 1000 + 500);
    append(remote(name), line);
    expected[f] += line;
  }
  for (int f = 0; f < 100; ++f)
    expect_copy(copy("f" + std::to_string(f) + ".log"), expected[f], false, 30s, false);
  // A repeat arriving late would show now: nothing to wait for, the time is the test.
  std::this_thread::sleep_for(300ms);
  for (int f = 0; f < 100; ++f)
    EXPECT_EQ(slurp(copy("f" + std::to_string(f) + ".log")), expected[f]);
  int sftp_servers = 0;
  for (const auto& p : sshd_.processes()) sftp_servers += p.comm == "sftp-server";
  EXPECT_EQ(sftp_servers, 1);
  EXPECT_TRUE(wait_until([&] { return json_number(status_text(), "connections") == 1; }, 5s));
  stop(agent);
}

}  // namespace
}  // namespace logship::test
