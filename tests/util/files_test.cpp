#include "util/files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

namespace logship {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("logship-files-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FilesTest, AtomicWriteReplacesContentAndSetsMode) {
  const auto p = dir_ / "state";
  ASSERT_TRUE(atomic_write_file(p, "first", 0600));
  ASSERT_TRUE(atomic_write_file(p, std::string("sec\0ond", 7), 0640));
  auto r = read_file(p);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, std::string("sec\0ond", 7));
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  // No temporary files are left behind.
  int entries = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FilesTest, ReplaceFileIsSeenWholeOldOrNewByAReader) {
  const auto p = dir_ / "status.json";
  const std::string a(64 << 10, 'a'), b(64 << 10, 'b');
  ASSERT_TRUE(replace_file(p, a, 0644));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(replace_file(p, i % 2 ? a : b, 0644));
    done = true;
  });
  int reads = 0;
  while (!done) {
    auto r = read_file(p);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(*r == a || *r == b) << "a mix of " << r->size() << " bytes";
    ++reads;
  }
  writer.join();
  EXPECT_GT(reads, 0);
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  int entries = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1) << "no temporary file is left";
}

TEST_F(FilesTest, AtomicWriteIntoMissingDirectoryFailsWithPath) {
  auto st = atomic_write_file(dir_ / "missing" / "state", "x");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::io);
  EXPECT_NE(st.error().message.find("missing"), std::string::npos) << st.error().message;
}

TEST_F(FilesTest, ReadMissingFileNamesIt) {
  auto r = read_file(dir_ / "nope");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nope"), std::string::npos);
  EXPECT_NE(r.error().message.find("No such file"), std::string::npos);
}

TEST_F(FilesTest, PwriteAllWritesAtItsOffsetAndAFullDiskNamesTheFile) {
  const fs::path path = dir_ / "slots";
  {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd.valid());
    ASSERT_TRUE(write_all(fd.get(), "0123456789", path));
    ASSERT_TRUE(pwrite_all(fd.get(), "abc", 4, path));
    ASSERT_TRUE(pwrite_all(fd.get(), "XY", 12, path));  // past the end: a hole before it
  }
  auto r = read_file(path);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::string("0123abc789\0\0XY", 14));
  UniqueFd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(full.valid());
  auto st = pwrite_all(full.get(), "x", 0, "/dev/full");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("/dev/full"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("No space left"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace logship
