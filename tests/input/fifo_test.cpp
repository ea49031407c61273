#include "input/fifo.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace logship::input {
namespace {

namespace fs = std::filesystem;

class FifoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("logship-fifo-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FifoTest, CreatesWithModeAndNeverSeesEndOfFile) {
  auto in = open_fifo({dir_ / "in", 0620, std::nullopt});
  ASSERT_TRUE(in) << in.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "in").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
  EXPECT_GE(in->capacity, 65536u);

  // A writer comes, writes, and goes away: the reader gets the data, then EAGAIN, not EOF.
  {
    int w = ::open((dir_ / "in").c_str(), O_WRONLY | O_NONBLOCK);
    ASSERT_GE(w, 0);
    ASSERT_EQ(::write(w, "hello\n", 6), 6);
    ::close(w);
  }
  char buf[64];
  EXPECT_EQ(::read(in->read_fd.get(), buf, sizeof buf), 6);
  errno = 0;
  EXPECT_EQ(::read(in->read_fd.get(), buf, sizeof buf), -1);
  EXPECT_EQ(errno, EAGAIN);
}

TEST_F(FifoTest, ExistingFifoIsReused) {
  ASSERT_EQ(::mkfifo((dir_ / "in").c_str(), 0600), 0);
  auto in = open_fifo({dir_ / "in", 0620, std::nullopt});
  ASSERT_TRUE(in) << in.error().message;
  struct stat st {};
  ::stat((dir_ / "in").c_str(), &st);
  EXPECT_EQ(st.st_mode & 07777, 0600u) << "an existing FIFO keeps the mode its owner gave it";
}

TEST_F(FifoTest, RegularFileIsRefusedWithTheFix) {
  std::ofstream(dir_ / "in") << "x";
  auto in = open_fifo({dir_ / "in", 0620, std::nullopt});
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().kind, ErrorKind::config);
  EXPECT_NE(in.error().message.find("not a FIFO"), std::string::npos) << in.error().message;
}

TEST_F(FifoTest, MissingDirectoryIsAConfigError) {
  auto in = open_fifo({dir_ / "no" / "in", 0620, std::nullopt});
  ASSERT_FALSE(in);
  EXPECT_NE(in.error().message.find((dir_ / "no" / "in").string()), std::string::npos);
}

TEST_F(FifoTest, UnknownGroupIsAConfigError) {
  auto in = open_fifo({dir_ / "in", 0620, std::string("no-such-group-logship")});
  ASSERT_FALSE(in);
  EXPECT_NE(in.error().message.find("no-such-group-logship"), std::string::npos);
}

TEST_F(FifoTest, WriterAtFullSpeedFillsTheRaisedBufferWithoutBlocking) {
  auto in = open_fifo({dir_ / "in", 0620, std::nullopt});
  ASSERT_TRUE(in);
  int w = ::open((dir_ / "in").c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_GE(w, 0);
  std::string chunk(4096, 'x');
  std::size_t written = 0;
  while (::write(w, chunk.data(), chunk.size()) > 0) written += chunk.size();
  ::close(w);
  EXPECT_EQ(written, in->capacity) << "the pipe holds what its raised capacity says";
}

}  // namespace
}  // namespace logship::input
