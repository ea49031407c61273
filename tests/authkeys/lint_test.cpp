// Lint rules on real-world-shaped authorized_keys files: what each entry grants, per line.
#include "authkeys/lint.hpp"

#include <gtest/gtest.h>

#include <set>

#include "authkeys/role.hpp"
#include "test_keys.hpp"

namespace logship::authkeys {
namespace {

using test::blob;

// The codes reported for each line.
std::map<std::size_t, std::multiset<std::string>> codes(const LintReport& r) {
  std::map<std::size_t, std::multiset<std::string>> out;
  for (const auto& f : r.findings) out[f.line].insert(f.code);
  return out;
}

TEST(Lint, LinesMadeByNewAreClean) {
  std::string file;
  char seed = 'a';
  for (const auto role : {Role::push, Role::pull, Role::tail}) {
    EntrySpec spec{role,
                   role == Role::pull ? "" : "/srv/vault/it's a $log",
                   {"192.0.2.10", "2001:db8::/64"},
                   "ssh-ed25519",
                   blob("ssh-ed25519", seed++),
                   default_comment(role, "web1", "")};
    file += authorized_keys_line(spec) + "\n";
  }
  const auto r = lint_authorized_keys(file);
  EXPECT_EQ(r.entries, 3u);
  EXPECT_TRUE(r.findings.empty()) << format_finding(r.findings.front());
}

TEST(Lint, ARealWorldFile) {
  const std::string a = blob("ssh-ed25519", 'a'), b = blob("ssh-ed25519", 'b'),
                    c = blob("ssh-ed25519", 'c'), d = blob("ssh-ed25519", 'd');
  const std::string file =
      "# logvault: managed by hand\n"  // 1
      "\n"                             // 2
      "restrict,from=\"192.0.2.10\",command=\"cat >> /srv/vault/web1.log\" ssh-ed25519 " +
      a + " web1 push\n" +                      // 3
      "ssh-ed25519 " + b + " admin@laptop\n" +  // 4
      "  no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,"
      "from=\"10.1.0.0/16\",command=\"/usr/lib/openssh/sftp-server -R\" ssh-ed25519 " +
      c + " classic pull\r\n" +                                                             // 5
      "restrict,command=\"cat >> /srv/x; sh\",from=\"*\" ssh-ed25519 " + d + " sneaky\n" +  // 6
      "restrict,pty,from=\"192.0.2.0/24\",command=\"/usr/lib/openssh/sftp-server\" "
      "ssh-ed25519 " +
      blob("ssh-ed25519", 'e') + " rw pull\n" +  // 7
      "restrict,from=\"192.0.2.11\",command=\"cat >> '/srv/v.log'\",environment=\"LD_PRELOAD="
      "/tmp/x.so\" ssh-ed25519 " +
      blob("ssh-ed25519", 'f') + "\n" +  // 8
      "cert-authority,principals=\"logship\",restrict,from=\"192.0.2.0/28\","
      "command=\"cat >> '/srv/v.log'\" ssh-ed25519 " +
      blob("ssh-ed25519", 'g') + " CA\n" +                                       // 9
      "no-port-fowarding ssh-ed25519 " + blob("ssh-ed25519", 'h') + " typo\n" +  // 10
      "restrict,from=\"192.0.2.12\",command=\"tail -F /var/log/x\" ssh-dss " + blob("ssh-dss") +
      " old\n" +  // 11
      "restrict,from=\"web1.example.com,!192.0.2.1\",command=\"tail -F /l\" ssh-rsa " +
      test::rsa_blob(1024) + " small\n" +  // 12
      "restrict,from=\"192.0.2.10\",command=\"cat >> /srv/other.log\" ssh-ed25519 " + a +
      " web1 again\n" +  // 13
      "restrict,from=\"192.0.2.10/24\",command=\"internal-sftp -R\",tunnel=\"1\" ssh-ed25519 " +
      blob("ssh-ed25519", 'i') + "\n" +                                                    // 14
      "restrict,command=\"cat >> /srv/x\" ssh-ed25519\n" +                                 // 15
      "sk-ssh-ed25519@openssh.com " + blob("sk-ssh-ed25519@openssh.com") + " yubikey\n" +  // 16
      "@cert-authority *.example.com ssh-ed25519 " + blob("ssh-ed25519", 'j');             // 17
  const auto r = lint_authorized_keys(file);
  EXPECT_EQ(r.lines, 17u);
  EXPECT_EQ(r.entries, 15u);
  using S = std::multiset<std::string>;
  const auto got = codes(r);
  const S unrestricted = {"pty", "port-forwarding", "agent-forwarding", "x11-forwarding"};
  auto plus = [](S s, std::initializer_list<std::string> more) {
    s.insert(more);
    return s;
  };
  const std::map<std::size_t, S> want = {
      {4, plus(unrestricted, {"no-command", "no-from"})},
      {6, {"unsafe-command", "from-any"}},
      {7, {"pty", "unsafe-command"}},
      {8, {"environment"}},
      {9, {"cert-authority"}},
      {10, {"bad-entry"}},
      {11, {"weak-key"}},
      {12, {"weak-key", "from-hostname"}},
      {13, {"duplicate-key"}},
      {14, {"bad-entry", "tunnel"}},
      {15, {"bad-entry"}},
      {16, plus(unrestricted, {"no-command", "no-from"})},
      {17, {"bad-entry"}},
  };
  EXPECT_EQ(got, want);
  for (const auto& f : r.findings) {
    EXPECT_FALSE(f.grants.empty());
    EXPECT_FALSE(f.fix.empty());
  }
  // The key is named by its comment, or by type and blob when it has none.
  for (const auto& f : r.findings) {
    if (f.line == 4) {
      EXPECT_EQ(f.key, "admin@laptop");
    }
    if (f.line == 8) {
      EXPECT_EQ(f.key.rfind("ssh-ed25519 AAAA", 0), 0u) << f.key;
    }
  }
}

TEST(Lint, MissingFromCanBeAllowedButNothingElse) {
  const std::string file = "restrict,command=\"cat >> /srv/x\" ssh-ed25519 " + blob("ssh-ed25519") +
                           "\n" + "command=\"cat >> /srv/y\" ssh-ed25519 " +
                           blob("ssh-ed25519", 'b') + "\n";
  EXPECT_EQ(lint_authorized_keys(file).findings.size(), 6u);
  LintOptions o;
  o.require_from = false;
  const auto r = lint_authorized_keys(file, o);
  ASSERT_EQ(r.findings.size(), 4u);
  for (const auto& f : r.findings) EXPECT_EQ(f.line, 2u);
}

TEST(Lint, ExpiredEntriesWhenTheTimeIsKnown) {
  const std::string file =
      "restrict,expiry-time=\"20261201Z\",from=\"192.0.2.1\",command=\"cat >> "
      "/v\" ssh-ed25519 " +
      blob("ssh-ed25519") + "\n";
  EXPECT_TRUE(lint_authorized_keys(file).findings.empty());
  LintOptions o;
  o.now = 1796083200;  // 2026-12-01T00:00:00Z: expired at that second
  const auto r = lint_authorized_keys(file, o);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].code, "expired");
  o.now = 1796083199;
  EXPECT_TRUE(lint_authorized_keys(file, o).findings.empty());
}

TEST(Lint, FormatsTextAndJson) {
  LintReport r;
  r.lines = 3;
  r.entries = 1;
  r.findings.push_back(Finding{3, "no-from", "web1 \"push\"", "no from=", "add from="});
  EXPECT_EQ(format_finding(r.findings[0]), "3: no-from: no from= [web1 \"push\"]; fix: add from=");
  EXPECT_EQ(to_json(r, "ak"),
            "{\"file\":\"ak\",\"lines\":3,\"entries\":1,\"findings\":[{\"line\":3,\"code\":"
            "\"no-from\",\"key\":\"web1 \\\"push\\\"\",\"grants\":\"no from=\",\"fix\":\"add "
            "from=\"}]}");
}

}  // namespace
}  // namespace logship::authkeys
