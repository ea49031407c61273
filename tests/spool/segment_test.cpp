#include "spool/segment.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "util/crc32c.hpp"

namespace logship::spool {
namespace {

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the CRC-32C check value
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);  // RFC 3720 B.4
  // Incremental equals one-shot, across the 8-byte fast path boundaries.
  std::string s = "The quick brown fox jumps over the lazy dog, twice over.";
  for (size_t cut = 0; cut <= s.size(); ++cut)
    EXPECT_EQ(crc32c(s.substr(cut), crc32c(s.substr(0, cut))), crc32c(s)) << cut;
}

TEST(Crc32c, ThreeAtOnceEqualOneAtATime) {
  std::string bytes(1024, '\0');
  std::uint32_t x = 12345;
  for (char& ch : bytes) ch = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
  const std::size_t lengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 63, 149, 150, 301, 700};
  std::size_t tried = 0;
  for (std::size_t la : lengths)
    for (std::size_t lb : lengths)
      for (std::size_t lc : {std::size_t{0}, std::size_t{9}, std::size_t{150}, std::size_t{301}}) {
        // Unaligned starts, different for each string.
        const std::string_view a = std::string_view(bytes).substr(1, la);
        const std::string_view b = std::string_view(bytes).substr(3 + la % 5, lb);
        const std::string_view c = std::string_view(bytes).substr(6, lc);
        std::uint32_t got[3];
        crc32c_x3(a, b, c, got);
        ASSERT_EQ(got[0], crc32c(a)) << la << " " << lb << " " << lc;
        ASSERT_EQ(got[1], crc32c(b)) << la << " " << lb << " " << lc;
        ASSERT_EQ(got[2], crc32c(c)) << la << " " << lb << " " << lc;
        ++tried;
      }
  EXPECT_EQ(tried, 16u * 16u * 4u);
}

TEST(Segment, HeaderRoundTripAndRejects) {
  auto h = encode_segment_header(123456789);
  ASSERT_EQ(h.size(), kSegmentHeaderSize);
  EXPECT_EQ(decode_segment_header(h), 123456789u);
  for (size_t i = 0; i < h.size(); ++i) {
    if (i >= 12 && i < 16) continue;  // reserved
    if (i >= 28) continue;            // reserved
    auto bad = h;
    bad[i] ^= 1;
    EXPECT_FALSE(decode_segment_header(bad)) << "flipped byte " << i;
  }
  EXPECT_FALSE(decode_segment_header(h.substr(0, 31)));
}

TEST(Segment, RecordRoundTripWithBinaryPayload) {
  std::string out;
  std::string payload("a\0b\r\n\xff\xfe", 7);
  encode_record(out, 42, true, payload);
  encode_record(out, 43, false, "");
  Record r;
  size_t n = 0;
  ASSERT_EQ(decode_record(out, r, n, true), Decode::ok);
  EXPECT_EQ(r.id, 42u);
  EXPECT_TRUE(r.partial);
  EXPECT_EQ(r.data, payload);
  ASSERT_EQ(decode_record(std::string_view(out).substr(n), r, n, true), Decode::ok);
  EXPECT_EQ(r.id, 43u);
  EXPECT_FALSE(r.partial);
  EXPECT_EQ(r.data, "");
}

// Records appended unsealed and sealed together carry each its own CRC (the single-stream one,
// over the header after the CRC field and the payload), for every count modulo three.
TEST(Segment, SealedRecordsEachCarryTheirOwnCrc) {
  for (std::size_t count = 0; count <= 8; ++count) {
    std::string out = "prefix";  // sealing starts where the records do
    std::vector<std::string> payloads;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t size = i * 37 % 200 + (i == 5 ? 3000 : 0);
      payloads.push_back(std::string(size, static_cast<char>('a' + i)));
      append_record(out, 100 + i, i % 2 == 1, payloads.back());
    }
    seal_records(std::span<char>(out).subspan(6));
    std::size_t pos = 6;
    for (std::size_t i = 0; i < count; ++i) {
      std::uint32_t stored = 0;
      std::memcpy(&stored, out.data() + pos, 4);
      const std::size_t size = kRecordHeaderSize + payloads[i].size();
      EXPECT_EQ(stored, crc32c(std::string_view(out).substr(pos + 4, size - 4)))
          << "record " << i << " of " << count;
      Record r;
      std::size_t n = 0;
      ASSERT_EQ(decode_record(std::string_view(out).substr(pos), r, n, true), Decode::ok);
      EXPECT_EQ(r.id, 100 + i);
      EXPECT_EQ(r.partial, i % 2 == 1);
      EXPECT_EQ(r.data, payloads[i]);
      pos += n;
    }
    EXPECT_EQ(pos, out.size());
    EXPECT_EQ(out.substr(0, 6), "prefix");
  }
}

TEST(Segment, TruncatedRecordNeedsMoreAndEveryFlippedBitIsCorrupt) {
  std::string out;
  encode_record(out, 7, false, "hello world");
  Record r;
  size_t n = 0;
  for (size_t len = 0; len < out.size(); ++len)
    EXPECT_EQ(decode_record(std::string_view(out).substr(0, len), r, n, false), Decode::need_more)
        << len;
  for (size_t i = 0; i < out.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = out;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      // A flipped length bit may make the record look longer: need_more is fine then.
      auto d = decode_record(bad, r, n, false);
      EXPECT_NE(d, Decode::ok) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(Segment, FileNamesSortAndParse) {
  EXPECT_EQ(segment_file_name(1), "00000000000000000001.seg");
  EXPECT_EQ(parse_segment_file_name("00000000000000000001.seg"), 1u);
  EXPECT_EQ(parse_segment_file_name(segment_file_name(18446744073709551615ull)),
            18446744073709551615ull);
  EXPECT_FALSE(parse_segment_file_name("0000000000000000001.seg"));
  EXPECT_FALSE(parse_segment_file_name("00000000000000000001.seg.bad"));
  EXPECT_FALSE(parse_segment_file_name("0000000000000000000x.seg"));
}

}  // namespace
}  // namespace logship::spool
