// Syncer: checkpoints saved on a thread of their own, the latest one winning, failures reported.
#include "follow/syncer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

namespace logship::follow {
namespace {

Checkpoint at(std::uint64_t offset) {
  Checkpoint c;
  c.generation = 7;
  c.offset = offset;
  c.local_size = offset;
  return c;
}

TEST(Syncer, SavesTheLatestCheckpointAndWaits) {
  test::TempDir dir;
  const int fd = ::open((dir.path() / "copy").c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  auto file = CheckpointFile::open(dir.path() / "c.ckpt");
  ASSERT_TRUE(file);
  {
    Syncer s;
    int owner = 0;
    EXPECT_TRUE(s.wait(&owner));  // nothing submitted: nothing to wait for
    for (std::uint64_t i = 1; i <= 50; ++i) s.submit(&owner, Syncer::Job{fd, at(i), &*file});
    ASSERT_TRUE(s.wait(&owner));
    auto loaded = file->load();
    ASSERT_TRUE(loaded && loaded->has_value());
    EXPECT_EQ((*loaded)->offset, 50u);  // queued ones were replaced by later ones
    s.submit(&owner, Syncer::Job{fd, at(60), &*file});
  }  // the destructor finishes what was queued
  auto loaded = file->load();
  ASSERT_TRUE(loaded && loaded->has_value());
  EXPECT_EQ((*loaded)->offset, 60u);
  ::close(fd);
}

TEST(Syncer, ReportsAFailureOnceToItsOwner) {
  test::TempDir dir;
  auto file = CheckpointFile::open(dir.path() / "c.ckpt");
  ASSERT_TRUE(file);
  Syncer s;
  int a = 0, b = 0;
  s.submit(&a, Syncer::Job{-1, at(1), &*file});  // fdatasync(-1) fails: nothing saved
  auto st = s.wait(&a);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::io);
  EXPECT_TRUE(s.failure(&a));  // reported once
  EXPECT_TRUE(s.failure(&b));  // and only to its owner
  auto loaded = file->load();
  ASSERT_TRUE(loaded);
  EXPECT_FALSE(loaded->has_value());
}

}  // namespace
}  // namespace logship::follow
