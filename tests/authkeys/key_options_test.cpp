// authorized_keys options, accepted and refused as sshd (OpenSSH 9) accepts and refuses them.
#include "authkeys/key_options.hpp"

#include <gtest/gtest.h>

namespace logship::authkeys {
namespace {

TEST(KeyOptions, RestrictTurnsEverythingOffAndLaterFlagsTurnItBackOn) {
  auto o = parse_key_options("restrict");
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->restrict);
  EXPECT_FALSE(o->pty || o->port_forwarding || o->agent_forwarding || o->x11_forwarding ||
               o->user_rc);
  o = parse_key_options("restrict,pty,PORT-FORWARDING");
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->pty);
  EXPECT_TRUE(o->port_forwarding);
  EXPECT_FALSE(o->agent_forwarding);
  o = parse_key_options("pty,restrict");  // left to right: restrict wins
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->pty);
  o = parse_key_options("");
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->pty && o->port_forwarding && o->agent_forwarding && o->x11_forwarding);
  o = parse_key_options("no-pty,No-Port-Forwarding,no-agent-forwarding,NO-X11-FORWARDING");
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->pty || o->port_forwarding || o->agent_forwarding || o->x11_forwarding);
  EXPECT_TRUE(o->user_rc);
  EXPECT_FALSE(o->restrict);
}

TEST(KeyOptions, ValuesAreDequotedAndMayHoldCommasAndEscapedQuotes) {
  auto o = parse_key_options(
      "from=\"192.0.2.1,!192.0.2.2\",command=\"echo \\\"a,b\\\" x\\\\y\",environment=\"A=1\","
      "environment=\"B_2=x=y\",permitopen=\"h:1\",permitopen=\"h:2\",expiry-time=\"20991231Z\","
      "tunnel=\"any\"");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(*o->from, "192.0.2.1,!192.0.2.2");
  EXPECT_EQ(*o->command, "echo \"a,b\" x\\\\y");
  EXPECT_EQ(o->environment, (std::vector<std::string>{"A=1", "B_2=x=y"}));
  EXPECT_EQ(o->permitopen.size(), 2u);
  EXPECT_EQ(*o->tunnel, "any");
}

TEST(KeyOptions, AcceptsWhatSshdAccepts) {
  for (const char* text : {",no-pty",
                           "no-pty,,restrict",
                           "no-pty,",
                           "cert-authority,principals=\"a,b\"",
                           "principals=\"x\",cert-authority",
                           "no-touch-required,verify-required",
                           "no-user-rc",
                           "tunnel=\"5\"",
                           "tunnel=\" 5\"",
                           "tunnel=\"+7\"",
                           "tunnel=\"-0\"",
                           "tunnel=\"2147483645\"",
                           "command=\"a\\b\"",
                           "environment=\"1=2\"",
                           "expiry-time=\"202612011200\"",
                           "expiry-time=\"20261201120000\"",
                           "permitlisten=\"localhost:8080\"",
                           "permitlisten=\"8080\"",
                           "permitopen=\"*:*\"",
                           "permitopen=\"[::1]:22\"",
                           "permitopen=\"host/80\""})
    EXPECT_TRUE(parse_key_options(text)) << text << ": " << parse_key_options(text).error().message;
}

TEST(KeyOptions, RefusesWhatSshdRefusesWithItsReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"no-port-fowarding", "unknown key option \"no-port-fowarding\""},
      {"no-restrict", "unknown key option"},
      {"no-cert-authority", "unknown key option"},
      {"restricted", "unknown key option \"restricted\""},
      {"pty=\"x\"", "unknown key option \"pty\""},
      {"command", "unknown key option \"command\""},
      {"command=x", "missing start quote"},
      {"command=\"x", "no closing quote"},
      {"command=\"x\"y", "text after the closing quote"},
      {"command=\"a\",command=\"b\"", "multiple \"command\" clauses"},
      {"from=\"a\",FROM=\"b\"", "multiple \"from\" clauses"},
      {"principals=\"a\",principals=\"b\",cert-authority", "multiple \"principals\""},
      {"principals=\"x\"", "principals on non-CA key"},
      {"environment=\"FOO\"", "invalid environment string"},
      {"environment=\"a-b=c\"", "invalid environment string"},
      {"environment=\"=x\"", "invalid environment string"},
      {"tunnel=\"x\"", "invalid tun device"},
      {"tunnel=\"-1\"", "invalid tun device"},
      {"tunnel=\"2147483646\"", "invalid tun device"},
      {"expiry-time=\"tomorrow\"", "invalid expiry-time"},
      {"no-pty,bogus", "unknown key option \"bogus\""},
      {"permitopen=\"bad\"", "invalid permission port"},
      {"permitopen=\"host:0\"", "invalid permission port"},
      {"permitopen=\"host:x\"", "invalid permission port"},
      {"permitopen=\"[::1\"", "invalid permission hostname"},
      {"permitopen=\"[::1]x\"", "invalid permission hostname"},
      {"permitlisten=\"not a port\"", "invalid permission port"},
      {"expiry-time=\"20261301\"", "invalid expiry-time"},
  };
  for (const auto& [text, reason] : cases) {
    const auto o = parse_key_options(text);
    ASSERT_FALSE(o) << text;
    EXPECT_NE(o.error().message.find(reason), std::string::npos)
        << text << ": " << o.error().message;
  }
}

TEST(KeyOptions, ExpiryTimesInUtcAndLocalTime) {
  EXPECT_EQ(expiry_time("20000101Z"), 946684800);
  EXPECT_EQ(expiry_time("200001010000Z"), 946684800);
  EXPECT_EQ(expiry_time("20000101000001Z"), 946684801);
  EXPECT_TRUE(expiry_time("20991231"));
  EXPECT_FALSE(expiry_time("2000010"));
  EXPECT_FALSE(expiry_time("2000-01-01"));
}

}  // namespace
}  // namespace logship::authkeys
