// Runs the built logship-verify as a user would.
#include "vault/verifier.hpp"

#include <gtest/gtest.h>

#include "vault/key_file.hpp"
#include "vault_fixture.hpp"

namespace logship::vault {
namespace {

using testing::at;
using testing::bin;
using testing::lines;
using testing::run;

struct Files {
  testing::TempDir dir;
  std::string key, clean, tampered;
  std::string q(const std::filesystem::path& p) const { return "'" + p.string() + "'"; }
  Files() {
    testing::Sender s;
    std::string v = s.next(lines({"alpha", "@logship begin lookalike", "secret=hunter2"}), at(0));
    v += s.next({}, at(60));
    v += s.next(lines({"omega"}), at(120));
    key = q(dir.path() / "k");
    EXPECT_TRUE(write_key_file(dir.path() / "k", testing::test_key(), "test"));
    clean = q(dir.write("clean.vault", v));
    std::string t = v;
    t.replace(t.find("omega"), 5, "OMEGA");
    tampered = q(dir.write("tampered.vault", t));
  }
};

TEST(Cli, CleanFileExitsZero) {
  Files f;
  std::string out, err;
  EXPECT_EQ(run(bin("logship-verify") + " --key " + f.key + " " + f.clean, &out, &err), 0) << err;
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("3 batches (1 heartbeats)"), std::string::npos) << err;
  EXPECT_NE(err.find(": OK"), std::string::npos) << err;
}

TEST(Cli, FindingsExitOneOnePerLine) {
  Files f;
  std::string out;
  EXPECT_EQ(run(bin("logship-verify") + " --key " + f.key + " " + f.tampered, &out), 1);
  EXPECT_NE(out.find("tampered.vault:8: chain-break: batch seq 2"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(Cli, TailShortOfExpectSeq) {
  Files f;
  std::string out;
  EXPECT_EQ(run(bin("logship-verify") + " --expect-seq 2 " + f.clean, &out), 0) << out;
  EXPECT_EQ(run(bin("logship-verify") + " --expect-seq 3 " + f.clean, &out), 1);
  EXPECT_NE(out.find("tail-short"), std::string::npos) << out;
}

TEST(Cli, UsageErrorsExitTwoWithOneLine) {
  Files f;
  std::string out, err;
  EXPECT_EQ(run(bin("logship-verify") + " /nonexistent/vault.log", &out, &err), 2);
  EXPECT_NE(err.find("/nonexistent/vault.log"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(run(bin("logship-verify") + " --bogus " + f.clean, &out, &err), 2);
  EXPECT_EQ(run(bin("logship-verify"), &out, &err), 2);
  EXPECT_EQ(run(bin("logship-verify") + " --json --extract " + f.clean, &out, &err), 2);
  EXPECT_EQ(run(bin("logship-verify") + " --key " + f.clean + " " + f.clean, &out, &err), 2)
      << "a vault file is not a key file";
  // Silences too long to be limits overflowed into spurious findings: usage errors instead.
  for (const char* s : {"18446744073709551615", "10000000000000", "0"}) {
    EXPECT_EQ(run(bin("logship-verify") + " --max-silence " + s + " " + f.clean, &out, &err), 2)
        << s << ": " << out;
    EXPECT_NE(err.find("--max-silence " + std::string(s) + " is out of range: give 1 to "),
              std::string::npos)
        << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
  EXPECT_EQ(run(bin("logship-verify") + " --max-silence 315360000 " + f.clean, &out, &err), 0)
      << err;
}

TEST(Cli, ExtractWritesThePayload) {
  Files f;
  std::string out, err;
  EXPECT_EQ(run(bin("logship-verify") + " --extract " + f.clean, &out, &err), 0) << err;
  EXPECT_EQ(out, "alpha\n@logship begin lookalike\nsecret=hunter2\nomega\n");
  EXPECT_EQ(run(bin("logship-verify") + " --extract " + f.tampered, &out, &err), 1);
  EXPECT_NE(err.find("chain-break"), std::string::npos) << "findings go to stderr: " << err;
}

TEST(Cli, JsonSummary) {
  Files f;
  std::string out;
  EXPECT_EQ(run(bin("logship-verify") + " --json --key " + f.key + " " + f.tampered, &out), 1);
  EXPECT_EQ(out.rfind("{\"ok\":false,", 0), 0u) << out;
  EXPECT_NE(out.find("\"kind\":\"chain-break\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"last_seq\":2"), std::string::npos) << out;
  EXPECT_NE(out.find("\"heartbeats\":1"), std::string::npos) << out;
  EXPECT_EQ(run(bin("logship-verify") + " --json " + f.clean, &out), 0);
  EXPECT_EQ(out.rfind("{\"ok\":true,", 0), 0u) << out;
  const auto vectors = testing::source_dir() / "docs/vectors";
  EXPECT_EQ(run(bin("logship-verify") + " --json " + (vectors / "v1-basic.vault").string(), &out),
            1);
  EXPECT_NE(out.find("\"extra\":{\"file\":\"/var/log/auth.log\",\"off\":\"4096\"}"),
            std::string::npos)
      << "extra begin-line fields are reported: " << out;
  EXPECT_NE(out.find("\"kind\":\"dropped\""), std::string::npos) << out;
}

TEST(Cli, RedactThenVerifyWithTheKey) {
  Files f;
  const auto out_path = f.q(f.dir.path() / "redacted.vault");
  std::string out, err;
  EXPECT_EQ(
      run(bin("logship-verify") + " --redact 'secret=[^ ]+' --out " + out_path + " " + f.clean,
          &out, &err),
      0)
      << err;
  EXPECT_EQ(run(bin("logship-verify") + " --key " + f.key + " " + out_path, &out, &err), 0) << out;
  EXPECT_NE(err.find("1 lines redacted"), std::string::npos) << err;
  EXPECT_EQ(run(bin("logship-verify") + " --extract " + out_path, &out), 0);
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(
      run(bin("logship-verify") + " --redact x --out " + out_path + " " + f.clean, &out, &err), 2)
      << "refuses to overwrite";
  EXPECT_EQ(
      run(bin("logship-verify") + " --redact '(' --out " + f.q(f.dir.path() / "n") + " " + f.clean,
          &out, &err),
      2);
}

TEST(Cli, OptionsFromAConfigFile) {
  Files f;
  const auto cfg = f.dir.write("verify.ini", "key = " + (f.dir.path() / "k").string() +
                                                 "\nexpect-seq = 9\nmax-silence = 10\n");
  std::string out;
  EXPECT_EQ(run(bin("logship-verify") + " --config '" + cfg.string() + "' " + f.clean, &out), 1);
  EXPECT_NE(out.find("tail-short"), std::string::npos) << out;
  EXPECT_NE(out.find("silence"), std::string::npos) << out;
}

}  // namespace
}  // namespace logship::vault
