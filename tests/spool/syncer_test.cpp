#include "spool/syncer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>

namespace logship::spool {
namespace {

namespace fs = std::filesystem;

// A disk whose fsyncs fail while `failing`, wait while `stuck`, and record the inodes synced.
class Disk {
 public:
  int sync(int fd) {
    struct stat st {};
    ::fstat(fd, &st);
    std::unique_lock lock(mu_);
    ++calls_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !stuck_; });
    if (failing_) return errno = EIO, -1;
    synced_.insert(st.st_ino);
    return 0;
  }
  void set(bool stuck, bool failing) {
    std::lock_guard lock(mu_);
    stuck_ = stuck;
    failing_ = failing;
    cv_.notify_all();
  }
  void wait_for_calls(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return calls_ >= n; });
  }
  std::set<ino_t> take_synced() {
    std::lock_guard lock(mu_);
    return std::exchange(synced_, {});
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0;
  bool stuck_ = false, failing_ = false;
  std::set<ino_t> synced_;
};

class SyncerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("logship-syncer-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  UniqueFd file(const std::string& name) {
    return UniqueFd(::open((dir_ / name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  }
  static ino_t inode(const UniqueFd& fd) {
    struct stat st {};
    ::fstat(fd.get(), &st);
    return st.st_ino;
  }
  fs::path dir_;
};

TEST_F(SyncerTest, WhatFailedIsOwedAgainUnlessItsSegmentWasDeletedMeanwhile) {
  Disk disk;
  Syncer syncer(
      dir_, [&](int fd) { return disk.sync(fd); }, /*background=*/true);
  ASSERT_TRUE(syncer.background());
  auto a = file("a"), b = file("b"), current = file("c");
  ASSERT_TRUE(syncer.owe_segment(a.get(), dir_ / "a"));
  ASSERT_TRUE(syncer.owe_segment(b.get(), dir_ / "b"));
  syncer.owe_dir();
  disk.set(/*stuck=*/true, /*failing=*/true);
  syncer.due(current.get(), dir_ / "c");
  disk.wait_for_calls(1);     // the background sync runs, stuck
  syncer.forget(dir_ / "a");  // segment a is deleted meanwhile
  disk.set(false, true);      // every fsync of it fails
  syncer.wait_idle();
  EXPECT_NE(syncer.error().find("fsync"), std::string::npos) << syncer.error();
  EXPECT_TRUE(syncer.retry_owed()) << "the next due sync is owed, with nothing new written";

  disk.set(false, false);
  EXPECT_TRUE(syncer.sync_now(current.get(), dir_ / "c", /*unsynced=*/false))
      << "the current segment is synced again after a failure";
  EXPECT_EQ(syncer.error(), "");
  EXPECT_FALSE(syncer.retry_owed());
  const auto synced = disk.take_synced();
  EXPECT_EQ(synced.count(inode(a)), 0u) << "a deleted segment needs no fsync";
  EXPECT_EQ(synced.count(inode(b)), 1u) << "a failed one is owed again";
  EXPECT_EQ(synced.count(inode(current)), 1u);
  EXPECT_EQ(synced.size(), 3u) << "and the directory";

  // Nothing owed, nothing due: sync_now syncs only what it is told is unsynced.
  EXPECT_FALSE(syncer.sync_now(current.get(), dir_ / "c", false));
  EXPECT_TRUE(disk.take_synced().empty());
}

}  // namespace
}  // namespace logship::spool
