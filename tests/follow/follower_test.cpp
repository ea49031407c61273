// SftpFollower's decisions against an in-memory host (FakeRemoteFiles), no sshd: growth,
// rename rotation, truncation with and without a rotated copy, a path missing then appearing,
// paths that are not files, and read errors that are the file's (its state) or the link's
// (returned to the Puller). The real-sshd tests are in pull_*_test.cpp.
#include "follow/sftp_follower.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "fake_remote_files.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

namespace logship::follow {
namespace {

const std::string kPath = "/var/log/app.log";

class FollowerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(make()); }

  // A follower of kPath with a raw local copy; `patterns`: where rotated copies are looked for.
  bool make(std::vector<std::string> patterns = {"{}.1"}) {
    follower_.reset();
    OutputOptions o;
    o.path = dir_.path() / "copy" / "app.log";
    o.format = Format::raw;
    auto out = Output::open(o, clock_);
    auto ckpt = CheckpointFile::open(dir_.path() / "app.ckpt");
    if (!out || !ckpt) return false;
    SftpFollowOptions so;
    so.remote = kPath;
    so.rotated_patterns = std::move(patterns);
    follower_ = std::make_unique<SftpFollower>(std::move(so), std::move(*out), std::move(*ckpt),
                                               syncer_, clock_);
    return static_cast<bool>(follower_->start());
  }

  // One look, a poll interval after the last, as the Puller schedules them.
  Result<void> poll() {
    clock_.advance(std::chrono::milliseconds(500));
    Link link{nullptr, &host_};
    return follower_->poll(link);
  }
  // Looks until the copy holds `expected` (at most `looks` of them); the copy then.
  std::string poll_until(const std::string& expected, int looks = 10) {
    for (int i = 0; i < looks && copy() != expected; ++i) EXPECT_TRUE(poll());
    return copy();
  }

  std::string copy() const {
    std::ifstream in(dir_.path() / "copy" / "app.log", std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  FileStatus status() const { return follower_->status(); }

  test::TempDir dir_;
  ManualClock clock_;
  Syncer syncer_;
  test::FakeRemoteFiles host_;
  std::unique_ptr<SftpFollower> follower_;
};

TEST_F(FollowerTest, GrowthIsCopiedAsItIsWritten) {
  host_.append(kPath, "one\ntwo\n");
  ASSERT_TRUE(poll());
  EXPECT_EQ(copy(), "one\ntwo\n");
  EXPECT_EQ(status().state, FileState::following);
  EXPECT_EQ(status().last_event, FileEvent::started);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(poll());  // nothing new: nothing copied again
  EXPECT_EQ(copy(), "one\ntwo\n");
  host_.append(kPath, "three\n");
  EXPECT_EQ(poll_until("one\ntwo\nthree\n"), "one\ntwo\nthree\n");
  EXPECT_EQ(status().bytes, 14u);
  EXPECT_EQ(status().offset, 14u);
  EXPECT_EQ(host_.open_files(), 1u);
}

TEST_F(FollowerTest, RenameRotationFinishesTheOldFileThenFollowsTheNewOne) {
  host_.append(kPath, "old 1\n");
  ASSERT_TRUE(poll());
  host_.append(kPath, "old 2\n");  // written before the rename, not read yet
  host_.rename(kPath, kPath + ".1");
  host_.append(kPath, "new 1\n");
  EXPECT_EQ(poll_until("old 1\nold 2\nnew 1\n"), "old 1\nold 2\nnew 1\n");
  EXPECT_EQ(status().rotations, 1u);
  EXPECT_EQ(status().last_event, FileEvent::rotated);
  EXPECT_EQ(status().offset, 6u);  // in the new file
  EXPECT_EQ(host_.open_files(), 1u) << "the old file is closed";
}

TEST_F(FollowerTest, RenamedToANewEmptyFileDrainsUntilTheWriterMovesOn) {
  host_.append(kPath, "old 1\n");
  ASSERT_TRUE(poll());
  host_.rename(kPath, kPath + ".1");
  host_.append(kPath, "");  // a new, empty file: the writer may still write the old one
  ASSERT_TRUE(poll());
  EXPECT_EQ(status().state, FileState::draining);
  host_.append(kPath + ".1", "old 2\n");
  host_.append(kPath, "new 1\n");
  EXPECT_EQ(poll_until("old 1\nold 2\nnew 1\n"), "old 1\nold 2\nnew 1\n");
  EXPECT_EQ(status().state, FileState::following);
  EXPECT_EQ(status().rotations, 1u);
}

TEST_F(FollowerTest, TruncationWithoutACopyStartsAgainAndIsCounted) {
  host_.append(kPath, "0123456789\n");
  ASSERT_TRUE(poll());
  host_.truncate(kPath);
  host_.append(kPath, "x\n");
  EXPECT_EQ(poll_until("0123456789\nx\n"), "0123456789\nx\n");
  EXPECT_EQ(status().truncations, 1u);
  EXPECT_EQ(status().copytruncations, 0u);
  EXPECT_EQ(status().last_event, FileEvent::truncated);
}

TEST_F(FollowerTest, CopytruncateReadsTheRestFromTheCopy) {
  host_.append(kPath, "line 1\n");
  ASSERT_TRUE(poll());
  host_.append(kPath, "line 2\n");  // not read before the copy was taken
  host_.copy(kPath, kPath + ".1");
  host_.truncate(kPath);
  host_.append(kPath, "line 3\n");
  EXPECT_EQ(poll_until("line 1\nline 2\nline 3\n"), "line 1\nline 2\nline 3\n");
  EXPECT_EQ(status().copytruncations, 1u);
  EXPECT_EQ(status().truncations, 0u);
  EXPECT_EQ(status().last_event, FileEvent::copytruncated);
  EXPECT_EQ(host_.open_files(), 1u) << "the copy is closed";
}

TEST_F(FollowerTest, MissingThenAppearingThenDeletedAndRecreated) {
  ASSERT_TRUE(poll());
  EXPECT_EQ(status().state, FileState::missing);
  EXPECT_EQ(status().problem, "no such file; retrying");
  host_.append(kPath, "first\n");
  EXPECT_EQ(poll_until("first\n"), "first\n");
  EXPECT_EQ(status().state, FileState::following);
  EXPECT_EQ(status().problem, "");
  host_.remove(kPath);
  ASSERT_TRUE(poll());
  EXPECT_EQ(status().state, FileState::draining) << "the file held open is read meanwhile";
  host_.append(kPath, "second\n");
  EXPECT_EQ(poll_until("first\nsecond\n"), "first\nsecond\n");
  EXPECT_EQ(status().state, FileState::following);
  EXPECT_EQ(status().rotations, 1u);
}

TEST_F(FollowerTest, PathsThatAreNotReadableFilesAreStatesAndRetried) {
  host_.make_dangling_symlink(kPath);
  ASSERT_TRUE(poll());
  EXPECT_EQ(status().state, FileState::not_regular);
  EXPECT_EQ(status().problem, "the path names a dangling symbolic link, not a file; retrying");
  host_.make_directory(kPath);
  ASSERT_TRUE(poll());
  EXPECT_EQ(status().state, FileState::not_regular);
  EXPECT_EQ(status().problem, "the path names a directory, not a file; retrying");
  host_.remove(kPath);
  host_.append(kPath, "at last\n");
  host_.deny(kPath);
  ASSERT_TRUE(poll());
  EXPECT_EQ(status().state, FileState::unreadable);
  EXPECT_EQ(status().problem, "permission denied; retrying");
  host_.deny(kPath, false);
  EXPECT_EQ(poll_until("at last\n"), "at last\n");
  EXPECT_EQ(status().state, FileState::following);
}

TEST_F(FollowerTest, AReadRefusedForTheFileIsItsStateAndTheNextLookGoesOn) {
  host_.append(kPath, "a\n");
  ASSERT_TRUE(poll());
  host_.append(kPath, "b\n");
  host_.fail_next_read(FileProblem::permission_denied);
  ASSERT_TRUE(poll()) << "a problem of the file is not the link's";
  EXPECT_EQ(status().state, FileState::error);
  EXPECT_EQ(status().problem, kPath + ": read refused");
  EXPECT_EQ(poll_until("a\nb\n"), "a\nb\n");
  EXPECT_EQ(status().state, FileState::following);
  EXPECT_EQ(status().rotations + status().truncations + status().replaced, 0u);
}

TEST_F(FollowerTest, AReadFailedByTheLinkIsReturnedAndResumedAfterAReconnect) {
  host_.append(kPath, "a\n");
  ASSERT_TRUE(poll());
  host_.append(kPath, "b\n");
  host_.fail_next_read(FileProblem::none);
  auto st = poll();
  ASSERT_FALSE(st) << "the link's failure goes to the Puller";
  EXPECT_EQ(st.error().kind, ErrorKind::network);
  EXPECT_EQ(status().state, FileState::following);
  follower_->disconnected();
  EXPECT_EQ(poll_until("a\nb\n"), "a\nb\n") << "resumed at the offset: nothing twice";
  EXPECT_EQ(status().rotations + status().truncations + status().replaced, 0u);
}

TEST_F(FollowerTest, RotatedWhileNobodyWatchedIsFinishedFromTheCopyAfterARestart) {
  host_.append(kPath, "old 1\n");
  ASSERT_TRUE(poll());
  ASSERT_TRUE(follower_->checkpoint(true));
  host_.append(kPath, "old 2\n");
  host_.rename(kPath, kPath + ".1");
  host_.append(kPath, "new 1\n");
  ASSERT_TRUE(make());  // a restart: from the checkpoint, no handle held
  EXPECT_EQ(poll_until("old 1\nold 2\nnew 1\n"), "old 1\nold 2\nnew 1\n");
  EXPECT_EQ(status().rotations, 1u);
  ASSERT_TRUE(follower_->checkpoint(true));
  ASSERT_TRUE(make({}));  // no patterns: the old file cannot be found
  host_.append(kPath, "new 2\n");
  host_.rename(kPath, kPath + ".2");
  host_.append(kPath, "other\n");
  EXPECT_EQ(poll_until("old 1\nold 2\nnew 1\nother\n"), "old 1\nold 2\nnew 1\nother\n");
  EXPECT_EQ(status().replaced, 1u) << "new 2 was lost, and that is counted";
}

}  // namespace
}  // namespace logship::follow
