#include "vault/verifier.hpp"

#include <gtest/gtest.h>

#include "vault/control_line.hpp"
#include "vault/hashing.hpp"
#include "vault_fixture.hpp"

namespace logship::vault {
namespace {

using testing::at;
using testing::lines;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& l) {
  std::string out;
  for (const auto& s : l) out += s + "\n";
  return out;
}

// Four batches of one stream, as separate strings, and the sender after them.
struct Clean {
  testing::Sender sender;
  std::vector<std::string> batch;
  Clean() {
    batch.push_back(
        sender.next(lines({"Nov 22 02:20:40 web1 sshd[1]: session opened", "x"}), at(0)));
    batch.push_back(sender.next(
        lines({"Nov 22 02:21:40 web1 sudo: alice : COMMAND=/bin/sh", "@logship end seq=1 lines=1"}),
        at(60)));
    batch.push_back(sender.next({}, at(120)));
    batch.push_back(sender.next(lines({"last words"}), at(180)));
  }
  std::string all() const {
    std::string s;
    for (const auto& b : batch) s += b;
    return s;
  }
};

TEST(Tamper, CleanFileHasNoFindings) {
  Clean c;
  auto r = testing::verify({c.all()});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_TRUE(r.infos.empty()) << r.dump();
}

TEST(Tamper, DeletedPayloadLine) {
  Clean c;
  auto l = split_lines(c.all());
  l.erase(l.begin() + 2);  // second payload line of batch 0
  auto r = testing::verify({join(l)});
  EXPECT_TRUE(r.has(FindingKind::bad_end_line)) << r.dump();
}

TEST(Tamper, InsertedLine) {
  Clean c;
  auto l = split_lines(c.all());
  l.insert(l.begin() + 6, "Nov 22 02:21:41 web1 sshd[2]: innocent line");
  auto r = testing::verify({join(l)});
  EXPECT_TRUE(r.has(FindingKind::bad_end_line)) << r.dump();
}

TEST(Tamper, OneAlteredByteAnywhereIsDetected) {
  Clean c;
  const auto text = c.all();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') continue;
    std::string t = text;
    t[i] = t[i] == 'x' ? 'y' : 'x';
    auto r = testing::verify({t});
    EXPECT_FALSE(r.findings.empty()) << "byte " << i << " altered: " << t.substr(i, 20);
  }
}

TEST(Tamper, AlteredPayloadIsAChainBreak) {
  Clean c;
  auto t = c.all();
  t.replace(t.find("alice"), 5, "bobby");
  auto r = testing::verify({t});
  EXPECT_EQ(r.count(FindingKind::chain_break), 1u) << r.dump();
  EXPECT_EQ(r.findings.size(), 1u) << r.dump();
}

TEST(Tamper, SwappedBatches) {
  Clean c;
  auto r = testing::verify({c.batch[0] + c.batch[2] + c.batch[1] + c.batch[3]});
  EXPECT_TRUE(r.has(FindingKind::sequence_gap)) << r.dump();
  EXPECT_TRUE(r.has(FindingKind::sequence_backwards)) << r.dump();
}

TEST(Tamper, DroppedBatch) {
  Clean c;
  auto r = testing::verify({c.batch[0] + c.batch[1] + c.batch[3]});
  EXPECT_EQ(r.count(FindingKind::sequence_gap), 1u) << r.dump();
}

TEST(Tamper, CutTailNeedsExpectSeq) {
  Clean c;
  const auto cut = c.batch[0] + c.batch[1] + c.batch[2];
  EXPECT_TRUE(testing::verify({cut}).findings.empty()) << "undetectable without --expect-seq";
  auto opt = testing::keyed();
  opt.expect_seq = 3;
  EXPECT_TRUE(testing::verify({c.all()}, opt).findings.empty());
  auto r = testing::verify({cut}, opt);
  EXPECT_EQ(r.count(FindingKind::tail_short), 1u) << r.dump();
  EXPECT_FALSE(r.summary.ok());
}

TEST(Tamper, ResealedWithALaterKeyFailsTheMac) {
  // An intruder at seq 3 holds K_3 only. They rewrite batch 1 with new content, a correct
  // chain, and a MAC made with K_3 (claiming seq 1): the verifier derives K_1 itself.
  Clean c;
  KeySchedule ks(testing::test_key());
  const auto k3 = *ks.key_for(3, 10);
  auto begin0 = split_lines(c.batch[1])[0];
  const auto prev = parse_begin(begin0)->prev;
  auto forged_state = SealState::restore([&] {
    // a seal-state record for seq 1 holding K_3
    auto text = "logship-seal v1 seq=1 prev=" + crypto::to_hex(prev) + " key=" + crypto::to_hex(k3);
    return text + " check=" + crypto::to_hex(crypto::sha256(text)).substr(0, 16);
  }());
  ASSERT_TRUE(forged_state) << forged_state.error().message;
  auto b = BatchBuilder::open(*forged_state, BatchHeader{"web1", "auth", at(60), 0, {}});
  std::string forged = b->begin_line();
  ASSERT_TRUE(b->add("Nov 22 02:21:40 web1 sudo: nothing happened", LineEnd::newline, forged));
  ASSERT_TRUE(b->add("@logship end seq=1 lines=1", LineEnd::newline, forged));
  forged += b->seal(*forged_state)->end_line;
  auto r = testing::verify({c.batch[0] + forged + c.batch[2] + c.batch[3]});
  EXPECT_TRUE(r.has(FindingKind::mac_failure)) << r.dump();
  EXPECT_EQ(r.findings.front().line, 5u) << r.dump();
}

// A seal-state record (what SealState::persist writes) for any seq, prev and key.
SealState state_at(std::uint64_t seq, const crypto::Digest& prev, const crypto::Digest& key) {
  auto text = "logship-seal v1 seq=" + std::to_string(seq) + " prev=" + crypto::to_hex(prev) +
              " key=" + crypto::to_hex(key);
  return std::move(
      SealState::restore(text + " check=" + crypto::to_hex(crypto::sha256(text)).substr(0, 16))
          .value());
}

// A batch forged at seq `seq` (with some key: its MAC cannot verify), chained to nothing.
std::string forged_at(std::uint64_t seq) {
  crypto::Digest key{};
  key[0] = 7;
  auto state = state_at(seq, crypto::Digest{}, key);
  auto b = BatchBuilder::open(state, BatchHeader{"web1", "auth", at(90), 0, {}});
  std::string out = b->begin_line();
  EXPECT_TRUE(b->add("forged", LineEnd::newline, out));
  return out + b->seal(state)->end_line;
}

// A forged seq far ahead must not make the verifier derive keys for minutes: what the whole
// run spends is bounded by --max-key-steps plus one per batch, and honest batches after it,
// at any seq, are still checked.
TEST(Tamper, AForgedHugeSeqCostsBoundedKeyDerivation) {
  Clean c;
  auto opt = testing::keyed();
  opt.max_key_steps = 100'000;
  auto r = testing::verify({c.batch[0] + c.batch[1] + forged_at(999'999'999) + forged_at(50'000) +
                            forged_at(999'999'998) + c.batch[2] + c.batch[3]},
                           opt);
  EXPECT_EQ(r.count(FindingKind::mac_unchecked), 2u) << r.dump();
  EXPECT_EQ(r.count(FindingKind::mac_failure), 1u) << r.dump();  // seq 50000: checked
  for (const auto& f : r.findings) {
    if (f.kind != FindingKind::mac_unchecked) continue;
    EXPECT_NE(f.message.find("raise --max-key-steps"), std::string::npos) << f.message;
  }
  // Batches 2 and 3, after the forged ones (sequence-backwards), verify with their keys.
  for (const auto& f : r.findings) EXPECT_NE(f.line, 13u) << r.dump();
  // With the default bound, the seq of the issue costs nothing (it used to take minutes).
  r = testing::verify({c.batch[0] + forged_at(999'999'999) + forged_at(999'999'999)});
  EXPECT_EQ(r.count(FindingKind::mac_unchecked), 2u) << r.dump();
}

// Going back to an earlier seq restarts from a checkpoint, never from K_0, and every key is
// the one the plain evolution gives.
TEST(Tamper, KeyScheduleGoesBackFromCheckpoints) {
  constexpr auto kE = KeySchedule::kCheckpointEvery;
  std::vector<crypto::Digest> plain{testing::test_key()};
  for (std::uint64_t i = 1; i <= 3 * kE + 10; ++i) plain.push_back(next_key(plain.back()));
  KeySchedule ks(testing::test_key());
  EXPECT_EQ(ks.key_for(3 * kE + 10, 3 * kE + 10), plain[3 * kE + 10]);
  for (std::uint64_t seq :
       {std::uint64_t{5}, 2 * kE + 1, kE, kE - 1, 3 * kE + 9, std::uint64_t{0}}) {
    EXPECT_LE(ks.steps_to(seq), kE) << seq;
    EXPECT_EQ(ks.key_for(seq, kE), plain[seq]) << seq;
  }
  EXPECT_EQ(ks.steps_to(3 * kE + 10 + 1000), 1000u + 10u);  // from the checkpoint at 3E
  EXPECT_FALSE(ks.key_for(10 * kE, kE)) << "step limit";
}

TEST(Tamper, SplicedBatchWithAnotherPrevIsAChainBreakAtItsBeginLine) {
  // Properly sealed with the right key, but chained to something else than batch 0.
  Clean c;
  KeySchedule ks(testing::test_key());
  crypto::Digest other_prev{};
  other_prev[7] = 7;
  auto state = state_at(1, other_prev, *ks.key_for(1, 10));
  auto b = BatchBuilder::open(state, BatchHeader{"web1", "auth", at(60), 0, {}});
  std::string spliced = b->begin_line();
  ASSERT_TRUE(b->add("from another chain", LineEnd::newline, spliced));
  spliced += b->seal(state)->end_line;
  auto r = testing::verify({c.batch[0] + spliced});
  ASSERT_EQ(r.findings.size(), 1u) << r.dump();
  EXPECT_EQ(r.findings[0].kind, FindingKind::chain_break);
  EXPECT_EQ(r.findings[0].line, 5u);
  // The same at seq 0: prev must be zero.
  auto state0 = state_at(0, other_prev, testing::test_key());
  auto b0 = BatchBuilder::open(state0, BatchHeader{"web1", "auth", at(0), 0, {}});
  auto first = b0->begin_line() + b0->seal(state0)->end_line;
  r = testing::verify({first});
  EXPECT_EQ(r.count(FindingKind::chain_break), 1u) << r.dump();
}

TEST(Tamper, ChangedDroppedCount) {
  Clean c;
  auto t = c.all();
  const auto at_ = t.find("dropped=0", t.find("seq=2"));
  t.replace(at_, 9, "dropped=5");
  auto r = testing::verify({t});
  EXPECT_TRUE(r.has(FindingKind::chain_break)) << r.dump();
}

TEST(Tamper, ForgedBatchWithRecomputedChainButNoKey) {
  Clean c;
  // The forger knows the previous chain value (it is in the file) but not K_4.
  auto forged_state = SealState::restore([&] {
    auto text = "logship-seal v1 seq=4 prev=" +
                split_lines(c.batch[3])
                    .back()
                    .substr(split_lines(c.batch[3]).back().find("chain=") + 6, 64) +
                " key=" + std::string(64, '7');
    return text + " check=" + crypto::to_hex(crypto::sha256(text)).substr(0, 16);
  }());
  ASSERT_TRUE(forged_state);
  auto b = BatchBuilder::open(*forged_state, BatchHeader{"web1", "auth", at(240), 0, {}});
  std::string forged = b->begin_line();
  ASSERT_TRUE(b->add("all is well", LineEnd::newline, forged));
  forged += b->seal(*forged_state)->end_line;
  auto r = testing::verify({c.all() + forged});
  EXPECT_EQ(r.count(FindingKind::mac_failure), 1u) << r.dump();
  EXPECT_FALSE(r.has(FindingKind::chain_break)) << "the chain itself is consistent";
  VerifyOptions unkeyed;
  EXPECT_TRUE(testing::verify({c.all() + forged}, unkeyed).findings.empty())
      << "without the key a consistent forgery cannot be told apart (documented)";
}

TEST(Tamper, WrongKeyFailsEveryMac) {
  Clean c;
  auto opt = testing::keyed();
  (*opt.key)[5] ^= 0x10;
  auto r = testing::verify({c.all()}, opt);
  EXPECT_EQ(r.count(FindingKind::mac_failure), 4u) << r.dump();
}

TEST(Tamper, StrayLinesAndEmptySeparators) {
  Clean c;
  auto r = testing::verify({"\n\n" + c.batch[0] + "\n" + c.batch[1] + "oops\nmore\n" + c.batch[2] +
                            "@logship end seq=9 lines=0 bytes=0\n" + c.batch[3]});
  EXPECT_EQ(r.count(FindingKind::stray_line), 2u) << r.dump();
  EXPECT_EQ(r.findings.size(), 2u) << r.dump();
}

TEST(Tamper, DroppedLinesAreReported) {
  testing::Sender s;
  auto v = s.next(lines({"a"}), at(0));
  v += s.next(lines({"b"}), at(1), 17);
  auto r = testing::verify({v});
  ASSERT_EQ(r.count(FindingKind::dropped), 1u) << r.dump();
  EXPECT_NE(r.findings[0].message.find("17"), std::string::npos);
  EXPECT_EQ(r.findings[0].line, 4u);
  EXPECT_EQ(r.summary.streams[0].dropped, 17u);
}

}  // namespace
}  // namespace logship::vault
