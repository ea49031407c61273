// The authorized_keys line splitter and public key reader, on real-world-shaped lines.
#include "authkeys/line.hpp"

#include <gtest/gtest.h>

#include "test_keys.hpp"

namespace logship::authkeys {
namespace {

using test::blob;

const std::string kEd = "ssh-ed25519 " + blob("ssh-ed25519");

TEST(Line, BlankAndCommentLinesAreSkipped) {
  for (const char* l : {"", "   ", "\t", "\r", "# comment", "   # indented comment", "#"})
    EXPECT_NE(parse_line(l).kind, LineKind::entry) << l;
  EXPECT_EQ(parse_line("  \t ").kind, LineKind::blank);
  EXPECT_EQ(parse_line("\t# x").kind, LineKind::comment);
}

TEST(Line, BareKeysWithAndWithoutComments) {
  auto l = parse_line(kEd + " alice@laptop (work)  ");
  ASSERT_EQ(l.kind, LineKind::entry);
  EXPECT_EQ(l.options, "");
  EXPECT_EQ(l.key.type, "ssh-ed25519");
  EXPECT_EQ(l.key.comment, "alice@laptop (work)");
  l = parse_line("\t  " + kEd);
  ASSERT_EQ(l.kind, LineKind::entry);
  EXPECT_EQ(l.key.comment, "");
  l = parse_line(kEd + " c\r");  // CRLF files
  ASSERT_EQ(l.kind, LineKind::entry);
  EXPECT_EQ(l.key.comment, "c");
}

TEST(Line, EveryKeyTypeOpenSshReads) {
  for (const std::string type :
       {"ssh-ed25519", "sk-ssh-ed25519@openssh.com", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-rsa", "ssh-dss",
        "ssh-ed25519-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com"}) {
    const auto l = parse_line(type + " " + blob(type) + " c");
    ASSERT_EQ(l.kind, LineKind::entry) << type;
    EXPECT_EQ(l.key.type, type);
    EXPECT_EQ(l.key.certificate(), type.find("-cert-") != std::string::npos) << type;
  }
  // ssh-keygen's short names are no key types to sshd: "ED25519" reads as an option.
  EXPECT_EQ(parse_line("ED25519 " + blob("ssh-ed25519")).kind, LineKind::broken);
}

TEST(Line, OptionsEndAtTheFirstBlankOutsideQuotes) {
  const std::string opts =
      "restrict,from=\"192.0.2.1,198.51.100.0/24\",command=\"echo \\\"a, b\\\" >> '/x y'\"";
  auto l = parse_line(opts + "  \t" + kEd + " key one");
  ASSERT_EQ(l.kind, LineKind::entry) << l.problem;
  EXPECT_EQ(l.options, opts);
  EXPECT_EQ(l.key.comment, "key one");
  // A quoted value holding a key type and blanks is still options.
  l = parse_line("command=\"ssh-rsa x\" " + kEd + " c");
  ASSERT_EQ(l.kind, LineKind::entry);
  EXPECT_EQ(l.options, "command=\"ssh-rsa x\"");
}

TEST(Line, BackslashEscapesOnlyADoubleQuote) {
  // command="a\\" : \ then \" (an escaped quote): the quote never closes.
  auto l = parse_line("command=\"a\\\\\" " + kEd);
  EXPECT_EQ(l.kind, LineKind::broken);
  EXPECT_NE(l.problem.find("never closed"), std::string::npos);
  l = parse_line("command=\"a\\\\\\\" b\" " + kEd + " c");
  ASSERT_EQ(l.kind, LineKind::entry);
  EXPECT_EQ(l.options, "command=\"a\\\\\\\" b\"");
}

TEST(Line, WhatSshdSkips) {
  // Options without a key, a type whose blob names another type, garbage base64.
  for (const std::string& l : std::vector<std::string>{
           "no-pty,restrict", "restrict ssh-ed25519", "ssh-rsa " + blob("ssh-ed25519") + " c",
           "restrict ssh-ed25519 not*base64 c", "restrict ssh-ed25519 " + test::base64("xx") + " c",
           "ssh-foo " + blob("ssh-foo")})
    EXPECT_EQ(parse_line(l).kind, LineKind::broken) << l;
  // known_hosts syntax reads as options (which sshd then refuses: see the lint tests).
  EXPECT_EQ(parse_line("somehost " + kEd).options, "somehost");
  EXPECT_EQ(parse_line("@cert-authority " + kEd).options, "@cert-authority");
  // A NUL ends the line for sshd.
  const std::string with_nul = kEd + " c" + std::string(1, '\0') + " more";
  auto l = parse_line(with_nul);
  ASSERT_EQ(l.kind, LineKind::entry);
  EXPECT_EQ(l.key.comment, "c");
  EXPECT_EQ(parse_line(std::string("restrict\0", 9) + kEd).kind, LineKind::broken);
}

TEST(Line, RsaModulusSize) {
  auto l = parse_line("ssh-rsa " + test::rsa_blob(1024));
  ASSERT_EQ(l.kind, LineKind::entry);
  EXPECT_EQ(rsa_bits(l.key.blob), 1024u);
  l = parse_line("ssh-rsa " + test::rsa_blob(4096));
  EXPECT_EQ(rsa_bits(l.key.blob), 4096u);
  EXPECT_FALSE(rsa_bits(parse_line(kEd).key.blob));
}

}  // namespace
}  // namespace logship::authkeys
