#include "vault/verifier.hpp"

#include <gtest/gtest.h>

#include "vault/redact.hpp"
#include "vault_fixture.hpp"

namespace logship::vault {
namespace {

using testing::at;
using testing::lines;

struct Three {
  testing::Sender sender;
  std::string b0, b1, b2;
  Three() {
    b0 = sender.next(lines({"zero a", "zero b"}), at(0));
    b1 = sender.next(lines({"one a", "", "one c with a longer line to cut in", "@logship x"}),
                     at(10));
    b2 = sender.next(lines({"two"}), at(20));
  }
  static constexpr const char* kPayload =
      "zero a\nzero b\none a\n\none c with a longer line to cut in\n@logship x\ntwo\n";
};

TEST(Resend, IdenticalResendIsTolerated) {
  Three t;
  auto r = testing::verify({t.b0 + t.b1 + "\n" + t.b1 + t.b2});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.summary.streams[0].duplicates, 1u);
  EXPECT_EQ(r.summary.streams[0].batches, 3u);
  EXPECT_EQ(r.extracted, Three::kPayload);
}

TEST(Resend, TornAtEveryByteThenResentIsAnInterruptedTransfer) {
  Three t;
  for (std::size_t cut = 0; cut <= t.b1.size(); ++cut) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes");
    auto r = testing::verify({t.b0 + t.b1.substr(0, cut) + "\n" + t.b1 + t.b2});
    EXPECT_TRUE(r.findings.empty()) << r.dump();
    EXPECT_EQ(r.extracted, Three::kPayload);
    const auto& st = r.summary.streams[0];
    if (cut > 0 && cut < t.b1.size() - 1) {
      EXPECT_EQ(st.interrupted, 1u) << r.dump();
    } else if (cut >= t.b1.size() - 1) {
      // Only the end line's '\n' (or nothing) was missing: the separator completes the first
      // copy, and the resend is an identical duplicate.
      EXPECT_EQ(st.duplicates, 1u) << r.dump();
    }
  }
}

TEST(Resend, TwoTornCopiesThenComplete) {
  Three t;
  auto r =
      testing::verify({t.b0 + t.b1.substr(0, 80) + "\n" + t.b1.substr(0, 30) + "\n" + t.b1 + t.b2});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.summary.streams[0].interrupted, 2u) << r.dump();
  EXPECT_EQ(r.extracted, Three::kPayload);
}

TEST(Resend, TornNeverCompletedIsAFindingAndItsCompleteLinesAreKept) {
  Three t;
  const auto cut = t.b1.find("one c");  // after "one a\n\n"
  // At the end of the last file, and begun shortly before the verifier's now, the batch may
  // still be open (a live file): info only, its complete lines kept.
  auto opt = testing::keyed();
  opt.now = at(10) + std::chrono::seconds(119);
  auto r = testing::verify({t.b0 + t.b1.substr(0, cut + 3)}, opt);
  EXPECT_EQ(r.count(FindingKind::torn_batch), 0u) << r.dump();
  EXPECT_EQ(r.count(FindingKind::open_batch), 1u) << r.dump();
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.extracted, "zero a\nzero b\none a\n\n");
  // Begun longer ago, or without a clock: torn, a finding at its begin line.
  opt.now = at(10) + std::chrono::seconds(121);
  for (const auto& o : {opt, testing::keyed()}) {
    r = testing::verify({t.b0 + t.b1.substr(0, cut + 3)}, o);
    EXPECT_EQ(r.count(FindingKind::torn_batch), 1u) << r.dump();
    EXPECT_EQ(r.count(FindingKind::open_batch), 0u) << r.dump();
    EXPECT_EQ(r.findings[0].line, 5u);
    EXPECT_EQ(r.extracted, "zero a\nzero b\none a\n\n");
  }
  // At the end of a file that another file follows, it is torn, however recent.
  opt.now = at(10);
  r = testing::verify({t.b0 + t.b1.substr(0, cut + 3), t.b2}, opt);
  EXPECT_EQ(r.count(FindingKind::torn_batch), 1u) << r.dump();
  EXPECT_EQ(r.count(FindingKind::open_batch), 0u) << r.dump();
  EXPECT_EQ(r.findings[0].line, 5u);
  EXPECT_EQ(r.extracted, "zero a\nzero b\none a\n\ntwo\n");
  // Followed by the next seq instead of a resend: still a finding, lines kept, in order.
  r = testing::verify({t.b0 + t.b1.substr(0, cut + 3) + "\n" + t.b2});
  EXPECT_EQ(r.count(FindingKind::torn_batch), 1u) << r.dump();
  EXPECT_TRUE(r.has(FindingKind::sequence_gap)) << r.dump();
  EXPECT_EQ(r.extracted, "zero a\nzero b\none a\n\ntwo\n");
}

TEST(Resend, TornCopyThatDiffersFromTheResendIsAFinding) {
  Three t;
  testing::Sender other;
  (void)other.next(lines({"zero a", "zero b"}), at(0));
  const auto evil = other.build(lines({"one A", "", "one c"}), at(10));
  auto r = testing::verify({t.b0 + evil.substr(0, evil.size() - 30) + "\n" + t.b1 + t.b2});
  EXPECT_EQ(r.count(FindingKind::torn_mismatch), 1u) << r.dump();
}

TEST(Resend, DifferentContentUnderTheSameSeq) {
  Three t;
  testing::Sender other;
  (void)other.next(lines({"zero a", "zero b"}), at(0));
  const auto alt = other.next(lines({"something else"}), at(10));
  auto r = testing::verify({t.b0 + t.b1 + alt + t.b2});
  EXPECT_EQ(r.count(FindingKind::sequence_repeat), 1u) << r.dump();
}

TEST(Resend, TornBeginLineResentIsInfoOnly) {
  Three t;
  auto r = testing::verify({t.b0 + t.b1.substr(0, 25) + "\n" + t.b1 + t.b2});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.count(FindingKind::interrupted_transfer), 1u) << r.dump();
  r = testing::verify({t.b0 + t.b1.substr(0, 25) + "\n"});
  EXPECT_EQ(r.count(FindingKind::stray_line), 1u) << "never resent: " << r.dump();
}

TEST(Resend, TornResendAcrossRotatedFiles) {
  Three t;
  auto r = testing::verify({t.b0 + t.b1.substr(0, 50), "\n" + t.b1 + t.b2});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.summary.streams[0].interrupted, 1u);
  EXPECT_EQ(r.extracted, Three::kPayload);
}

TEST(Files, MultipleFilesInOrder) {
  Three t;
  auto r = testing::verify({t.b0, t.b1, t.b2});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.summary.files.size(), 3u);
  EXPECT_EQ(r.extracted, Three::kPayload);
  r = testing::verify({t.b1 + t.b2, t.b0});
  EXPECT_TRUE(r.has(FindingKind::sequence_backwards)) << r.dump();
  EXPECT_EQ(r.findings[0].file.substr(r.findings[0].file.size() - 8), "f1.vault");
}

TEST(Files, MidStreamStartIsInfo) {
  Three t;
  auto r = testing::verify({t.b1 + t.b2});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_TRUE(r.has(FindingKind::mid_stream_start));
}

TEST(Streams, InterleavedStreamsVerifyIndependently) {
  testing::Sender a("web1", "auth"), b("web1", "kern"), c("db 1", "auth");
  std::string v;
  for (int i = 0; i < 5; ++i) {
    v += a.next(lines({"a" + std::to_string(i)}), at(i));
    v += b.next(lines({"b" + std::to_string(i)}), at(i));
    if (i % 2 == 0) v += c.next(lines({"c" + std::to_string(i)}), at(i));
  }
  auto r = testing::verify({v});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  ASSERT_EQ(r.summary.streams.size(), 3u);
  EXPECT_EQ(r.summary.streams[2].src, "db 1");
  EXPECT_EQ(r.summary.streams[2].last_seq, 2u);
}

TEST(Silence, GapsLongerThanMaxSilenceBetweenBatches) {
  testing::Sender s;
  std::string v = s.next({}, at(0));
  v += s.next({}, at(60));
  v += s.next({}, at(1000));
  v += s.next({}, at(1300));
  auto opt = testing::keyed();
  opt.max_silence = std::chrono::seconds(300);
  auto r = testing::verify({v}, opt);
  ASSERT_EQ(r.count(FindingKind::silence), 1u) << r.dump();
  EXPECT_EQ(r.findings[0].line, 5u);
  EXPECT_NE(r.findings[0].message.find("940 s"), std::string::npos) << r.dump();
  opt.max_silence = std::chrono::seconds(940);
  EXPECT_TRUE(testing::verify({v}, opt).findings.empty());
}

TEST(Redact, RedactedCopyVerifiesAndShowsTheMarker) {
  Three t;
  testing::TempDir dir;
  const auto in = dir.write("in.vault", t.b0 + t.b1 + t.b2);
  const auto out = dir.path() / "out.vault";
  auto pattern = Pattern::compile("^one (a|c)|logship x");
  ASSERT_TRUE(pattern);
  auto stats = redact_file(in, out, *pattern, 1 << 20);
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->redacted, 3u);
  EXPECT_EQ(testing::slurp(in), t.b0 + t.b1 + t.b2) << "input untouched";
  EXPECT_EQ(std::filesystem::status(out).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read);
  auto r = testing::verify({testing::slurp(out)});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.summary.streams[0].redacted, 3u);
  EXPECT_EQ(r.extracted.find("one a"), std::string::npos);
  EXPECT_NE(r.extracted.find("\n@logship redacted sha256="), std::string::npos) << r.extracted;
  EXPECT_NE(r.extracted.find("zero b\n"), std::string::npos);
  EXPECT_FALSE(redact_file(in, out, *pattern, 1 << 20)) << "never overwrites --out";
  EXPECT_FALSE(Pattern::compile("(unclosed"));
}

TEST(Redact, TamperingARedactedLineIsDetected) {
  Three t;
  testing::TempDir dir;
  const auto in = dir.write("in.vault", t.b0 + t.b1 + t.b2);
  auto pattern = Pattern::compile("zero a");
  ASSERT_TRUE(redact_file(in, dir.path() / "out", *pattern, 1 << 20));
  auto text = testing::slurp(dir.path() / "out");
  const auto at_ = text.find("sha256=") + 7;
  text[at_] = text[at_] == '0' ? '1' : '0';
  EXPECT_TRUE(testing::verify({text}).has(FindingKind::chain_break));
}

}  // namespace
}  // namespace logship::vault
