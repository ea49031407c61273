#include "vault/verifier.hpp"

#include <gtest/gtest.h>

#include <random>

#include "vault/line_splitter.hpp"
#include "vault_fixture.hpp"

namespace logship::vault {
namespace {

using namespace std::string_literals;
using testing::at;

// Sends `input` like the push agent: split into pieces of at most max_line bytes, cut into
// batches of up to `per_batch` pieces (some heartbeats between), the tail flushed as a fragment.
std::string ship(std::string_view input, std::size_t max_line, std::size_t per_batch,
                 std::mt19937& rng) {
  testing::Sender sender;
  LineSplitter split(max_line);
  std::vector<testing::Piece> pieces;
  auto emit = [&](std::string_view p, LineEnd e) { pieces.push_back({std::string(p), e}); };
  std::string vault;
  long long t = 0;
  std::size_t pos = 0;
  while (pos < input.size()) {
    const auto n = std::min<std::size_t>(input.size() - pos, 1 + rng() % (3 * max_line));
    split.feed(input.substr(pos, n), emit);
    pos += n;
    if (pieces.size() >= per_batch) {
      vault += sender.next(pieces, at(t++));
      pieces.clear();
      if (rng() % 4 == 0) vault += sender.next({}, at(t++));  // heartbeat
    }
  }
  split.flush(emit);
  vault += sender.next(pieces, at(t++));
  return vault;
}

// Bytes that stress the format: control-line look-alikes, NUL, CR, invalid UTF-8, newlines.
std::string tricky_bytes(std::mt19937& rng, std::size_t size) {
  static const std::string tokens[] = {
      "@logship begin v=1 src=x stream=y seq=0 time=2026-11-22T02:20:40.000000Z dropped=0 prev=",
      "@logship end seq=0 lines=0 bytes=0 chain=",
      "@logship part ",
      "@logship redacted sha256=",
      "@@logship",
      "@@@logship part",
      "@logship",
      "@",
      "logship",
      "\n",
      "\n\n",
      "\r\n",
      "\r",
      "\0"s,
      "\xff\xfe\xc0\x80",
      "\xe2\x82",
      " ",
      "%",
      "=",
      "\t"};
  std::string out;
  while (out.size() < size) {
    switch (rng() % 4) {
      case 0:
        out += tokens[rng() % std::size(tokens)];
        break;
      case 1:
        out += "\n" + tokens[rng() % std::size(tokens)];
        break;
      case 2:
        out += static_cast<char>(rng() % 256);
        break;
      default:
        out.append(rng() % 40, static_cast<char>('a' + rng() % 26));
    }
  }
  return out;
}

void expect_round_trip(const std::string& input, std::size_t max_line, std::size_t per_batch,
                       std::mt19937& rng) {
  const auto vault = ship(input, max_line, per_batch, rng);
  const auto r = testing::verify({vault});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_TRUE(r.infos.empty()) << r.dump();
  ASSERT_EQ(r.extracted.size(), input.size());
  EXPECT_TRUE(r.extracted == input) << "extract differs from the input";
}

TEST(RoundTrip, RandomTrickyBytes) {
  std::mt19937 rng(20261122);
  for (int i = 0; i < 200; ++i) {
    const auto input = tricky_bytes(rng, rng() % 3000);
    SCOPED_TRACE("iteration " + std::to_string(i));
    expect_round_trip(input, 1 + rng() % 200, 1 + rng() % 20, rng);
  }
}

TEST(RoundTrip, EdgeCases) {
  std::mt19937 rng(7);
  for (std::string input :
       {""s, "\n"s, "\n\n\n"s, "no newline"s, "@logship"s, "@logship\n"s,
        "@@logship part x\n@logship redacted sha256=00\n"s, "a\0b\r\n\xff\n"s, "trailing part"s})
    expect_round_trip(input, 4, 3, rng);
}

TEST(RoundTrip, MegabyteLinesWholeAndSplit) {
  std::mt19937 rng(3);
  std::string big(1 << 20, 'x');
  for (auto& c : big) c = static_cast<char>(1 + rng() % 255);
  for (auto& c : big)
    if (c == '\n') c = 'N';
  const std::string input = "@logship " + big + "\nshort\n" + big + big + "\n" + big;
  expect_round_trip(input, 4 << 20, 2, rng);    // whole 1-2 MiB lines
  expect_round_trip(input, 100 << 10, 5, rng);  // split into 100 KiB parts
}

TEST(RoundTrip, BatchesCountHeartbeatsAndLines) {
  testing::Sender s;
  std::string v = s.next(testing::lines({"a", "b"}), at(0));
  v += s.next({}, at(60));
  v += s.next(testing::lines({"c"}), at(120));
  const auto r = testing::verify({v});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  ASSERT_EQ(r.summary.streams.size(), 1u);
  const auto& st = r.summary.streams[0];
  EXPECT_EQ(st.batches, 3u);
  EXPECT_EQ(st.heartbeats, 1u);
  EXPECT_EQ(st.payload_lines, 3u);
  EXPECT_EQ(st.first_seq, 0u);
  EXPECT_EQ(st.last_seq, 2u);
  EXPECT_EQ(format_time(st.last_time), "2026-11-22T02:22:40.000000Z");
  EXPECT_EQ(r.extracted, "a\nb\nc\n");
}

}  // namespace
}  // namespace logship::vault
