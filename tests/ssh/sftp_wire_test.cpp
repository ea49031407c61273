#include "ssh/sftp_wire.hpp"

#include <gtest/gtest.h>

namespace logship::ssh::sftp {
namespace {

std::string frame(std::string body) {
  const auto n = static_cast<std::uint32_t>(body.size());
  std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                  static_cast<char>(n)};
  return out + body;
}

TEST(SftpWire, ReadRequestLayout) {
  const std::string p = encode_read(0x01020304, "h", 0x0000000500000006ull, 0x10000);
  const std::string want =
      frame(std::string("\x05\x01\x02\x03\x04", 5) + std::string("\0\0\0\x01h", 5) +
            std::string("\0\0\0\x05\0\0\0\x06", 8) + std::string("\0\x01\0\0", 4));
  EXPECT_EQ(p, want);
}

TEST(SftpWire, RepliesAreSplitFromAStreamAndIncompleteOnesWait) {
  const std::string stream = frame(std::string("\x67\0\0\0\x07\0\0\0\x03"
                                               "abc",
                                               12)) +
                             frame(std::string("\x65\0\0\0\x08\0\0\0\x01", 9));
  bool bad = false;
  std::size_t used = 99;
  EXPECT_FALSE(take_reply(std::string_view(stream).substr(0, 10), used, bad));
  EXPECT_FALSE(bad);
  EXPECT_EQ(used, 0u);
  auto data = take_reply(stream, used, bad);
  ASSERT_TRUE(data);
  EXPECT_EQ(used, 16u);
  EXPECT_EQ(data->type, Type::data);
  EXPECT_EQ(data->id, 7u);
  std::string bytes;
  ASSERT_TRUE(parse_string(data->body, bytes));
  EXPECT_EQ(bytes, "abc");
  std::string_view view;
  ASSERT_TRUE(parse_string(data->body, view));
  EXPECT_EQ(view, "abc");
  const std::size_t first = used;
  auto status = take_reply(std::string_view(stream).substr(first), used, bad);
  ASSERT_TRUE(status);
  Code code{};
  std::string message;
  ASSERT_TRUE(parse_status(status->body, code, message));
  EXPECT_EQ(code, Code::eof);
  EXPECT_EQ(first + used, stream.size());
  EXPECT_FALSE(take_reply(std::string_view(stream).substr(first + used), used, bad));
  EXPECT_FALSE(bad);
}

TEST(SftpWire, OversizedOrTruncatedFramesAreRejected) {
  const std::string huge = std::string("\x7f\0\0\0", 4) + "x";
  bool bad = false;
  std::size_t used = 0;
  EXPECT_FALSE(take_reply(huge, used, bad));
  EXPECT_TRUE(bad);
  WireAttrs a;
  EXPECT_FALSE(parse_attrs(std::string("\0\0\0\x01\0\0", 6), a));  // size flag, 2 of 8 bytes
  std::string s;
  EXPECT_FALSE(parse_string(std::string("\0\0\0\x09"
                                        "abc",
                                        7),
                            s));
}

TEST(SftpWire, AttrsWithAllFields) {
  const std::string body = std::string("\x80\0\0\x0f", 4) +                      // flags
                           std::string("\0\0\0\0\0\0\x01\0", 8) +                // size 256
                           std::string("\0\0\0\x01\0\0\0\x02", 8) +              // uid gid
                           std::string("\0\0\x81\xa4", 4) +                      // 0100644
                           std::string("\0\0\0\x03\0\0\0\x04", 8) +              // atime mtime
                           std::string("\0\0\0\x01\0\0\0\x01k\0\0\0\x01v", 14);  // 1 extension
  WireAttrs a;
  ASSERT_TRUE(parse_attrs(body, a));
  EXPECT_EQ(a.size, 256u);
  EXPECT_EQ(a.permissions, 0100644u);
  EXPECT_EQ(a.mtime, 4u);
}

}  // namespace
}  // namespace logship::ssh::sftp
