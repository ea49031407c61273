#include "vault/verifier.hpp"

#include <gtest/gtest.h>

#include <regex>

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

TEST(Resend, TornNeverCompletedIsAFindingAndItsLinesAreExtractedOnlyOnRequest) {
  Three t;
  const auto cut = t.b1.find("one c");  // after "one a\n\n"
  const std::string unsealed = "@logship unsealed-begin F:5 seq=1 ";
  // The marker names the file by its (temporary) path.
  const auto marked = [](const std::string& out) {
    return std::regex_replace(out, std::regex("unsealed-begin [^ ]*:"), "unsealed-begin F:");
  };
  // At the end of the last file, and begun shortly before the verifier's now, the batch may
  // still be open (a live file): info only; its lines are not sealed, so not extracted.
  auto opt = testing::keyed();
  opt.now = at(10) + std::chrono::seconds(119);
  auto r = testing::verify({t.b0 + t.b1.substr(0, cut + 3)}, opt);
  EXPECT_EQ(r.count(FindingKind::torn_batch), 0u) << r.dump();
  EXPECT_EQ(r.count(FindingKind::open_batch), 1u) << r.dump();
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.extracted, "zero a\nzero b\n");
  auto with = opt;
  with.extract_unsealed = true;
  r = testing::verify({t.b0 + t.b1.substr(0, cut + 3)}, with);
  EXPECT_EQ(marked(r.extracted),
            "zero a\nzero b\n" + unsealed + "open batch\none a\n\n@logship unsealed-end\n");
  // Begun longer ago, or without a clock: torn, a finding at its begin line.
  opt.now = at(10) + std::chrono::seconds(121);
  for (const auto& o : {opt, testing::keyed()}) {
    r = testing::verify({t.b0 + t.b1.substr(0, cut + 3)}, o);
    EXPECT_EQ(r.count(FindingKind::torn_batch), 1u) << r.dump();
    EXPECT_EQ(r.count(FindingKind::open_batch), 0u) << r.dump();
    EXPECT_EQ(r.findings[0].line, 5u);
    EXPECT_NE(r.findings[0].message.find("not extracted"), std::string::npos) << r.dump();
    EXPECT_EQ(r.extracted, "zero a\nzero b\n");
  }
  // At the end of a file that another file follows, it is torn, however recent.
  opt.now = at(10);
  r = testing::verify({t.b0 + t.b1.substr(0, cut + 3), t.b2}, opt);
  EXPECT_EQ(r.count(FindingKind::torn_batch), 1u) << r.dump();
  EXPECT_EQ(r.count(FindingKind::open_batch), 0u) << r.dump();
  EXPECT_EQ(r.findings[0].line, 5u);
  EXPECT_EQ(r.extracted, "zero a\nzero b\ntwo\n");
  // Followed by the next seq instead of a resend: still a finding; with --extract-unsealed
  // its lines come marked, in order.
  with.now.reset();
  r = testing::verify({t.b0 + t.b1.substr(0, cut + 3) + "\n" + t.b2}, with);
  EXPECT_EQ(r.count(FindingKind::torn_batch), 1u) << r.dump();
  EXPECT_TRUE(r.has(FindingKind::sequence_gap)) << r.dump();
  EXPECT_EQ(marked(r.extracted),
            "zero a\nzero b\n" + unsealed + "torn copy\none a\n\n@logship unsealed-end\ntwo\n");
}

TEST(Resend, TornCopyThatDiffersFromTheResendIsAFinding) {
  Three t;
  testing::Sender other;
  (void)other.next(lines({"zero a", "zero b"}), at(0));
  const auto evil = other.build(lines({"one A", "", "one c"}), at(10));
  auto r = testing::verify({t.b0 + evil.substr(0, evil.size() - 30) + "\n" + t.b1 + t.b2});
  EXPECT_EQ(r.count(FindingKind::torn_mismatch), 1u) << r.dump();
}

// A forged copy of a batch, cut so that it looks like an interrupted transfer, placed before
// the genuine copies: every torn copy must be a byte prefix of the copy that completes the
// batch, whether it is shorter or longer than the other torn copies, and wherever it stands.
TEST(Resend, EveryTornCopyMustBeAPrefixOfTheCompletedBatch) {
  Three t;
  testing::Sender other;
  (void)other.next(lines({"zero a", "zero b"}), at(0));
  const auto evil =
      other.build(lines({"one a", "", "one C forged by someone", "@logship x"}), at(10));
  const auto evil_cut = evil.find("one C") + 8;  // the forged line is cut, its start differs
  const auto good_cut = t.b1.find("one c") + 20;
  ASSERT_EQ(evil.substr(0, evil.find("one C")), t.b1.substr(0, t.b1.find("one c")));
  struct Case {
    const char* name;
    std::string file;
  };
  const Case cases[] = {
      {"forged shorter copy first",
       t.b0 + evil.substr(0, evil_cut) + "\n" + t.b1.substr(0, good_cut) + "\n" + t.b1 + t.b2},
      {"forged shorter copy second",
       t.b0 + t.b1.substr(0, good_cut) + "\n" + evil.substr(0, evil_cut) + "\n" + t.b1 + t.b2},
      {"forged longer copy first",
       t.b0 + evil.substr(0, evil.size() - 10) + "\n" + t.b1.substr(0, 40) + "\n" + t.b1 + t.b2},
      {"forged copy between two genuine ones", t.b0 + t.b1.substr(0, 40) + "\n" +
                                                   evil.substr(0, evil_cut) + "\n" +
                                                   t.b1.substr(0, good_cut) + "\n" + t.b1 + t.b2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = testing::verify({c.file});
    EXPECT_EQ(r.count(FindingKind::torn_mismatch), 1u) << r.dump();
    EXPECT_EQ(r.findings.size(), 1u) << r.dump();
    EXPECT_EQ(r.extracted, Three::kPayload);  // the forged line is not extracted
  }
  // The genuine copies alone, in any order and number: interrupted transfers only.
  auto r = testing::verify({t.b0 + t.b1.substr(0, good_cut) + "\n" + t.b1.substr(0, 40) + "\n" +
                            t.b1.substr(0, good_cut + 3) + "\n" + t.b1 + t.b2});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.summary.streams[0].interrupted, 3u) << r.dump();
  EXPECT_EQ(r.extracted, Three::kPayload);
}

// Two torn copies that nothing completes: each is reported with its own reason.
TEST(Resend, EachTornCopyKeepsItsReason) {
  Three t;
  const auto cut = t.b1.find("one c");
  auto r = testing::verify({t.b0 + t.b1.substr(0, cut + 10) + "\n" + t.b1.substr(0, cut + 4) +
                            "\n@logship bogus\n" + t.b2});
  EXPECT_EQ(r.count(FindingKind::torn_batch), 2u) << r.dump();
  EXPECT_NE(r.dump().find("(a begin line follows)"), std::string::npos) << r.dump();
  EXPECT_NE(r.dump().find("(malformed control line)"), std::string::npos) << r.dump();
  EXPECT_EQ(r.dump().find("()"), std::string::npos) << r.dump();
}

// An unsealed batch at the end of a live file is tolerated only where the sender can be
// writing one: the next seq, or a resend (a prefix) of the last batch.
TEST(Resend, AnOpenBatchIsOnlyTheNextSeqOrAResendOfTheLast) {
  Three t;
  auto opt = testing::keyed();
  opt.now = at(10) + std::chrono::seconds(30);
  // A copy of batch 1 after batch 2: an old seq cannot still be open. Byte for byte a prefix of
  // the sealed batch 1, it is what an interrupted transfer's `cat` wrote late (info, skipped);
  // with other bytes, a finding.
  auto r =
      testing::verify({t.b0 + t.b1 + t.b2 + "\n" + t.b1.substr(0, t.b1.find("one c") + 5)}, opt);
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.count(FindingKind::transfer_remnant), 1u) << r.dump();
  EXPECT_EQ(r.count(FindingKind::open_batch), 0u) << r.dump();
  EXPECT_EQ(r.extracted, Three::kPayload);
  auto altered = t.b1.substr(0, t.b1.find("one c") + 5);
  altered.back() = 'C';
  r = testing::verify({t.b0 + t.b1 + t.b2 + "\n" + altered}, opt);
  EXPECT_EQ(r.count(FindingKind::torn_batch), 1u) << r.dump();
  EXPECT_EQ(r.count(FindingKind::open_batch), 0u) << r.dump();
  EXPECT_EQ(r.extracted, Three::kPayload);
  // The resend of batch 2 cut by the end of the file: a prefix of batch 2, info.
  opt.now = at(20) + std::chrono::seconds(30);
  for (std::size_t cut : {t.b2.size() / 2, t.b2.size() - 3}) {
    SCOPED_TRACE(cut);
    r = testing::verify({t.b0 + t.b1 + t.b2 + "\n" + t.b2.substr(0, cut)}, opt);
    EXPECT_TRUE(r.findings.empty()) << r.dump();
    EXPECT_EQ(r.count(FindingKind::open_batch), 1u) << r.dump();
    EXPECT_EQ(r.extracted, Three::kPayload);
  }
  // A forged "resend" of batch 2 with other lines: a finding, its lines not extracted.
  testing::Sender other;
  (void)other.next(lines({"zero a", "zero b"}), at(0));
  (void)other.next(lines({"one a", "", "one c with a longer line to cut in", "@logship x"}),
                   at(10));
  const auto evil = other.build(lines({"two forged", "more"}), at(20));
  r = testing::verify({t.b0 + t.b1 + t.b2 + "\n" + evil.substr(0, evil.size() - 5)}, opt);
  EXPECT_EQ(r.count(FindingKind::torn_mismatch), 1u) << r.dump();
  EXPECT_EQ(r.extracted, Three::kPayload);
  // The next seq, open, after a torn copy of it: infos only, nothing unsealed extracted.
  const auto b3 = t.sender.build(lines({"three a", "three b"}), at(30));
  opt.now = at(30) + std::chrono::seconds(5);
  const auto three = b3.find("three a");
  r = testing::verify(
      {t.b0 + t.b1 + t.b2 + b3.substr(0, three + 12) + "\n" + b3.substr(0, three + 3)}, opt);
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.count(FindingKind::open_batch), 1u) << r.dump();
  EXPECT_EQ(r.count(FindingKind::interrupted_transfer), 1u) << r.dump();
  EXPECT_EQ(r.extracted, Three::kPayload);
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

// A head cut at a batch boundary leaves a file that verifies on its own: --expect-start asks
// for the whole stream.
TEST(Files, ExpectStartMakesAHeadCutAFinding) {
  Three t;
  auto opt = testing::keyed();
  opt.expect_start = true;
  auto r = testing::verify({t.b1 + t.b2}, opt);
  EXPECT_EQ(r.count(FindingKind::head_missing), 1u) << r.dump();
  EXPECT_EQ(r.count(FindingKind::mid_stream_start), 0u) << r.dump();
  EXPECT_EQ(r.findings[0].line, 1u);
  EXPECT_NE(r.findings[0].message.find("batches 0 to 0 are missing"), std::string::npos);
  r = testing::verify({t.b0, t.b1 + t.b2}, opt);
  EXPECT_TRUE(r.findings.empty()) << r.dump();
}

TEST(Streams, InterleavedStreamsVerifyIndependently) {
  testing::Sender a("web1", "auth"), b("web1", "kern"), c("db 1", "auth");
  std::string v;
  for (int i = 0; i < 5; ++i) {
    v += a.next(lines({"a" + std::to_string(i)}), at(i));
    v += b.next(lines({"b" + std::to_string(i)}), at(i));
    if (i % 2 == 0) v += c.next(lines({"c" + std::to_string(i)}), at(i));
  }
  // Files given are one stream unless said otherwise: the second and third streams are
  // findings (batches moved from other files look just like this).
  auto r = testing::verify({v});
  EXPECT_EQ(r.count(FindingKind::stream_mixed), 2u) << r.dump();
  EXPECT_EQ(r.findings.size(), 2u) << r.dump();
  auto opt = testing::keyed();
  opt.mixed_streams = true;
  r = testing::verify({v}, opt);
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

// logship-pull streams: each starts from its own K_0 = stream_key(G_j, j, src, stream), with
// genesis=j in every begin line; G_j evolves after each stream start and the old value is
// erased, so whoever reads the state directory at t holds G_t only.
struct Genesis {
  crypto::Digest g0 = testing::test_key(), g1 = next_genesis(g0), g2 = next_genesis(g1);
  static SealState start(const crypto::Digest& g, std::uint64_t j, const std::string& stream) {
    return SealState::initial(stream_key(g, j, "web1", stream), j);
  }
  static std::string three(testing::Sender& s, int from = 0) {
    std::string v;
    for (int i = from; i < from + 3; ++i) v += s.next(lines({"line " + std::to_string(i)}), at(i));
    return v;
  }
};

TEST(Genesis, EachStreamVerifiesUnderItsOwnKeyFromTheVerificationKey) {
  Genesis g;
  testing::Sender auth("web1", "/var/log/auth.log", Genesis::start(g.g0, 0, "/var/log/auth.log"));
  testing::Sender sys("web1", "/var/log/syslog", Genesis::start(g.g1, 1, "/var/log/syslog"));
  const auto a = Genesis::three(auth), s = Genesis::three(sys);
  EXPECT_NE(a.find(" genesis=0\n"), std::string::npos) << a;
  EXPECT_NE(s.find(" genesis=1\n"), std::string::npos) << s;
  auto r = testing::verify({a});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  r = testing::verify({s});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  // Streams of the earlier format (K_0 itself) still verify with the same key.
  testing::Sender old("web1", "/var/log/auth.log");
  r = testing::verify({Genesis::three(old)});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
}

TEST(Genesis, TheStateDirectoryReadLaterCannotForgeAStreamStartedBefore) {
  Genesis g;
  testing::Sender auth("web1", "/var/log/auth.log", Genesis::start(g.g0, 0, "/var/log/auth.log"));
  const auto genuine = Genesis::three(auth);
  // The intruder read the state directory after two streams started: it holds G_2. Every way
  // of resealing auth.log's stream from its start fails the MAC.
  for (std::uint64_t j : {0, 1}) {
    testing::Sender forged("web1", "/var/log/auth.log",
                           Genesis::start(g.g2, j, "/var/log/auth.log"));
    auto r = testing::verify({Genesis::three(forged)});
    EXPECT_EQ(r.count(FindingKind::mac_failure), 3u) << r.dump();
  }
  // As K_0 of the earlier format, too.
  testing::Sender legacy("web1", "/var/log/auth.log", g.g2);
  EXPECT_EQ(testing::verify({Genesis::three(legacy)}).count(FindingKind::mac_failure), 3u);
  // A stream it starts itself (genesis=2: after the theft, out of reach by design) verifies on
  // its own, but not in place of the genuine one: its seq 0 follows seq 2.
  testing::Sender later("web1", "/var/log/auth.log", Genesis::start(g.g2, 2, "/var/log/auth.log"));
  const auto late = Genesis::three(later);
  EXPECT_TRUE(testing::verify({late}).findings.empty());
  auto r = testing::verify({genuine + late});
  EXPECT_TRUE(r.has(FindingKind::sequence_backwards)) << r.dump();
  // Re-labelling a genuine batch with another start (or stream) breaks its MAC.
  std::string relabelled = genuine;
  relabelled.replace(relabelled.find(" genesis=0\n"), 11, " genesis=1\n");
  r = testing::verify({relabelled});
  EXPECT_TRUE(r.has(FindingKind::chain_break) || r.has(FindingKind::mac_failure)) << r.dump();
}

TEST(Genesis, ABatchMovedToAnotherStreamsFileIsAFinding) {
  Genesis g;
  testing::Sender auth("web1", "/var/log/auth.log", Genesis::start(g.g0, 0, "/var/log/auth.log"));
  testing::Sender sys("web1", "/var/log/syslog", Genesis::start(g.g1, 1, "/var/log/syslog"));
  const auto a0 = auth.next(lines({"Accepted password for root"}), at(0));
  const auto s0 = sys.next(lines({"kernel: eth0 up"}), at(0));
  const auto s1 = sys.next(lines({"cron: ok"}), at(1));
  auto r = testing::verify({s0 + a0 + s1});
  EXPECT_EQ(r.count(FindingKind::stream_mixed), 1u) << r.dump();
  EXPECT_EQ(r.findings[0].line, 4u);
}

TEST(Genesis, AHugeGenesisCostsBoundedDerivation) {
  Genesis g;
  crypto::Digest any{};
  testing::Sender far("web1", "x", SealState::initial(any, 999'999'999'999));
  auto r = testing::verify({Genesis::three(far)});
  EXPECT_EQ(r.count(FindingKind::mac_unchecked), 3u) << r.dump();
}

}  // namespace
}  // namespace logship::vault
