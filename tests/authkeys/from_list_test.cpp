// --from lists and the classification of sshd from= patterns.
#include "authkeys/from_list.hpp"

#include <gtest/gtest.h>

namespace logship::authkeys {
namespace {

TEST(FromList, AcceptsAddressesAndNetworks) {
  const auto r = parse_from_list("192.0.2.10, 198.51.100.0/24,2001:db8::/32,::1");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r,
            (std::vector<std::string>{"192.0.2.10", "198.51.100.0/24", "2001:db8::/32", "::1"}));
}

TEST(FromList, RefusesWhatSshdWouldNotMatchWithTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty entry"},
      {"192.0.2.1,,192.0.2.2", "empty entry"},
      {"web1.example.com", "not an IPv4 or IPv6"},
      {"192.0.2.*", "not an IPv4 or IPv6"},
      {"!192.0.2.1", "not an IPv4 or IPv6"},
      {"192.0.2.300", "not an IPv4 or IPv6"},
      {"192.0.2.1/33", "prefix length"},
      {"192.0.2.1/", "prefix length"},
      {"192.0.2.1/x", "prefix length"},
      {"2001:db8::/129", "prefix length"},
      {"192.0.2.10/24", "write the network, 192.0.2.0/24"},
      {"2001:db8::1/64", "write the network, 2001:db8::/64"},
      {"0.0.0.0/0", "matches every address"},
      {"::/0", "matches every address"},
      {"fe80::1%eth0", "not an IPv4 or IPv6"},
  };
  for (const auto& [input, reason] : cases) {
    const auto r = parse_from_list(input);
    ASSERT_FALSE(r) << input;
    EXPECT_NE(r.error().message.find(reason), std::string::npos)
        << input << ": " << r.error().message;
  }
}

TEST(FromPatterns, ClassifiesLikeSshdWouldMatch) {
  const auto e = classify_from(
      "192.0.2.1,!192.0.2.7,10.0.0.0/8,*,*.example.com,10.1.*,"
      "0.0.0.0/0,192.0.2.1/24,host1,::/0,2001:db8::/48,2001:db8::/32");
  ASSERT_EQ(e.size(), 12u);
  EXPECT_EQ(e[0].kind, FromPattern::address);
  EXPECT_TRUE(e[1].negated);
  EXPECT_EQ(e[1].pattern, "192.0.2.7");
  EXPECT_EQ(e[2].kind, FromPattern::wide);
  EXPECT_EQ(e[3].kind, FromPattern::everything);
  EXPECT_EQ(e[4].kind, FromPattern::hostname);
  EXPECT_EQ(e[5].kind, FromPattern::wildcard);
  EXPECT_EQ(e[6].kind, FromPattern::everything);
  EXPECT_EQ(e[7].kind, FromPattern::bad_network);
  EXPECT_EQ(e[8].kind, FromPattern::hostname);
  EXPECT_EQ(e[9].kind, FromPattern::everything);
  EXPECT_EQ(e[10].kind, FromPattern::address);
  EXPECT_EQ(e[11].kind, FromPattern::wide);
}

}  // namespace
}  // namespace logship::authkeys
