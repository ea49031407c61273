#include "ssh/reply_buffer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace logship::ssh {
namespace {

using sftp::Type;

std::string u32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// A reply frame: length, type, id (none for VERSION), body.
std::string frame(Type type, std::uint32_t id, const std::string& body) {
  std::string inner(1, static_cast<char>(type));
  if (type != Type::version) inner += u32(id);
  inner += body;
  return u32(static_cast<std::uint32_t>(inner.size())) + inner;
}

struct Seen {
  Type type;
  std::uint32_t id;
  std::string body;
  bool operator==(const Seen&) const = default;
};

// Replies of several kinds and sizes, the DATA bodies distinct byte patterns.
std::vector<Seen> sample_replies() {
  std::vector<Seen> r;
  r.push_back({Type::version, 0, u32(3)});
  r.push_back({Type::data, 1, u32(0)});  // an empty DATA
  for (std::uint32_t i = 2; i < 12; ++i) {
    std::string bytes;
    for (std::uint32_t k = 0; k < i * 37; ++k) bytes += static_cast<char>('a' + (k * i) % 26);
    r.push_back({Type::data, i, u32(static_cast<std::uint32_t>(bytes.size())) + bytes});
  }
  r.push_back({Type::status, 12, u32(1) + u32(3) + "EOF" + u32(0)});
  r.push_back({Type::attrs, 13, u32(1) + std::string(8, '\x07')});
  return r;
}

std::string stream_of(const std::vector<Seen>& replies) {
  std::string s;
  for (const auto& r : replies) s += frame(r.type, r.id, r.body);
  return s;
}

// Takes every complete reply, copying it (its view dies at the next append or compact()).
void drain(ReplyBuffer& b, std::vector<Seen>& out) {
  bool bad = false;
  while (auto r = b.next(bad)) out.push_back({r->type, r->id, std::string(r->body)});
  ASSERT_FALSE(bad);
  b.compact();
}

TEST(ReplyBuffer, RepliesSplitAtEveryByteBoundaryComeOutWhole) {
  const auto want = sample_replies();
  const std::string stream = stream_of(want);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    ReplyBuffer b;
    std::vector<Seen> got;
    b.append(std::string_view(stream).substr(0, cut));
    drain(b, got);
    b.append(std::string_view(stream).substr(cut));
    drain(b, got);
    ASSERT_EQ(got, want) << "cut at " << cut;
    EXPECT_EQ(b.unread(), 0u);
  }
}

TEST(ReplyBuffer, OneByteAtATime) {
  const auto want = sample_replies();
  const std::string stream = stream_of(want);
  ReplyBuffer b;
  std::vector<Seen> got;
  for (char c : stream) {
    b.input().push_back(c);
    drain(b, got);
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(b.unread(), 0u);
}

TEST(ReplyBuffer, ManyRepliesInOneRead) {
  std::vector<Seen> want;
  for (std::uint32_t i = 1; i <= 5000; ++i)
    want.push_back({Type::data, i, u32(100) + std::string(100, static_cast<char>(i))});
  ReplyBuffer b;
  b.append(stream_of(want));
  std::vector<Seen> got;
  drain(b, got);
  EXPECT_EQ(got, want);
  EXPECT_EQ(b.unread(), 0u);
  EXPECT_EQ(b.moved(), 0u);  // all taken: dropped without moving anything
}

TEST(ReplyBuffer, AnIncompleteReplySurvivesCompaction) {
  // Far more than kCompactBytes taken, with a reply cut in half behind them: the compaction
  // moves only the half reply, which then completes.
  std::vector<Seen> first;
  for (std::uint32_t i = 1; i <= 40; ++i)
    first.push_back({Type::data, i, u32(10000) + std::string(10000, static_cast<char>('A' + i))});
  const Seen last{Type::data, 99, u32(9000) + std::string(9000, 'z')};
  const std::string tail = frame(last.type, last.id, last.body);
  ReplyBuffer b;
  b.append(stream_of(first) + tail.substr(0, 5000));
  std::vector<Seen> got;
  drain(b, got);
  EXPECT_EQ(got, first);
  EXPECT_EQ(b.unread(), 5000u);
  EXPECT_EQ(b.moved(), 5000u);
  b.append(std::string_view(tail).substr(5000));
  drain(b, got);
  ASSERT_EQ(got.size(), first.size() + 1);
  EXPECT_EQ(got.back(), last);
}

TEST(ReplyBuffer, EachByteIsMovedAtMostAboutOnce) {
  // A backlog of 31 DATA replies of 64 KiB (about a full pipeline) arrives at once, after half a
  // reply, and is taken one reply at a time with a compact() before each (as SftpSession::await
  // does), 64 times over: the bytes moved by compactions stay below those received. (Erasing
  // each reply from the front would move the rest of the backlog every time: about 16 times
  // what was received.)
  const std::string one = frame(Type::data, 7, u32(65536) + std::string(65536, 'x'));
  std::string backlog;
  for (int i = 0; i < 30; ++i) backlog += one;
  ReplyBuffer b;
  b.append(std::string_view(one).substr(0, one.size() / 2));
  std::uint64_t received = one.size() / 2, replies = 0;
  for (int round = 0; round < 64; ++round) {
    // (the first piece completes the half reply before it; the last leaves half of one)
    b.append(std::string_view(one).substr(one.size() / 2));
    b.append(backlog);
    b.append(std::string_view(one).substr(0, one.size() / 2));
    received += 31 * one.size();
    for (;;) {
      b.compact();
      bool bad = false;
      auto r = b.next(bad);
      ASSERT_FALSE(bad);
      if (!r) break;
      ASSERT_EQ(r->body.size(), 4u + 65536u);
      ASSERT_EQ(r->body.back(), 'x');
      ++replies;
    }
    EXPECT_LE(b.input().size(), 2 * backlog.size());
  }
  EXPECT_EQ(replies, 64u * 31u);
  EXPECT_EQ(b.unread(), one.size() / 2);
  EXPECT_LE(b.moved(), received);
}

TEST(ReplyBuffer, AMalformedFrameIsBad) {
  ReplyBuffer b;
  b.append(std::string("\0\0\0\0", 4));  // length 0: no type
  bool bad = false;
  EXPECT_FALSE(b.next(bad));
  EXPECT_TRUE(bad);
  ReplyBuffer huge;
  huge.append(u32(sftp::kMaxPacket + 1) + "x");
  EXPECT_FALSE(huge.next(bad));
  EXPECT_TRUE(bad);
}

}  // namespace
}  // namespace logship::ssh
