#include "vectors.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "vault/key_file.hpp"
#include "vault_fixture.hpp"

namespace logship::vault::testing {
namespace {

std::string vector_file(const std::string& name) {
  return slurp(source_dir() / "docs" / "vectors" / name);
}

TEST(Vectors, CheckedInFilesMatchTheGenerator) {
  for (const auto& f : make_vectors()) {
    SCOPED_TRACE(f.name);
    const auto checked_in = vector_file(f.name);
    EXPECT_TRUE(checked_in == f.content)
        << "docs/vectors/" << f.name << " differs from the generator: the format changed, or "
        << "regenerate with logship-vault-vectors docs/vectors and review the diff";
  }
}

// Every run of exactly 64 lower-case hex digits in `text` that follows `prefix`.
std::vector<std::string> hex64s(const std::string& text, const std::string& prefix = "") {
  std::vector<std::string> out;
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  for (std::size_t i = 0; i + 64 <= text.size(); ++i) {
    if ((i > 0 && hex(text[i - 1])) || (i + 64 < text.size() && hex(text[i + 64]))) continue;
    if (!std::all_of(text.begin() + i, text.begin() + i + 64, hex)) continue;
    if (i < prefix.size() || text.compare(i - prefix.size(), prefix.size(), prefix) != 0) continue;
    out.push_back(text.substr(i, 64));
  }
  return out;
}

Outcome verify_vector(const std::string& name) {
  VerifyOptions opt;
  opt.key = parse_key_file(vector_file("v1.key")).value();
  return verify({vector_file(name)}, opt);
}

TEST(Vectors, VerifyAndExtract) {
  // Batch 2 reports dropped=3: every dropped count is a finding, the only one here.
  auto basic = verify_vector("v1-basic.vault");
  ASSERT_EQ(basic.findings.size(), 1u) << basic.dump();
  EXPECT_EQ(basic.findings[0].kind, FindingKind::dropped);
  EXPECT_EQ(basic.extracted, vector_file("v1-basic.extract"));
  EXPECT_EQ(basic.summary.streams.at(0).heartbeats, 1u);
  EXPECT_EQ(basic.summary.streams.at(0).dropped, 3u);

  auto bin = verify_vector("v1-binary.vault");
  EXPECT_TRUE(bin.findings.empty()) << bin.dump();
  EXPECT_EQ(bin.extracted, vector_file("v1-binary.extract"));

  auto torn = verify_vector("v1-torn.vault");
  EXPECT_TRUE(torn.findings.empty()) << torn.dump();
  EXPECT_EQ(torn.count(FindingKind::interrupted_transfer), 1u) << torn.dump();
  EXPECT_EQ(torn.extracted, vector_file("v1-torn.extract"));

  auto genesis = verify_vector("v1-genesis.vault");
  EXPECT_TRUE(genesis.findings.empty()) << genesis.dump();
  EXPECT_EQ(genesis.summary.streams.at(0).batches, 2u);

  auto forged = verify_vector("v1-torn-forged.vault");
  ASSERT_EQ(forged.findings.size(), 1u) << forged.dump();
  EXPECT_EQ(forged.findings[0].kind, FindingKind::torn_mismatch);
  EXPECT_EQ(forged.findings[0].line, 4u);
  EXPECT_EQ(forged.count(FindingKind::interrupted_transfer), 1u) << forged.dump();
  EXPECT_EQ(forged.extracted, vector_file("v1-torn-forged.extract"));

  auto late = verify_vector("v1-remnant.vault");
  EXPECT_TRUE(late.findings.empty()) << late.dump();
  EXPECT_EQ(late.count(FindingKind::interrupted_transfer), 1u) << late.dump();
  EXPECT_EQ(late.count(FindingKind::transfer_remnant), 1u) << late.dump();
  EXPECT_EQ(late.extracted, vector_file("v1-remnant.extract"));

  auto inside = verify_vector("v1-remnant-inside.vault");
  EXPECT_TRUE(inside.findings.empty()) << inside.dump();
  EXPECT_EQ(inside.count(FindingKind::interrupted_transfer), 1u) << inside.dump();
  EXPECT_EQ(inside.count(FindingKind::transfer_remnant), 1u) << inside.dump();
  EXPECT_EQ(inside.extracted, vector_file("v1-remnant-inside.extract"));

  auto red = verify_vector("v1-redacted.vault");
  EXPECT_EQ(red.findings.size(), 1u) << red.dump();
  EXPECT_EQ(red.extracted.find("alice"), std::string::npos);
  EXPECT_EQ(red.summary.streams.at(0).redacted, 1u);
}

TEST(Vectors, IndependentTranscriptionAgreesWithTheEndLines) {
  // intermediate_values() hashes concatenated strings exactly as FORMAT.md states; the
  // library's end lines must carry the same chain and MAC values.
  const auto vault = vector_file("v1-basic.vault");
  const auto values = intermediate_values(vault, crypto::to_hex(test_key()));
  int n = 0;
  for (const auto& c : hex64s(values, "  C = ")) {
    EXPECT_NE(vault.find("chain=" + c), std::string::npos) << c;
    ++n;
  }
  for (const auto& mac : hex64s(values, "  MAC = "))
    EXPECT_NE(vault.find("mac=" + mac), std::string::npos) << mac;
  EXPECT_EQ(n, 3);
}

TEST(Vectors, GenesisValuesAgreeWithTheEndLines) {
  const auto vault = vector_file("v1-genesis.vault");
  const auto values = vector_file("v1-genesis.values");
  int n = 0;
  for (const auto& mac : hex64s(values, "  MAC = ")) {
    EXPECT_NE(vault.find("mac=" + mac), std::string::npos) << mac;
    ++n;
  }
  EXPECT_EQ(n, 2);
  EXPECT_NE(vault.find(" genesis=1 file="), std::string::npos);
}

TEST(Vectors, FormatDocumentQuotesTheIntermediateValues) {
  const auto doc = slurp(source_dir() / "docs" / "FORMAT.md");
  const auto values = vector_file("v1-basic.values");
  int n = 0;
  for (const auto& hex : hex64s(values)) {
    EXPECT_NE(doc.find(hex), std::string::npos)
        << "docs/FORMAT.md does not quote " << hex << " from v1-basic.values";
    ++n;
  }
  EXPECT_GT(n, 10);
}

}  // namespace
}  // namespace logship::vault::testing
