// Minting and writing key pairs: modes, O_EXCL, --force, the directory check, and that
// OpenSSH reads back the same public key.
#include "authkeys/mint.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "authkeys/key_files.hpp"
#include "support/run_command.hpp"
#include "support/test_files.hpp"

namespace logship::authkeys {
namespace {

namespace fs = std::filesystem;

using test::slurp;

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class KeyFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "logship-mint-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(Mint, GivesDistinctEd25519PairsWithFingerprints) {
  auto a = mint_ed25519();
  auto b = mint_ed25519();
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(a->type, "ssh-ed25519");
  EXPECT_EQ(a->private_text.rfind("-----BEGIN OPENSSH PRIVATE KEY-----", 0), 0u);
  EXPECT_EQ(a->fingerprint.rfind("SHA256:", 0), 0u);
  EXPECT_NE(a->public_base64, b->public_base64);
  EXPECT_NE(a->private_text, b->private_text);
}

TEST_F(KeyFilesTest, WritesPrivate0600AndPublic0644WhateverTheUmaskAndOpenSshAgrees) {
  const mode_t old = ::umask(0);
  auto pair = mint_ed25519();
  ASSERT_TRUE(pair);
  const fs::path key = dir_ / "k";
  const std::string pub = pair->type + " " + pair->public_base64 + " logship push web1\n";
  ASSERT_TRUE(check_key_destination(key, false));
  ASSERT_TRUE(write_key_files(key, pair->private_text, pub, false));
  ::umask(old);
  EXPECT_EQ(mode_of(key), 0600u);
  EXPECT_EQ(mode_of(public_key_path(key)), 0644u);
  EXPECT_EQ(slurp(public_key_path(key)), pub);
  // ssh-keygen refuses a private key others can read, so this also checks the mode.
  const auto derived = test::run_checked({"ssh-keygen", "-y", "-f", key.string()});
  EXPECT_EQ(derived.substr(0, derived.find('\n')), pair->type + " " + pair->public_base64);
  const auto fp = test::run_checked({"ssh-keygen", "-l", "-E", "sha256", "-f", key.string()});
  EXPECT_NE(fp.find(pair->fingerprint), std::string::npos) << fp;
}

TEST_F(KeyFilesTest, NeverOverwritesWithoutReplace) {
  const fs::path key = dir_ / "k";
  std::ofstream(public_key_path(key)) << "old\n";
  const auto check = check_key_destination(key, false);
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().message.find("k.pub already exists"), std::string::npos);
  EXPECT_NE(check.error().message.find("--force"), std::string::npos);
  // Even past the check (a file created meanwhile), O_EXCL refuses and nothing is left over.
  const auto st = write_key_files(key, "private\n", "public\n", false);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::config);
  EXPECT_FALSE(fs::exists(key));
  EXPECT_EQ(slurp(public_key_path(key)), "old\n");

  std::ofstream(key) << "old private\n";
  ASSERT_FALSE(write_key_files(key, "private\n", "public\n", false));
  EXPECT_EQ(slurp(key), "old private\n");
}

TEST_F(KeyFilesTest, DoesNotFollowASymlinkAtTheDestination) {
  const fs::path key = dir_ / "k";
  fs::create_symlink(dir_ / "elsewhere", key);
  ASSERT_FALSE(check_key_destination(key, false));
  ASSERT_FALSE(write_key_files(key, "private\n", "public\n", false));
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere"));
}

TEST_F(KeyFilesTest, ReplaceSwapsBothFilesAndKeepsTheModes) {
  const fs::path key = dir_ / "k";
  std::ofstream(key) << "old private\n";
  std::ofstream(public_key_path(key)) << "old public\n";
  fs::permissions(key, fs::perms::all);
  ASSERT_TRUE(check_key_destination(key, true));
  ASSERT_TRUE(write_key_files(key, "new private\n", "new public\n", true));
  EXPECT_EQ(slurp(key), "new private\n");
  EXPECT_EQ(slurp(public_key_path(key)), "new public\n");
  EXPECT_EQ(mode_of(key), 0600u);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 2u);  // no temporary file left behind
}

TEST_F(KeyFilesTest, RefusesADirectoryOthersCanWriteOrThatIsMissing) {
  const fs::path shared = dir_ / "shared";
  fs::create_directory(shared);
  for (auto perms : {fs::perms::group_write, fs::perms::others_write}) {
    fs::permissions(shared, fs::perms::owner_all | perms);
    const auto st = check_key_destination(shared / "k", true);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("writable by group or others"), std::string::npos);
  }
  fs::permissions(shared, fs::perms::owner_all | fs::perms::others_write | fs::perms::sticky_bit);
  EXPECT_FALSE(check_key_destination(shared / "k", false));  // /tmp-like: still refused
  const auto missing = check_key_destination(dir_ / "no" / "k", false);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("create it"), std::string::npos);
  std::ofstream(dir_ / "file") << "x";
  EXPECT_FALSE(check_key_destination(dir_ / "file" / "k", false));
  EXPECT_FALSE(check_key_destination(dir_ / "", false));
}

}  // namespace
}  // namespace logship::authkeys
