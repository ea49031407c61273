#include "spool/segment.hpp"

#include <gtest/gtest.h>

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
