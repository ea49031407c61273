#include "vault/format.hpp"

#include <gtest/gtest.h>

#include "vault/control_line.hpp"
#include "vault/sequence.hpp"

namespace logship::vault {
namespace {

using namespace std::string_literals;

TEST(Format, ClassifyTable) {
  const std::string hex(64, 'a');
  const struct {
    std::string line;
    LineKind kind;
  } cases[] = {
      {"", LineKind::payload},
      {"hello", LineKind::payload},
      {"@", LineKind::payload},
      {"@logshi", LineKind::payload},
      {"@@logshi", LineKind::payload},
      {"@@logship", LineKind::escaped},
      {"@@@@logship begin x", LineKind::escaped},
      {"@ logship", LineKind::payload},
      {"x@logship", LineKind::payload},
      {"@logship", LineKind::malformed},
      {"@logshipx", LineKind::malformed},
      {"@logship begin v=1", LineKind::begin},
      {"@logship end seq=1", LineKind::end},
      {"@logship part ", LineKind::part},
      {"@logship part abc", LineKind::part},
      {"@logship part", LineKind::malformed},
      {"@logship redacted sha256=" + hex, LineKind::redacted},
      {"@logship redacted sha256=" + hex + "0", LineKind::malformed},
      {"@logship redacted sha256=" + std::string(64, 'A'), LineKind::malformed},
      {"@logship beginx", LineKind::malformed},
      {"@logship frobnicate", LineKind::malformed},
  };
  for (const auto& c : cases) EXPECT_EQ(classify(c.line), c.kind) << c.line;
}

TEST(Format, EscapeIsMinimalAndReversible) {
  for (std::string s : {"@logship", "@@logship", "@logship begin v=1", "@@@logshipper",
                        "@logship part x", "@logship redacted sha256=00"}) {
    EXPECT_TRUE(needs_escape(s)) << s;
    const std::string vault = "@" + s;
    EXPECT_EQ(classify(vault), LineKind::escaped) << s;
    EXPECT_EQ(unescape(vault, LineKind::escaped), s);
  }
  for (std::string s :
       {""s, "logship"s, "@"s, "@ logship"s, "@logshi"s, "a@logship"s, "\0@logship"s})
    EXPECT_FALSE(needs_escape(s)) << s;
}

TEST(Format, PercentEncodingRoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  const auto enc = percent_encode(all);
  for (unsigned char c : enc) EXPECT_TRUE(c > 0x20 && c < 0x7f);
  EXPECT_EQ(enc.find(' '), std::string::npos);
  EXPECT_EQ(enc.find('='), std::string::npos);
  EXPECT_EQ(percent_decode(enc), all);
  EXPECT_EQ(percent_encode("a b=c%d"), "a%20b%3Dc%25d");
  EXPECT_FALSE(percent_decode("a b"));
  EXPECT_FALSE(percent_decode("a=b"));
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_EQ(percent_decode("%4a"), "J");
}

TEST(Format, TimeFormatAndParse) {
  using namespace std::chrono;
  const VaultTime t = VaultTime{sys_days{year{2026} / 11 / 22}} + hours{2} + minutes{20} +
                      seconds{40} + microseconds{123456};
  EXPECT_EQ(format_time(t), "2026-11-22T02:20:40.123456Z");
  EXPECT_EQ(parse_time("2026-11-22T02:20:40.123456Z"), t);
  EXPECT_EQ(format_time(VaultTime{}), "1970-01-01T00:00:00.000000Z");
  for (auto bad :
       {"2026-11-22T02:20:40Z", "2026-11-22T02:20:40.123456", "2026-13-22T02:20:40.123456Z",
        "2026-02-30T02:20:40.123456Z", "2026-11-22T24:00:00.000000Z", "2026-11-22 02:20:40.123456Z",
        "2026-11-22T02:20:4x.123456Z"})
    EXPECT_FALSE(parse_time(bad)) << bad;
}

TEST(Format, DecimalIsStrict) {
  EXPECT_EQ(parse_decimal("0"), 0u);
  EXPECT_EQ(parse_decimal("18446744073709551615"), UINT64_MAX);
  for (auto bad : {"", "01", "-1", "+1", "1a", "18446744073709551616", " 1"})
    EXPECT_FALSE(parse_decimal(bad)) << bad;
}

TEST(ControlLine, BeginRoundTripsWithExtraFields) {
  BeginLine b;
  b.src = "web 1=%";
  b.stream = "auth\n";
  b.seq = 42;
  b.time = *parse_time("2026-11-22T02:20:40.000001Z");
  b.dropped = 7;
  b.prev[0] = 0xab;
  b.extra = {{"file", "/var/log/auth log"}, {"off", "1234"}, {"empty", ""}};
  const auto text = format_begin(b);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_TRUE(
      text.starts_with("@logship begin v=1 src=web%201%3D%25 stream=auth%0A seq=42 "
                       "time=2026-11-22T02:20:40.000001Z dropped=7 prev=ab00"))
      << text;
  auto back = parse_begin(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, b);
}

TEST(ControlLine, BeginRejects) {
  const std::string ok =
      "@logship begin v=1 src=a stream=b seq=0 time=2026-11-22T02:20:40.000000Z dropped=0 prev=" +
      std::string(64, '0');
  ASSERT_TRUE(parse_begin(ok));
  const std::string bad[] = {
      ok + " ",                     // trailing space
      ok + " x",                    // extra without '='
      ok + " seq=1",                // reserved key as extra
      ok + " a=1 a=2",              // duplicate extra
      ok + " Key=1",                // upper-case key
      ok.substr(0, ok.size() - 1),  // short prev
      std::string(ok).replace(ok.find("v=1"), 3, "v=2"),
      std::string(ok).replace(ok.find("src=a"), 5, "src="),
      std::string(ok).replace(ok.find("seq=0"), 5, "seq=00"),
      std::string(ok).replace(ok.find("src=a stream=b"), 14, "stream=b src=a"),
      std::string(ok).replace(ok.find("prev=0"), 6, "prev=A"),
  };
  for (const auto& b : bad) EXPECT_FALSE(parse_begin(b)) << b;
}

TEST(ControlLine, EndRoundTripsAndRejects) {
  EndLine e{5, 3, 99, {}, {}};
  e.chain[31] = 1;
  e.mac[0] = 0xff;
  const auto text = format_end(e);
  auto back = parse_end(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, e);
  EXPECT_FALSE(parse_end(text + " x=1"));
  EXPECT_FALSE(parse_end(text.substr(0, text.size() - 2)));  // mac cut short
  EXPECT_FALSE(parse_end("@logship end seq=5 lines=3"));
}

TEST(Sequence, ClassifyTable) {
  crypto::Digest a{}, b{};
  b[0] = 1;
  const LastBatch last{10, a};
  const struct {
    std::optional<LastBatch> last;
    std::uint64_t seq;
    crypto::Digest chain;
    SeqVerdict want;
  } cases[] = {
      {std::nullopt, 0, a, SeqVerdict::first},
      {std::nullopt, 7, a, SeqVerdict::first},
      {last, 11, b, SeqVerdict::next},
      {last, 10, a, SeqVerdict::duplicate},
      {last, 10, b, SeqVerdict::conflict},
      {last, 12, b, SeqVerdict::gap},
      {last, 9, a, SeqVerdict::backwards},
      {last, 0, a, SeqVerdict::backwards},
      {LastBatch{UINT64_MAX, a}, 0, a, SeqVerdict::backwards},
  };
  for (const auto& c : cases)
    EXPECT_EQ(classify_seq(c.last, c.seq, c.chain), c.want) << to_string(c.want) << " " << c.seq;
  EXPECT_TRUE(accepted(SeqVerdict::gap));
  EXPECT_FALSE(accepted(SeqVerdict::duplicate));
}

}  // namespace
}  // namespace logship::vault
