// End-to-end tests of logship-keys: keys it mints, installed with the line it prints in a
// private sshd's authorized_keys, work with the built agents and can do nothing else.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/child.hpp"
#include "support/sshd_fixture.hpp"
#include "support/test_files.hpp"

namespace logship::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.flush()) << p;
}

class KeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = sshd_.dir() / "keys";
    fs::create_directory(keys_);
    fs::permissions(keys_, fs::perms::owner_all);
  }

  // Runs logship-keys new; on success appends the printed line to authorized_keys.
  Output mint(const std::string& name, std::vector<std::string> args) {
    std::vector<std::string> a = {program_path("logship-keys").string(),
                                  "new",
                                  "--out",
                                  (keys_ / name).string(),
                                  "--source",
                                  "web1"};
    a.insert(a.end(), args.begin(), args.end());
    auto r = run_program(a);
    if (r.code == 0) {
      std::ofstream out(sshd_.authorized_keys(), std::ios::app);
      out << r.out;
    }
    return r;
  }
  fs::path key(const std::string& name) const { return keys_ / name; }

  // ssh (OpenSSH's client) with `key` and only that key; stdin from `input`.
  std::vector<std::string> ssh(const std::string& name, std::vector<std::string> extra) const {
    std::vector<std::string> a = {"/usr/bin/ssh",
                                  "-F",
                                  "/dev/null",
                                  "-i",
                                  key(name).string(),
                                  "-o",
                                  "IdentitiesOnly=yes",
                                  "-o",
                                  "BatchMode=yes",
                                  "-o",
                                  "StrictHostKeyChecking=yes",
                                  "-o",
                                  "UserKnownHostsFile=" + sshd_.known_hosts().string(),
                                  "-p",
                                  std::to_string(sshd_.port())};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string target() const { return sshd_.user() + "@127.0.0.1"; }
  // Runs a command to its end with stdin from a file holding `input`; its output.
  Output run_with_input(const std::vector<std::string>& argv, const std::string& input) {
    const fs::path in = sshd_.dir() / "stdin", log = sshd_.dir() / "child.log";
    write_file(in, input);
    fs::remove(log);
    Child c(argv, log, in);
    Output o;
    const auto code = c.wait_for(30s);
    o.code = code.value_or(-1);
    o.out = slurp(log);
    return o;
  }

  SshdFixture sshd_;
  fs::path keys_;
};

// A vault file name that needs the quoting: a space, a single quote, a $ and backticks.
const char* kHostileName = "web1 it's $HOME `id`.log";

TEST_F(KeysTest, PushKeyDeliversToExactlyItsFileAndNothingElse) {
  const fs::path vault = sshd_.dir() / "vault";
  fs::create_directory(vault);
  const fs::path file = vault / kHostileName;
  auto m = mint("push", {"--role", "push", "--path", file.string(), "--from", "127.0.0.1"});
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_EQ(m.out.rfind("restrict,from=\"127.0.0.1\",command=\"exec flock -w 20 '", 0), 0u)
      << m.out;
  EXPECT_NE(m.out.find("' cat >> '"), std::string::npos) << "serialised appenders: " << m.out;
  EXPECT_NE(m.out.find(" logship push web1\n"), std::string::npos) << m.out;
  sshd_.start();

  const fs::path home = sshd_.dir() / "host";
  fs::create_directory(home);
  auto init = run_program({program_path("logship-push").string(), "init", "--state-dir",
                           (home / "state").string(), "--key-out", (home / "web1.key").string(),
                           "--source", "web1"});
  ASSERT_EQ(init.code, 0) << init.err;
  std::string lines;
  for (int i = 1; i <= 2000; ++i) lines += "auth line " + std::to_string(i) + "\n";
  write_file(home / "input", lines);
  Child push({program_path("logship-push").string(),
              "--input",
              "-",
              "--source",
              "web1",
              "--stream",
              "auth",
              "--host",
              "127.0.0.1",
              "--port",
              std::to_string(sshd_.port()),
              "--identity",
              key("push").string(),
              "--known-hosts",
              sshd_.known_hosts().string(),
              "--state-dir",
              (home / "state").string(),
              "--retry-max",
              "1",
              "--timeout",
              "5"},
             home / "push.log", home / "input");
  ASSERT_EQ(push.wait_for(60s), 0) << slurp(home / "push.log");

  std::vector<std::string> created;
  for (const auto& e : fs::directory_iterator(vault)) created.push_back(e.path().filename());
  EXPECT_EQ(created, std::vector<std::string>{kHostileName});
  auto v = run_program({program_path("logship-verify").string(), "--key",
                        (home / "web1.key").string(), "--extract", file.string()});
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_TRUE(v.out == lines) << "extracted " << v.out.size() << " bytes of " << lines.size();

  // The forced command wins over what the client asks for: `echo pwned` never runs, the
  // client's stdin is appended to the vault file instead.
  const auto before = slurp(file);
  auto shell = run_with_input(ssh("push", {target(), "echo pwned; id"}), "appended by ssh\n");
  EXPECT_EQ(shell.code, 0) << shell.out;
  EXPECT_EQ(shell.out.find("pwned"), std::string::npos) << shell.out;
  EXPECT_EQ(shell.out.find("uid="), std::string::npos) << shell.out;
  EXPECT_EQ(slurp(file), before + "appended by ssh\n");

  // No pty, so no interactive shell either.
  auto tty = run_with_input(ssh("push", {"-tt", target()}), "");
  EXPECT_NE(tty.out.find("PTY allocation request failed"), std::string::npos) << tty.out;

  // No forwarding: stdio forwarding to the sshd itself would print its banner.
  auto fwd = run_with_input(
      ssh("push", {"-W", "127.0.0.1:" + std::to_string(sshd_.port()), target()}), "");
  EXPECT_NE(fwd.code, 0);
  EXPECT_EQ(fwd.out.find("SSH-2.0"), std::string::npos) << fwd.out;
  EXPECT_NE(fwd.out.find("prohibited"), std::string::npos) << fwd.out;
  auto remote = run_with_input(
      ssh("push", {"-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:9", target()}), "");
  EXPECT_NE(remote.code, 0);
  EXPECT_NE(remote.out.find("forwarding failed"), std::string::npos) << remote.out;
}

TEST_F(KeysTest, PushKeyIsRefusedFromAnotherAddress) {
  const fs::path file = sshd_.dir() / "vault.log";
  auto m = mint("push", {"--role", "push", "--path", file.string(), "--from", "192.0.2.10"});
  ASSERT_EQ(m.code, 0) << m.err;
  sshd_.start();
  auto r = run_with_input(ssh("push", {target(), "true"}), "data\n");
  EXPECT_EQ(r.code, 255) << r.out;
  EXPECT_NE(r.out.find("Permission denied"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(KeysTest, PullKeyFollowsOverSftpAndCannotWrite) {
  const fs::path remote = sshd_.dir() / "host";
  const fs::path vault = sshd_.dir() / "vault";
  fs::create_directory(remote);
  fs::create_directory(vault);
  std::string text;
  for (int i = 1; i <= 500; ++i) text += "host line " + std::to_string(i) + "\n";
  write_file(remote / "auth.log", text);
  auto m = mint("pull", {"--role", "pull", "--from", "127.0.0.1,::1"});
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_NE(m.out.find("command=\"/usr/lib/openssh/sftp-server -R\""), std::string::npos);
  sshd_.start();

  auto init = run_program({program_path("logship-pull").string(), "init", "--state-dir",
                           (vault / "state").string(), "--key-out", (vault / "web1.key").string(),
                           "--source", "web1"});
  ASSERT_EQ(init.code, 0) << init.err;
  const fs::path copy = vault / "auth.log";
  Child pull({program_path("logship-pull").string(),
              "--mode",
              "sftp",
              "--format",
              "raw",
              "--follow",
              (remote / "auth.log").string() + "=" + copy.string(),
              "--host",
              "127.0.0.1",
              "--port",
              std::to_string(sshd_.port()),
              "--identity",
              key("pull").string(),
              "--known-hosts",
              sshd_.known_hosts().string(),
              "--state-dir",
              (vault / "state").string(),
              "--source",
              "web1",
              "--poll",
              "100"},
             vault / "pull.log");
  EXPECT_TRUE(eventually([&] { return slurp(copy) == text; }, 30s)) << slurp(vault / "pull.log");
  pull.signal(SIGTERM);
  EXPECT_EQ(pull.wait_for(10s), 0) << slurp(vault / "pull.log");

  // sftp-server -R: reading works, every write is refused.
  write_file(sshd_.dir() / "batch",
             "get " + (remote / "auth.log").string() + " " + (vault / "fetched").string() + "\n");
  auto get = run_with_input(
      {"/usr/bin/sftp", "-F", "/dev/null", "-i", key("pull").string(), "-o", "IdentitiesOnly=yes",
       "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=" + sshd_.known_hosts().string(), "-P",
       std::to_string(sshd_.port()), "-b", (sshd_.dir() / "batch").string(), target()},
      "");
  EXPECT_EQ(get.code, 0) << get.out;
  EXPECT_EQ(slurp(vault / "fetched"), text);
  for (const std::string& cmd :
       {"put " + (vault / "fetched").string() + " " + (remote / "new.log").string(),
        "rm " + (remote / "auth.log").string(), "mkdir " + (remote / "dir").string(),
        "rename " + (remote / "auth.log").string() + " " + (remote / "moved").string()}) {
    write_file(sshd_.dir() / "batch", cmd + "\n");
    auto w = run_with_input(
        {"/usr/bin/sftp", "-F", "/dev/null", "-i", key("pull").string(), "-o", "IdentitiesOnly=yes",
         "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=" + sshd_.known_hosts().string(), "-P",
         std::to_string(sshd_.port()), "-b", (sshd_.dir() / "batch").string(), target()},
        "");
    EXPECT_NE(w.code, 0) << cmd << ": " << w.out;
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(remote)) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"auth.log"});
  EXPECT_EQ(slurp(remote / "auth.log"), text);

  // And no command of the client's choosing runs.
  auto shell = run_with_input(ssh("pull", {target(), "echo pwned"}), "");
  EXPECT_EQ(shell.out.find("pwned"), std::string::npos) << shell.out;
}

TEST_F(KeysTest, TailKeyFollowsItsFileWhateverTheClientAsks) {
  const fs::path file = sshd_.dir() / kHostileName;
  write_file(file, "first line\n");
  auto m = mint("tail", {"--role", "tail", "--path", file.string(), "--from", "127.0.0.1"});
  ASSERT_EQ(m.code, 0) << m.err;
  sshd_.start();
  const fs::path log = sshd_.dir() / "tail.log";
  Child tail(ssh("tail", {target(), "echo pwned"}), log);
  EXPECT_TRUE(eventually([&] { return slurp(log).find("first line") != std::string::npos; }, 20s))
      << slurp(log);
  std::ofstream(file, std::ios::app) << "second line\n";
  EXPECT_TRUE(eventually([&] { return slurp(log).find("second line") != std::string::npos; }, 20s))
      << slurp(log);
  EXPECT_EQ(slurp(log).find("pwned"), std::string::npos);
}

TEST_F(KeysTest, RefusedInputExitsTwoAndWritesNothing) {
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{"--role", "push", "--path", "relative.log", "--from", "127.0.0.1"}, "relative"},
      {{"--role", "push", "--path", "/a\nb", "--from", "127.0.0.1"}, "line break"},
      {{"--role", "push", "--path", "/v.log"}, "missing --from"},
      {{"--role", "push", "--path", "/v.log", "--from", "host.example"}, "not an IPv4"},
      {{"--role", "push", "--from", "127.0.0.1"}, "missing --path"},
      {{"--role", "pull", "--path", "/v.log", "--from", "127.0.0.1"}, "does not apply"},
      {{"--role", "shell", "--path", "/v.log", "--from", "127.0.0.1"}, "unknown --role"},
      {{"--role", "push", "--path", "/v.log", "--from", "127.0.0.1", "--any-source"}, "contradict"},
      {{"--role", "push", "--path", "/v.log", "--from", "127.0.0.1", "--comment", "a\tb"},
       "control character"},
  };
  for (const auto& [args, reason] : cases) {
    auto r = mint("bad", args);
    EXPECT_EQ(r.code, 2) << reason;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;  // one line
    EXPECT_FALSE(fs::exists(key("bad")));
    EXPECT_FALSE(fs::exists(key("bad.pub")));
  }
}

TEST_F(KeysTest, NeverOverwritesAKeyWithoutForce) {
  const std::vector<std::string> args = {"--role", "push", "--path", "/v.log", "--any-source"};
  auto first = mint("k", args);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.err.find("no from= restriction"), std::string::npos) << first.err;
  EXPECT_EQ(first.out.rfind(
                "restrict,command=\"exec flock -w 20 '/v.log' cat >> '/v.log'\" ssh-ed25519 ", 0),
            0u)
      << first.out;
  const auto old = slurp(key("k"));
  auto second = mint("k", args);
  EXPECT_EQ(second.code, 2);
  EXPECT_NE(second.err.find("already exists"), std::string::npos) << second.err;
  EXPECT_EQ(slurp(key("k")), old);
  auto args_force = args;
  args_force.push_back("--force");
  auto third = mint("k", args_force);
  EXPECT_EQ(third.code, 0) << third.err;
  EXPECT_NE(slurp(key("k")), old);
  struct stat st {};
  ASSERT_EQ(::stat(key("k").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // The .pub file and the printed line hold the same key.
  const auto pub = slurp(key("k.pub"));
  const auto blob = pub.substr(0, pub.find(" logship"));
  EXPECT_NE(third.out.find(blob), std::string::npos);
}

TEST_F(KeysTest, HelpExplainsEveryOption) {
  auto help = run_program({program_path("logship-keys").string(), "--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* option :
       {"--role ROLE", "--path PATH", "--from CIDR[,CIDR]", "--any-source", "--out KEYFILE",
        "--force", "--source NAME", "--comment TEXT", "--json", "--allow-missing-from",
        "--config FILE", "--log-level LEVEL", "--version", "--help"})
    EXPECT_NE(help.out.find(option), std::string::npos) << option << "\n" << help.out;
  for (const char* text : {"cat >> 'PATH'", "sftp-server -R", "tail -F 'PATH'", "Exit codes"})
    EXPECT_NE(help.out.find(text), std::string::npos) << text;
}

// ---- lint ----

// The lines of `out` that report `code` for `file`'s line `line`.
bool reports(const std::string& out, const fs::path& file, std::size_t line,
             const std::string& code) {
  return out.find(file.string() + ":" + std::to_string(line) + ": " + code + ":") !=
         std::string::npos;
}

// Entries the parser calls refused (a bad-entry finding) must be exactly the ones sshd does not
// let log in: the same options on a real sshd, one key each.
TEST_F(KeysTest, LintAgreesWithSshdOnWhichEntriesLogIn) {
  struct Case {
    std::string options;  // "" for a bare key
    int variant = 0;      // 1: short type name, 2: CRLF, 3: tab before, 4: blanks after options
  };
  const std::vector<Case> cases = {
      {"restrict"},
      {"RESTRICT,No-Pty"},
      {",no-pty"},
      {"no-pty,,restrict"},
      {"no-pty,"},
      {"restricted"},
      {"no-restrict"},
      {"pty=\"x\""},
      {"command=true"},
      {"command=\"true\"x"},
      {"command=\"true\",command=\"true\""},
      {"from=\"127.0.0.1\",from=\"127.0.0.1\""},
      {"principals=\"x\""},
      {"environment=\"FOO\""},
      {"environment=\"A_B=1\""},
      {"tunnel=\"x\""},
      {"tunnel=\"5\""},
      {"tunnel=\"any\""},
      {"expiry-time=\"whatever\""},
      {"expiry-time=\"20991231\""},
      {"from=\"127.0.0.1/8\""},
      {"from=\"127.0.0.0/8,::1\""},
      {"from=\"!192.0.2.1\""},
      {"command=\"echo \\\"a,b\\\" >/dev/null\",from=\"127.0.0.1\""},
      {"command=\"true\\\""},
      {"permitopen=\"localhost:80\""},
      {"permitopen=\"bad\""},
      {"permitopen=\"host:notaport\""},
      {"permitlisten=\"not a port\""},
      {"permitlisten=\"8080\""},
      {"permitopen=\"*:*\""},
      {"expiry-time=\"20000101\""},
      {"expiry-time=\"20991231235959Z\""},
      {"expiry-time=\"209912312359\""},
      {"environment=\"1=2\""},
      {"tunnel=\" 5\""},

      {"no-touch-required,no-user-rc,no-agent-forwarding"},
      {"", 1},
      {"restrict", 2},
      {"restrict", 3},
      {"restrict,from=\"127.0.0.1\"", 4},
      {"", 0},
  };
  std::vector<ClientKey> keys;
  {
    std::ofstream out(sshd_.authorized_keys(), std::ios::trunc);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      keys.push_back(sshd_.make_client_key("case" + std::to_string(i)));
      std::string key = keys.back().public_line;
      if (cases[i].variant == 1) key.replace(0, 11, "ED25519");
      std::string line = cases[i].options.empty() ? key : cases[i].options + " " + key;
      if (cases[i].variant == 2) line += "\r";
      if (cases[i].variant == 3) line = "\t" + line;
      if (cases[i].variant == 4) line = cases[i].options + " \t  " + key;
      out << line << "\n";
    }
  }
  sshd_.start();
  auto lint = run_program(
      {program_path("logship-keys").string(), "lint", sshd_.authorized_keys().string()});
  EXPECT_EQ(lint.code, 1) << lint.err;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto login =
        run_with_input({"/usr/bin/ssh", "-F", "/dev/null", "-i", keys[i].private_key.string(), "-o",
                        "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o",
                        "UserKnownHostsFile=" + sshd_.known_hosts().string(), "-p",
                        std::to_string(sshd_.port()), target(), "exit 0"},
                       "");
    const bool refused = reports(lint.out, sshd_.authorized_keys(), i + 1, "bad-entry") ||
                         reports(lint.out, sshd_.authorized_keys(), i + 1, "expired");
    EXPECT_EQ(login.code == 0, !refused)
        << "line " << i + 1 << " '" << cases[i].options << "' variant " << cases[i].variant
        << ": ssh exit " << login.code << ", lint " << (refused ? "refused" : "accepted") << "\n"
        << login.out;
  }
}

TEST_F(KeysTest, FixtureEntriesLintCleanAndPermissiveOnesAreFlaggedAndReal) {
  const fs::path file = sshd_.dir() / "vault.log";
  sshd_.add_authorized_key(push_key_options(file), sshd_.make_client_key("fpush"));
  sshd_.add_authorized_key(pull_key_options(), sshd_.make_client_key("fpull"));
  sshd_.add_authorized_key(tail_key_options(file), sshd_.make_client_key("ftail"));
  const auto ak = sshd_.authorized_keys().string();
  // The fixture's entries have no from=; with that allowed they are clean.
  auto clean =
      run_program({program_path("logship-keys").string(), "lint", "--allow-missing-from", ak});
  EXPECT_EQ(clean.code, 0) << clean.out << clean.err;
  EXPECT_EQ(clean.out, "");
  EXPECT_NE(clean.err.find("3 entries, 0 findings"), std::string::npos) << clean.err;
  auto strict = run_program({program_path("logship-keys").string(), "lint", ak});
  EXPECT_EQ(strict.code, 1);
  for (std::size_t line = 1; line <= 3; ++line)
    EXPECT_TRUE(reports(strict.out, ak, line, "no-from"));
  EXPECT_EQ(std::count(strict.out.begin(), strict.out.end(), '\n'), 3) << strict.out;

  // Hand-written entries that grant more, and proof on sshd that they do.
  const auto shell_key = sshd_.make_client_key("sneaky");
  sshd_.add_authorized_key(
      "restrict,from=\"127.0.0.1\",command=\"cat >> " + file.string() + "; $SSH_ORIGINAL_COMMAND\"",
      shell_key);
  const auto bare_key = sshd_.make_client_key("bare");
  sshd_.add_authorized_key("", bare_key);
  auto flagged =
      run_program({program_path("logship-keys").string(), "lint", "--allow-missing-from", ak});
  EXPECT_EQ(flagged.code, 1);
  EXPECT_TRUE(reports(flagged.out, ak, 4, "unsafe-command")) << flagged.out;
  EXPECT_NE(flagged.out.find("';' (runs a second command)"), std::string::npos) << flagged.out;
  for (const char* code : {"no-command", "pty", "port-forwarding", "agent-forwarding"})
    EXPECT_TRUE(reports(flagged.out, ak, 5, code)) << code << "\n" << flagged.out;

  sshd_.start();
  auto common = [&](const ClientKey& k) {
    return std::vector<std::string>{"/usr/bin/ssh",
                                    "-F",
                                    "/dev/null",
                                    "-i",
                                    k.private_key.string(),
                                    "-o",
                                    "IdentitiesOnly=yes",
                                    "-o",
                                    "BatchMode=yes",
                                    "-o",
                                    "UserKnownHostsFile=" + sshd_.known_hosts().string(),
                                    "-p",
                                    std::to_string(sshd_.port())};
  };
  auto a = common(shell_key);
  a.insert(a.end(), {target(), "echo pwned"});
  EXPECT_NE(run_with_input(a, "").out.find("pwned"), std::string::npos);
  auto w = common(bare_key);
  w.insert(w.end(), {"-W", "127.0.0.1:" + std::to_string(sshd_.port()), target()});
  EXPECT_NE(run_with_input(w, "").out.find("SSH-2.0-OpenSSH"), std::string::npos);
}

TEST_F(KeysTest, LintReadsStdinWritesJsonAndExitsTwoOnAnUnreadableFile) {
  auto m = mint("k", {"--role", "tail", "--path", "/var/log/auth.log", "--from", "192.0.2.7"});
  ASSERT_EQ(m.code, 0) << m.err;
  const auto ak = sshd_.authorized_keys().string();
  auto json = run_program({program_path("logship-keys").string(), "lint", "--json", ak});
  EXPECT_EQ(json.code, 0) << json.out << json.err;
  EXPECT_EQ(json.out, "{\"file\":" + std::string("\"") + ak +
                          "\",\"lines\":1,\"entries\":1,\"findings\":[]}\n");
  auto in = run_with_input({program_path("logship-keys").string(), "lint", "-"},
                           "command=\"tail -F /x\" " + m.out.substr(m.out.find("ssh-ed25519")));
  EXPECT_EQ(in.code, 1) << in.out;
  EXPECT_NE(in.out.find("(stdin):1: pty:"), std::string::npos) << in.out;
  EXPECT_NE(in.out.find("(stdin):1: no-from:"), std::string::npos) << in.out;
  auto missing =
      run_program({program_path("logship-keys").string(), "lint", (keys_ / "nope").string()});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos) << missing.err;
  EXPECT_EQ(run_program({program_path("logship-keys").string(), "lint"}).code, 2);
  EXPECT_EQ(run_program({program_path("logship-keys").string(), "lint", "--force", ak}).code, 2);
}

}  // namespace
}  // namespace logship::test
