#include "vault/line_reader.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "util/files.hpp"
#include "vault_fixture.hpp"

namespace logship::vault {
namespace {

struct Got {
  std::string bytes;
  std::uint64_t number, offset;
  bool terminated, too_long;
};

std::vector<Got> read_all(const std::string& content, std::size_t max_line, std::uint64_t begin = 0,
                          std::uint64_t end = UINT64_MAX) {
  testing::TempDir dir;
  const auto p = dir.write("f", content);
  UniqueFd fd(::open(p.c_str(), O_RDONLY));
  LineReader r(fd.get(), max_line, begin, end);
  std::vector<Got> out;
  Line l;
  while (true) {
    auto more = r.next(l);
    EXPECT_TRUE(more);
    if (!more || !*more) break;
    out.push_back({std::string(l.bytes), l.number, l.offset, l.terminated, l.too_long});
  }
  return out;
}

TEST(LineReader, LinesOffsetsAndUnterminatedTail) {
  using namespace std::string_literals;
  auto got = read_all("a\n\nbc\r\n\0x\ntail"s, 100);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].bytes, "a");
  EXPECT_EQ(got[1].bytes, "");
  EXPECT_EQ(got[2].bytes, "bc\r");
  EXPECT_EQ(got[2].offset, 3u);
  EXPECT_EQ(got[3].bytes, "\0x"s);
  EXPECT_EQ(got[4].bytes, "tail");
  EXPECT_FALSE(got[4].terminated);
  EXPECT_EQ(got[4].number, 5u);
  EXPECT_TRUE(read_all("", 10).empty());
}

TEST(LineReader, LinesLongerThanTheReadBuffer) {
  const std::string big(3 * kReadChunk + 17, 'z');
  auto got = read_all("x\n" + big + "\ny\n" + big, 8 << 20);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1].bytes, big);
  EXPECT_EQ(got[2].bytes, "y");
  EXPECT_EQ(got[2].offset, 2 + big.size() + 1);
  EXPECT_EQ(got[3].bytes, big);
  EXPECT_FALSE(got[3].terminated);
}

TEST(LineReader, TooLongLinesAreFlaggedAndSkipped) {
  const std::string big(2 * kReadChunk, 'q');
  auto got = read_all("a\n" + big + "\nb\n" + std::string(50, 'r') + "\nc", 40);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_TRUE(got[1].too_long);
  EXPECT_EQ(got[1].bytes.size(), 40u);
  EXPECT_EQ(got[2].bytes, "b");
  EXPECT_EQ(got[2].number, 3u);
  EXPECT_TRUE(got[3].too_long);
  EXPECT_EQ(got[4].bytes, "c");
}

TEST(LineReader, ReadsARange) {
  auto got = read_all("aa\nbb\ncc\ndd\n", 10, 3, 9);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].bytes, "bb");
  EXPECT_EQ(got[0].offset, 3u);
  EXPECT_EQ(got[1].bytes, "cc");
}

}  // namespace
}  // namespace logship::vault
