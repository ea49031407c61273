#include "vault/batch_builder.hpp"

#include <gtest/gtest.h>

#include "vault/key_file.hpp"
#include "vault/line_splitter.hpp"
#include "vault_fixture.hpp"

namespace logship::vault {
namespace {

using testing::at;
using testing::test_key;

BatchHeader header(VaultTime t) {
  return BatchHeader{"web1", "auth", t, 0, {}};
}

TEST(BatchBuilder, EscapesMarksPartsAndCounts) {
  auto state = SealState::initial(test_key());
  auto b = BatchBuilder::open(state, header(at(0)));
  ASSERT_TRUE(b);
  std::string out;
  ASSERT_TRUE(b->add("plain", LineEnd::newline, out));
  ASSERT_TRUE(b->add("@logship end seq=0", LineEnd::newline, out));
  ASSERT_TRUE(b->add("@logship x", LineEnd::none, out));
  ASSERT_TRUE(b->add("", LineEnd::newline, out));
  EXPECT_EQ(out, "plain\n@@logship end seq=0\n@logship part @logship x\n\n");
  EXPECT_EQ(b->lines(), 4u);
  EXPECT_EQ(b->bytes(), out.size());
  EXPECT_FALSE(b->add("two\nlines", LineEnd::newline, out));
}

TEST(BatchBuilder, DeterministicAndSealedWithTheStateKey) {
  auto s1 = SealState::initial(test_key());
  auto s2 = SealState::initial(test_key());
  auto build = [](SealState& s) {
    auto b = BatchBuilder::open(s, header(at(1)));
    std::string out = b->begin_line();
    EXPECT_TRUE(b->add("x", LineEnd::newline, out));
    auto sealed = b->seal(s);
    return out + sealed->end_line;
  };
  EXPECT_EQ(build(s1), build(s2));
  auto other = test_key();
  other[0] ^= 1;
  auto s3 = SealState::initial(other);
  EXPECT_NE(build(s1), build(s3)) << "the MAC depends on the key";
}

TEST(BatchBuilder, AddAllEqualsAddOneByOne) {
  std::vector<std::string> texts = {"plain", "@logship end seq=0", "@logship x", "", "two\nlines"};
  for (int i = 0; i < 40; ++i)
    texts.push_back(std::string(static_cast<std::size_t>(i * 37), 'a' + i % 26));
  std::vector<BatchBuilder::Piece> pieces;
  for (std::size_t i = 0; i < texts.size(); ++i)
    pieces.push_back({texts[i], i % 3 == 2 ? LineEnd::none : LineEnd::newline});
  auto s1 = SealState::initial(test_key());
  auto s2 = SealState::initial(test_key());
  auto one = BatchBuilder::open(s1, header(at(2)));
  auto all = BatchBuilder::open(s2, header(at(2)));
  std::string out1 = one->begin_line(), out2 = all->begin_line();
  for (const auto& p : pieces) (void)one->add(p.bytes, p.end, out1);
  EXPECT_FALSE(all->add_all(std::span(pieces).first(7), out2)) << "the piece with a newline";
  EXPECT_TRUE(all->add_all(std::span(pieces).subspan(7), out2));
  EXPECT_EQ(out2, out1) << "the same lines, the piece with a newline left out";
  EXPECT_EQ(all->lines(), one->lines());
  EXPECT_EQ(all->seal(s2)->end_line, one->seal(s1)->end_line) << "the same digest, chain, MAC";
}

TEST(BatchBuilder, RejectsBadHeaderAndMisuse) {
  auto state = SealState::initial(test_key());
  EXPECT_FALSE(BatchBuilder::open(state, BatchHeader{"", "auth", at(0), 0, {}}));
  EXPECT_FALSE(BatchBuilder::open(state, BatchHeader{"a", "b", at(0), 0, {{"seq", "1"}}}));
  auto b = BatchBuilder::open(state, header(at(0)));
  auto later = SealState::initial(test_key());
  SealedBatch fake;
  ASSERT_TRUE(later.commit(fake));
  EXPECT_FALSE(b->seal(later)) << "sealing with the state of another seq";
  ASSERT_TRUE(b->seal(state));
  EXPECT_FALSE(b->seal(state)) << "sealed twice";
}

TEST(SealState, CommitEvolvesKeyAndChain) {
  auto state = SealState::initial(test_key());
  auto b = BatchBuilder::open(state, header(at(0)));
  auto sealed = b->seal(state);
  ASSERT_TRUE(sealed);
  SealedBatch wrong = *sealed;
  wrong.seq = 5;
  EXPECT_FALSE(state.commit(wrong));
  ASSERT_TRUE(state.commit(*sealed));
  EXPECT_EQ(state.seq(), 1u);
  EXPECT_EQ(state.prev(), sealed->chain);
  EXPECT_EQ(state.key(), next_key(test_key()));
  KeySchedule ks(test_key());
  EXPECT_EQ(ks.key_for(1, 10), state.key());
  EXPECT_FALSE(ks.key_for(100, 10)) << "step limit";
}

TEST(SealState, PersistRestoreAndRejectDamage) {
  auto state = SealState::initial(test_key());
  auto b = BatchBuilder::open(state, header(at(0)));
  ASSERT_TRUE(state.commit(*b->seal(state)));
  const auto text = state.persist();
  auto back = SealState::restore(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->seq(), state.seq());
  EXPECT_EQ(back->prev(), state.prev());
  EXPECT_EQ(back->key(), state.key());
  std::string damaged = text;
  damaged[20] = damaged[20] == '1' ? '2' : '1';
  EXPECT_FALSE(SealState::restore(damaged));
  EXPECT_FALSE(SealState::restore("logship-seal v2 " + text.substr(16)));
}

TEST(KeyFile, FormatParseWrite) {
  const auto text = format_key_file(test_key(), "K0 of web1/auth\nkeep it off the host");
  EXPECT_EQ(text,
            "# K0 of web1/auth\n# keep it off the host\nlogship-key v1 "
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
  EXPECT_EQ(parse_key_file(text).value(), test_key());
  EXPECT_FALSE(parse_key_file("# only a comment\n"));
  EXPECT_FALSE(parse_key_file(text + text));
  EXPECT_FALSE(parse_key_file("logship-key v1 00\n"));
  EXPECT_FALSE(parse_key_file("logship-key v2 " + std::string(64, '0') + "\n"));
  testing::TempDir dir;
  const auto path = dir.path() / "k";
  ASSERT_TRUE(write_key_file(path, test_key(), "test"));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(read_key_file(path).value(), test_key());
  EXPECT_FALSE(write_key_file(path, test_key(), "again")) << "never overwrites";
  EXPECT_FALSE(read_key_file(dir.path() / "missing"));
  auto k1 = generate_key(), k2 = generate_key();
  ASSERT_TRUE(k1 && k2);
  EXPECT_NE(*k1, *k2);
}

TEST(LineSplitter, SplitsLongLinesAndFlushesTheTail) {
  std::vector<std::pair<std::string, LineEnd>> got;
  auto emit = [&](std::string_view p, LineEnd e) { got.emplace_back(std::string(p), e); };
  LineSplitter s(4);
  s.feed("ab", emit);
  s.feed("cd\nabcdefghij\n\nxy", emit);
  s.flush(emit);
  const std::vector<std::pair<std::string, LineEnd>> want = {
      {"abcd", LineEnd::newline}, {"abcd", LineEnd::none}, {"efgh", LineEnd::none},
      {"ij", LineEnd::newline},   {"", LineEnd::newline},  {"xy", LineEnd::none}};
  EXPECT_EQ(got, want);
  got.clear();
  s.flush(emit);
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace logship::vault
