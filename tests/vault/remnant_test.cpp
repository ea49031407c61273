// Bytes of a sealed batch that an interrupted transfer's `cat` appends late (after the resend
// sealed the batch, or after later batches): recognised byte for byte, reported as info and
// skipped, so that every line is extracted once and nothing else is tolerated.
#include <gtest/gtest.h>

#include "vault/verifier.hpp"
#include "vault_fixture.hpp"

namespace logship::vault {
namespace {

using testing::at;
using testing::lines;

struct Four {
  testing::Sender sender;
  std::string b0, b1, b2, b3;
  Four() {
    b0 = sender.next(lines({"zero a", "zero b"}), at(0));
    b1 = sender.next(lines({"one a", "", "one c with a longer line to cut in", "@logship x"}),
                     at(10));
    b2 = sender.next(lines({"two"}), at(20));
    b3 = sender.next(lines({"three"}), at(30));
  }
  static constexpr const char* kPayload =
      "zero a\nzero b\none a\n\none c with a longer line to cut in\n@logship x\ntwo\nthree\n";
};

// Where the late bytes land: right after the resend, after a later batch, or at the end.
enum class Place { after_resend, after_later, at_end };

std::string layout(const Four& f, std::size_t cut, const std::string& late, Place place) {
  std::string out = f.b0 + f.b1.substr(0, cut) + "\n" + f.b1;
  if (place == Place::after_resend) out += late;
  out += f.b2;
  if (place == Place::after_later) out += late;
  out += f.b3;
  if (place == Place::at_end) out += late;
  return out;
}

// Every interrupted copy (cut after any byte), every length of what its `cat` still held,
// every place: clean, each line extracted once.
TEST(Remnant, TheRestOfAnInterruptedCopyWrittenLateIsSkippedWherever) {
  Four f;
  for (auto place : {Place::after_resend, Place::after_later, Place::at_end}) {
    // Cuts every 3 bytes (in the begin line, in a payload line, after a LF, in the end line);
    // what its cat still held: 1 to 4 bytes, then every 11th length, and all the rest.
    for (std::size_t cut = 0; cut + 1 < f.b1.size(); cut += 3) {
      for (std::size_t end = cut + 1; end <= f.b1.size();
           end = end < cut + 4 || end + 11 > f.b1.size() ? end + 1 : end + 11) {
        SCOPED_TRACE("place " + std::to_string(static_cast<int>(place)) + ", copy cut after " +
                     std::to_string(cut) + " bytes, its cat wrote up to byte " +
                     std::to_string(end));
        const auto late = f.b1.substr(cut, end - cut);
        const auto r = testing::verify({layout(f, cut, late, place)});
        ASSERT_TRUE(r.findings.empty()) << r.dump();
        ASSERT_EQ(r.extracted, Four::kPayload);
        const auto& st = r.summary.streams[0];
        if (cut == 0 && end == f.b1.size() && place == Place::after_resend) {
          ASSERT_EQ(st.duplicates, 1u) << r.dump();  // an identical resend, as it looks
        } else if (late.find_first_not_of('\n') != std::string::npos) {  // (LFs: empty lines)
          ASSERT_EQ(st.remnants, 1u) << r.dump();
        }
      }
    }
  }
}

// The late bytes in two writes, at two places.
TEST(Remnant, ARemnantInTwoPartsIsSkippedPartByPart) {
  Four f;
  const auto begin_line = f.b1.find('\n') + 1;
  for (const auto cut : {std::size_t{20}, begin_line + 3}) {  // in the begin line, in a line
    const auto mid = cut + 37;
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes, then " + std::to_string(mid));
    const auto file = f.b0 + f.b1.substr(0, cut) + "\n" + f.b1 + f.b1.substr(cut, mid - cut) +
                      f.b2 + f.b1.substr(mid) + f.b3;
    const auto r = testing::verify({file});
    EXPECT_TRUE(r.findings.empty()) << r.dump();
    EXPECT_EQ(r.extracted, Four::kPayload);
    EXPECT_EQ(r.summary.streams[0].remnants, 2u) << r.dump();
  }
}

// The rest of the interrupted copy lands inside the resend, between two of its `cat`'s writes
// (at any byte after the place it repeats): the resend without that run verifies and is the
// batch; the run is a remnant.
TEST(Remnant, TheRestOfAnInterruptedCopyInsideTheResendIsCutOut) {
  Four f;
  const auto payload = f.b1.find('\n') + 1;  // the copy is cut after its begin line
  int checked = 0;
  for (std::size_t cut = payload; cut + 10 < f.b1.size(); cut += 5) {
    for (std::size_t n : {std::size_t{8}, std::size_t{13}, std::size_t{40}}) {
      if (cut + n > f.b1.size()) continue;
      for (std::size_t at = cut + n; at < f.b1.size(); at += 7) {
        SCOPED_TRACE("copy cut after " + std::to_string(cut) + " bytes, " + std::to_string(n) +
                     " late bytes at byte " + std::to_string(at) + " of the resend");
        const auto resend = f.b1.substr(0, at) + f.b1.substr(cut, n) + f.b1.substr(at);
        const auto last = at % 2 == 0;  // the resend ends the file, or later batches follow
        const auto r = testing::verify(
            {f.b0 + f.b1.substr(0, cut) + "\n" + resend + (last ? "" : f.b2 + f.b3)});
        ASSERT_TRUE(r.findings.empty()) << r.dump();
        ASSERT_EQ(r.extracted, last ? std::string(Four::kPayload).substr(0, 67) : Four::kPayload);
        ASSERT_EQ(r.summary.streams[0].remnants, 1u) << r.dump();
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 200);
}

// Or inside a later batch's copy, between two writes of its `cat`.
TEST(Remnant, TheRestOfAnInterruptedCopyInsideALaterCopyIsCutOut) {
  Four f;
  const std::size_t cut = f.b1.find("one c") + 3;
  const auto payload = f.b2.find('\n') + 1;
  for (std::size_t n : {std::size_t{8}, std::size_t{21}, f.b1.size() - cut}) {
    for (std::size_t at = payload; at < f.b2.size(); at += 3) {
      SCOPED_TRACE(std::to_string(n) + " late bytes at byte " + std::to_string(at) + " of seq 2");
      const auto b2 = f.b2.substr(0, at) + f.b1.substr(cut, n) + f.b2.substr(at);
      const auto r = testing::verify({f.b0 + f.b1.substr(0, cut) + "\n" + f.b1 + b2 + f.b3});
      ASSERT_TRUE(r.findings.empty()) << r.dump();
      ASSERT_EQ(r.extracted, Four::kPayload);
      ASSERT_EQ(r.summary.streams[0].remnants, 1u) << r.dump();
    }
  }
}

// A run inside the resend that is not the batch's own bytes, or a resend that does not verify
// without it, stays a finding.
TEST(Remnant, ForeignBytesInsideTheResendStayFindings) {
  Four f;
  const std::size_t cut = f.b1.find("one c");
  const auto at = f.b1.find("@logship x");
  auto late = f.b1.substr(cut, 20);
  late[5] = 'X';
  auto r = testing::verify(
      {f.b0 + f.b1.substr(0, cut) + "\n" + f.b1.substr(0, at) + late + f.b1.substr(at) + f.b2});
  EXPECT_FALSE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.extracted.find("oXe c"), std::string::npos);
  // A repaired resend whose end line the run had cut: lines planted after it, before the next
  // begin line, are still findings (they were read as the resend's before the repair).
  const auto end_line = f.b1.find("@logship end");
  const auto broken =
      f.b1.substr(0, end_line + 3) + f.b1.substr(cut, 20) + f.b1.substr(end_line + 3);
  r = testing::verify({f.b0 + f.b1.substr(0, cut) + "\n" + broken + "planted\n" + f.b2});
  EXPECT_TRUE(r.has(FindingKind::stray_line) || r.has(FindingKind::torn_batch)) << r.dump();
  EXPECT_EQ(r.extracted.find("planted"), std::string::npos);
  r = testing::verify({f.b0 + f.b1.substr(0, cut) + "\n" + broken + "planted\n"});
  EXPECT_FALSE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.extracted.find("planted"), std::string::npos);
  // Nor a control line right after it, the line where the resend failed.
  r = testing::verify({f.b0 + f.b1.substr(0, cut) + "\n" + broken + "@logship planted\n" + f.b2});
  EXPECT_TRUE(r.has(FindingKind::stray_line)) << r.dump();
  // (and without the planted line, the same file is clean)
  r = testing::verify({f.b0 + f.b1.substr(0, cut) + "\n" + broken + f.b2});
  EXPECT_TRUE(r.findings.empty()) << r.dump();
  // The batch's own bytes, but the resend altered elsewhere: no repair makes it verify.
  auto resend = f.b1.substr(0, at) + f.b1.substr(cut, 20) + f.b1.substr(at);
  resend[resend.find("one a")] = 'O';
  r = testing::verify({f.b0 + f.b1.substr(0, cut) + "\n" + resend + f.b2});
  EXPECT_FALSE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.extracted.find("One a"), std::string::npos);
}

// The vault rotated meanwhile: the late bytes are the first of the next file.
TEST(Remnant, ARemnantInTheNextFileIsSkipped) {
  Four f;
  for (const std::size_t cut : {std::size_t{20}, std::size_t{200}}) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes");
    const auto r = testing::verify(
        {f.b0 + f.b1.substr(0, cut) + "\n" + f.b1 + f.b2, f.b1.substr(cut, 50) + f.b3});
    EXPECT_TRUE(r.findings.empty()) << r.dump();
    EXPECT_EQ(r.extracted, Four::kPayload);
    EXPECT_EQ(r.summary.streams[0].remnants, 1u) << r.dump();
  }
}

// A late copy of an older batch, whole or cut: info, not sequence-backwards or torn-batch.
TEST(Remnant, ALateCopyOfAnOlderBatchWholeOrCutIsSkipped) {
  Four f;
  for (std::size_t n = 1; n <= f.b1.size(); ++n) {
    SCOPED_TRACE(std::to_string(n) + " bytes of seq 1 after seq 2");
    const auto r = testing::verify({f.b0 + f.b1 + f.b2 + f.b1.substr(0, n) + f.b3});
    ASSERT_TRUE(r.findings.empty()) << r.dump();
    ASSERT_EQ(r.extracted, Four::kPayload);
  }
}

// Anything that is not byte for byte the sealed batch's continuation stays a finding, and its
// lines are not extracted.
TEST(Remnant, BytesThatDifferFromTheSealedBatchStayFindings) {
  Four f;
  const std::size_t cut = 20;
  auto late = f.b1.substr(cut);
  const auto at = late.find("longer");
  ASSERT_NE(at, std::string::npos);
  late[at] = 'L';  // one byte changed
  auto r = testing::verify({layout(f, cut, late, Place::after_later)});
  EXPECT_TRUE(r.has(FindingKind::stray_line)) << r.dump();
  EXPECT_EQ(r.extracted.find("Longer"), std::string::npos);
  EXPECT_EQ(r.extracted, Four::kPayload);

  // The true continuation, then forged bytes on the same line.
  late = f.b1.substr(cut, 30) + "forged\n";
  r = testing::verify({layout(f, cut, late, Place::after_later)});
  EXPECT_TRUE(r.has(FindingKind::stray_line)) << r.dump();
  EXPECT_EQ(r.extracted.find("forged"), std::string::npos);

  // Genuine bytes that continue no interrupted copy (a line of the batch, planted again).
  r = testing::verify({f.b0 + f.b1 + f.b2 + "one a\n" + f.b3});
  EXPECT_TRUE(r.has(FindingKind::stray_line)) << r.dump();

  // A prefix of a sealed batch with a forged line after it.
  r = testing::verify({f.b0 + f.b1 + f.b2 + f.b1.substr(0, 90) + "\nforged\n" + f.b3});
  EXPECT_FALSE(r.findings.empty()) << r.dump();
  EXPECT_EQ(r.extracted.find("forged"), std::string::npos);
}

}  // namespace
}  // namespace logship::vault
