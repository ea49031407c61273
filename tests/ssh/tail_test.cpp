#include "ssh/channel.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "ssh_test_util.hpp"
#include "support/wait.hpp"

namespace logship::ssh {
namespace {

class TailTest : public SshdTest {
 protected:
  // Processes named `comm` started under the server.
  int count(const std::string& comm) const {
    int n = 0;
    for (const auto& p : sshd_.processes()) n += p.comm == comm && p.state != 'Z';
    return n;
  }
  void append(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::app);
    out << text;
  }
};

// Reads from `c` until `out` contains `want` or the deadline passes.
bool read_until(Channel& c, std::string& out, const std::string& want, SteadyTime deadline) {
  while (out.find(want) == std::string::npos && !expired(system_clock(), deadline) && !c.at_eof()) {
    if (!c.read_some(out, deadline)) return false;
  }
  return out.find(want) != std::string::npos;
}

TEST_F(TailTest, StreamsAppendedLinesAndLeavesNoTailBehind) {
  const auto file = sshd_.dir() / "followed.log";
  append(file, "first line\n");
  sshd_.add_authorized_key(test::tail_key_options(file), sshd_.client_key());
  auto s = connect(options_for(sshd_, sshd_.client_key()));
  ASSERT_TRUE(s);
  auto c = s->exec("tail", in_seconds(10));
  ASSERT_TRUE(c) << c.error().message;
  std::string got;
  ASSERT_TRUE(read_until(**c, got, "first line\n", in_seconds(10))) << got;

  // Silence is not an error: read_some returns nothing at its deadline.
  auto none = (*c)->read_some(got, deadline_in(system_clock(), std::chrono::milliseconds(200)));
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(*none, 0u);

  for (int i = 0; i < 100; ++i) append(file, "line " + std::to_string(i) + "\n");
  ASSERT_TRUE(read_until(**c, got, "line 99\n", in_seconds(10))) << got;
  EXPECT_NE(got.find("line 0\nline 1\n"), std::string::npos);
  EXPECT_EQ(count("tail"), 1);

  auto st = (*c)->close(in_seconds(5));
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(test::wait_until([&] { return count("tail") == 0; }, std::chrono::seconds(5),
                               "the remote tail to end"))
      << "a remote tail outlived its channel";
  EXPECT_TRUE(s->ping(in_seconds(5)));  // the session stays usable
}

TEST_F(TailTest, OutputOfACommandThatEndsIsReadToEof) {
  const auto key = sshd_.make_client_key("printer");
  sshd_.add_authorized_key("restrict,command=\"printf 'one\\ntwo\\n'; echo oops >&2\"", key);
  auto s = connect(options_for(sshd_, key));
  ASSERT_TRUE(s);
  auto c = s->exec("whatever", in_seconds(10));
  ASSERT_TRUE(c) << c.error().message;
  std::string got;
  while (!(*c)->at_eof()) {
    auto n = (*c)->read_some(got, in_seconds(10));
    ASSERT_TRUE(n) << n.error().message;
  }
  EXPECT_EQ(got, "one\ntwo\n");
  auto status = (*c)->wait_exit(in_seconds(10));
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(*status, 0);
  EXPECT_EQ((*c)->stderr_text(), "oops\n");
}

}  // namespace
}  // namespace logship::ssh
