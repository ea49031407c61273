// Quoting of vault paths in forced commands: sshd's reading and sh's reading both give the
// path back, proved by running the command through a real `sh -c`.
#include "authkeys/quoting.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "authkeys/role.hpp"
#include "support/run_command.hpp"

namespace logship::authkeys {
namespace {

namespace fs = std::filesystem;

struct PathCase {
  const char* path;
  const char* problem;  // a word the reason must contain, or nullptr when accepted
};

TEST(VaultPath, AcceptsAbsolutePrintablePathsAndNamesTheReasonOtherwise) {
  const PathCase cases[] = {
      {"/srv/vault/web1/auth.log", nullptr},
      {"/srv/vault/with space.log", nullptr},
      {"/srv/vault/it's.log", nullptr},
      {"/srv/vault/$HOME`id`\"q\"\\x;|&<>*?[](){}~#!.log", nullptr},
      {"/srv/vault/a\\", nullptr},
      {"/", "ends with '/'"},
      {"", "empty"},
      {"srv/vault/x.log", "relative"},
      {"./x.log", "relative"},
      {"/srv/vault/", "ends with '/'"},
      {"/srv/../etc/x", "'..' component"},
      {"/srv/./x", "'.' component"},
      {"/srv/x\n/y", "line break"},
      {"/srv/x\r", "line break"},
      {"/srv/x\ty", "control character 0x09"},
      {"/srv/x\x1b[31m", "control character 0x1b"},
      {"/srv/x\x7f", "control character 0x7f"},
      {"/srv/caf\xc3\xa9.log", "non-ASCII byte 0xc3"},
      {"/srv/..hidden/x", nullptr},
  };
  for (const auto& c : cases) {
    const auto why = vault_path_problem(c.path);
    if (c.problem == nullptr) {
      EXPECT_FALSE(why) << c.path << ": " << why.value_or("");
    } else {
      ASSERT_TRUE(why) << c.path;
      EXPECT_NE(why->find(c.problem), std::string::npos) << c.path << ": " << *why;
    }
  }
  EXPECT_TRUE(vault_path_problem(std::string_view("/srv/x\0y", 8)));
}

TEST(ShellQuote, SingleQuotesAndEscapesEmbeddedQuotes) {
  EXPECT_EQ(shell_quote("/a b"), "'/a b'");
  EXPECT_EQ(shell_quote("/it's"), "'/it'\\''s'");
  EXPECT_EQ(shell_quote("/$x`y`"), "'/$x`y`'");
  EXPECT_EQ(shell_quote(""), "''");
}

TEST(ShellQuote, PlainWordsAreOnlyCharactersShNeverInterprets) {
  EXPECT_TRUE(is_plain_shell_word("/srv/vault/web1_auth-1.log"));
  EXPECT_TRUE(is_plain_shell_word("/a+b,c:d@e%f=g"));
  for (const char* w :
       {"",    "/a b", "/a'b",  "/a\"b", "/$x",  "/`x`", "/a;b", "/a|b", "/a&b", "/a*",
        "/a?", "/[a]", "/a\\b", "~/x",   "/a#b", "/a>b", "/a<b", "/(a)", "/{a}", "/a!b"})
    EXPECT_FALSE(is_plain_shell_word(w)) << w;
}

TEST(SshdQuote, RoundTripsThroughSshdsDequoting) {
  const char* values[] = {"cat >> '/a\"b'", "x\\\"y", "\\\\\"", "plain", "a\\b", "\"\""};
  for (const char* v : values) EXPECT_EQ(sshd_unquote(sshd_quote(v)), v) << v;
  EXPECT_EQ(sshd_quote("a\"b"), "a\\\"b");
  EXPECT_EQ(sshd_unquote("a\\b"), "a\\b");  // a backslash before anything but " is itself
  EXPECT_EQ(sshd_unquote("a\\\"b"), "a\"b");
}

class ShellProof : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "logship-quote-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_))
      out.push_back(e.path().lexically_relative(dir_).string());
    return out;
  }
  fs::path dir_;
};

// Every hostile name goes through sshd's reading (sshd_unquote of what the line holds) and
// then `sh -c`: the file created is exactly the one named, and nothing else runs.
TEST_F(ShellProof, ForcedCommandsAppendToExactlyTheNamedFile) {
  const std::string hostile[] = {
      "plain.log",
      "with space.log",
      "it's.log",
      "'; touch pwned; '",
      "$(touch pwned)",
      "`touch pwned`",
      "$HOME and ${x:-y}",
      "\"double\" quotes",
      "back\\slash\\",
      "semi;colon|pipe&amp<in>out",
      "glob*?[a]",
      "~tilde #hash !bang",
      "'",
      "''",
      "\\'",
      "\\\"",
  };
  for (const auto& name : hostile) {
    const std::string path = (dir_ / name).string();
    ASSERT_FALSE(vault_path_problem(path)) << path;
    EntrySpec spec{Role::push, path, {"127.0.0.1"}, "ssh-ed25519", "AAAA", "c"};
    const std::string line = authorized_keys_line(spec);
    // What sshd hands to the shell: the command= value, dequoted.
    const auto start = line.find("command=\"") + 9;
    std::size_t end = start;
    while (line[end] != '"' || line[end - 1] == '\\') ++end;
    const std::string command = sshd_unquote(line.substr(start, end - start));
    EXPECT_EQ(command, forced_command(Role::push, path));
    const auto r = test::run_command({"/bin/sh", "-c", command});
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.output;
    EXPECT_EQ(names(), std::vector<std::string>{name}) << command;
    const auto printed = test::run_command({"/bin/sh", "-c", "printf %s " + shell_quote(path)});
    EXPECT_EQ(printed.output, path);
    fs::remove(path);
  }
}

}  // namespace
}  // namespace logship::authkeys
