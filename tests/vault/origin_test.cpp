// Extraction drops repeats of remote bytes that batches name with fid= and off= (logship-pull
// after a crash: the same bytes written again in a later batch or a resent torn one).
#include "vault/extract.hpp"

#include <gtest/gtest.h>

#include "vault_fixture.hpp"

namespace logship::vault {
namespace {

using testing::at;
using testing::lines;

std::vector<Field> origin(const std::string& fid, std::uint64_t off) {
  return {{"file", "/var/log/auth.log"}, {"fid", fid}, {"off", std::to_string(off)}};
}

// Builds and commits one batch with an origin.
std::string batch(testing::Sender& s, const std::vector<testing::Piece>& pieces, long long t,
                  std::vector<Field> extra) {
  auto b = s.build(pieces, at(t), 0, std::move(extra));
  s.commit();
  return b;
}

TEST(Origin, OfBeginLineNeedsFidAndDecimalOff) {
  BeginLine b;
  b.src = "web1";
  b.stream = "auth";
  EXPECT_FALSE(Extractor::origin_of(b));
  b.extra = {{"fid", "00aa"}};
  EXPECT_FALSE(Extractor::origin_of(b));
  b.extra.push_back({"off", "x1"});
  EXPECT_FALSE(Extractor::origin_of(b));
  b.extra[1].value = "42";
  auto o = Extractor::origin_of(b);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->offset, 42u);
  b.stream = "other";
  EXPECT_NE(Extractor::origin_of(b)->key, o->key);  // per stream
}

TEST(Origin, LaterBatchRepeatingBytesExtractsOnlyTheNewOnes) {
  testing::Sender s;
  // "@logship x" is escaped in the vault: 11 remote bytes with its '\n'.
  std::string v = batch(s, lines({"one", "@logship x"}), 0, origin("a1", 0));
  v += batch(s, lines({"one", "@logship x", "three"}), 1, origin("a1", 0));
  v += batch(s, lines({"three", "four"}), 2, origin("a1", 15));
  auto r = testing::verify({v});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.extracted, "one\n@logship x\nthree\nfour\n");
}

TEST(Origin, FragmentThenWholeLineKeepsOnlyTheRest) {
  testing::Sender s;
  std::string v = batch(s, {{"abc", LineEnd::none}}, 0, origin("a1", 0));
  v += batch(s, lines({"abcdef", "g"}), 1, origin("a1", 0));
  auto r = testing::verify({v});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.extracted, "abcdef\ng\n");
}

TEST(Origin, TornBatchResentWithAnotherTimeIsExtractedOnce) {
  // A crash cut batch seq 1; the puller read the same bytes again and sealed them anew (another
  // time= on its begin line), so the torn copy is no prefix: a finding, but no repeated line.
  testing::Sender s;
  std::string v = batch(s, lines({"zero"}), 0, origin("a1", 0));
  const std::string torn = s.build(lines({"one", "two", "three"}), at(1), 0, origin("a1", 5));
  v += torn.substr(0, torn.find("three") + 2) + "\n";
  v += batch(s, lines({"one", "two", "three", "four"}), 2, origin("a1", 5));
  auto r = testing::verify({v});
  EXPECT_TRUE(r.has(FindingKind::torn_mismatch)) << r.dump();
  EXPECT_EQ(r.extracted, "zero\none\ntwo\nthree\nfour\n");
}

TEST(Origin, NeverCompletedTornBatchThenNextSeqRepeats) {
  testing::Sender s;
  std::string v = batch(s, lines({"zero"}), 0, origin("a1", 0));
  const std::string torn = s.build(lines({"one", "two"}), at(1), 0, origin("a1", 5));
  s.commit();  // (a sender that moved on: the torn copy is never completed)
  v += torn.substr(0, torn.find("two") + 1) + "\n";
  v += batch(s, lines({"one", "two"}), 2, origin("a1", 5));
  auto r = testing::verify({v});
  EXPECT_TRUE(r.has(FindingKind::torn_batch)) << r.dump();
  EXPECT_EQ(r.extracted, "zero\none\ntwo\n");
}

TEST(Origin, OtherFileGenerationsAndBatchesWithoutOriginAreKept) {
  testing::Sender s;
  std::string v = batch(s, lines({"same"}), 0, origin("a1", 0));
  v += batch(s, lines({"same"}), 1, origin("b2", 0));  // another file generation
  v += batch(s, lines({"same"}), 2, {});               // no origin (logship-push)
  v += batch(s, lines({"same"}), 3, {});
  v += batch(s, lines({"same"}), 4, {{"fid", "a1"}});  // no off=
  auto r = testing::verify({v});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.extracted, "same\nsame\nsame\nsame\nsame\n");
}

TEST(Origin, RepeatsAcrossFilesOfOneStream) {
  testing::Sender s;
  const std::string first = batch(s, lines({"a", "b"}), 0, origin("a1", 0));
  const std::string second = batch(s, lines({"b", "c"}), 1, origin("a1", 2));
  auto r = testing::verify({first, second});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.extracted, "a\nb\nc\n");
}

}  // namespace
}  // namespace logship::vault
