#include "vault/line_splitter.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace logship::vault {
namespace {

struct Piece {
  std::string bytes;
  bool partial;
  bool operator==(const Piece&) const = default;
};

std::vector<Piece> split(const std::vector<std::string>& reads, std::size_t max, bool finish) {
  std::vector<Piece> out;
  LineSplitter s(max);
  const LineSplitter::Emit emit = [&](std::string_view l, LineEnd e) {
    out.push_back({std::string(l), e == LineEnd::none});
  };
  for (const auto& r : reads) s.feed(r, emit);
  if (finish) s.flush(emit);
  return out;
}

TEST(LineSplitter, Table) {
  struct Case {
    const char* name;
    std::vector<std::string> reads;
    std::size_t max;
    bool finish;
    std::vector<Piece> want;
  };
  const std::vector<Case> cases = {
      {"two lines in one read", {"a\nbb\n"}, 10, false, {{"a", false}, {"bb", false}}},
      {"line split across reads",
       {"hel", "lo\nwor", "ld\n"},
       10,
       false,
       {{"hello", false}, {"world", false}}},
      {"empty lines", {"\n\n"}, 10, false, {{"", false}, {"", false}}},
      {"no final newline, finished", {"abc"}, 10, true, {{"abc", true}}},
      {"no final newline, not finished", {"abc"}, 10, false, {}},
      {"exactly the maximum", {"abcd\n"}, 4, false, {{"abcd", false}}},
      {"one over the maximum", {"abcde\n"}, 4, false, {{"abcd", true}, {"e", false}}},
      {"long line across reads",
       {"ab", "cdef", "ghij\n"},
       4,
       false,
       {{"abcd", true}, {"efgh", true}, {"ij", false}}},
      {"maximum then newline in next read", {"abcd", "\n"}, 4, false, {{"abcd", false}}},
      {"maximum then more", {"abcd", "e\n"}, 4, false, {{"abcd", true}, {"e", false}}},
      {"binary bytes",
       {std::string("a\0b\r\xff\n", 6)},
       10,
       false,
       {{std::string("a\0b\r\xff", 5), false}}},
      {"CR is not a line end", {"a\rb\n"}, 10, false, {{"a\rb", false}}},
  };
  for (const auto& c : cases) EXPECT_EQ(split(c.reads, c.max, c.finish), c.want) << c.name;
}

TEST(LineSplitter, RandomReadBoundariesReproduceTheStream) {
  std::mt19937 rng(42);
  std::string stream;
  for (int i = 0; i < 2000; ++i) {
    std::string line(rng() % 300, '\0');
    for (auto& ch : line) {
      ch = static_cast<char>(rng());
      if (ch == '\n') ch = 'n';
    }
    stream += line;
    stream += '\n';
  }
  stream += "tail without newline";
  std::vector<std::string> reads;
  for (size_t pos = 0; pos < stream.size();) {
    size_t n = 1 + rng() % 700;
    reads.push_back(stream.substr(pos, n));
    pos += n;
  }
  std::string rebuilt;
  for (const auto& p : split(reads, 100, true)) {
    EXPECT_LE(p.bytes.size(), 100u);
    rebuilt += p.bytes;
    if (!p.partial) rebuilt += '\n';
  }
  EXPECT_EQ(rebuilt, stream);
}

}  // namespace
}  // namespace logship::vault
