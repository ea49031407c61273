// The watcher's journal: a round's lines are journalled before they are emitted, so that a
// stop between the two (kill -9, power loss) is completed at the next start, once.
#include "watch/journal.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "util/clock.hpp"
#include "vault_fixture.hpp"
#include "watch/watcher.hpp"

namespace logship::watch {
namespace {

namespace fs = std::filesystem;

std::uint64_t inode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_ino;
}

void write(const fs::path& p, const std::string& bytes, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream(p, std::ios::binary | std::ios::out | mode) << bytes;
}

struct Rig {
  vault::testing::TempDir dir;
  fs::path state = dir.path() / "state", emit = dir.path() / "emit.log";
  Rig() { fs::create_directories(state); }
  // Starts (and drops) a watcher without streams: it completes the emit file.
  void start() {
    SystemClock clock;
    WatchOptions opt;
    opt.state_dir = state;
    opt.emit = emit;
    auto w = Watcher::start(opt, clock);
    ASSERT_TRUE(w) << w.error().message;
  }
};

TEST(Journal, LinesJournalledButNotAllEmittedAreCompletedOnceAtTheNextStart) {
  Rig r;
  write(r.emit, "old\n");
  {
    auto j = Journal::open(r.state);
    ASSERT_TRUE(j);
    ASSERT_TRUE(j->load());
    ASSERT_TRUE(j->append({1, inode(r.emit), 4, "one\ntwo\n", {}}, true));
    ASSERT_TRUE(j->append({2, inode(r.emit), 12, "three\n", {{"s", "rec"}}}, true));
  }
  write(r.emit, "one\ntw", std::ios::app);  // the stop came in the middle of round 1
  r.start();
  EXPECT_EQ(vault::testing::slurp(r.emit), "old\none\ntwo\nthree\n");
  r.start();  // and again: nothing twice
  EXPECT_EQ(vault::testing::slurp(r.emit), "old\none\ntwo\nthree\n");
}

TEST(Journal, ARecordCutByACrashIsDroppedAndRoundsFoldedIntoTheCheckpointAreNotReplayed) {
  Rig r;
  write(r.emit, "");
  {
    auto j = Journal::open(r.state);
    ASSERT_TRUE(j);
    ASSERT_TRUE(j->load());
    ASSERT_TRUE(j->append({1, inode(r.emit), 0, "a\n", {{"s", "v1"}}}, true));
    ASSERT_TRUE(j->compact({{"s", "v1"}}, 1));
    ASSERT_TRUE(j->append({2, inode(r.emit), 2, "b\n", {{"s", "v2"}}}, true));
  }
  write(r.emit, "a\nb\n");
  write(r.state / "journal", std::string("LSWJ\x10\0\0", 7), std::ios::app);  // a cut record
  auto j = Journal::open(r.state);
  ASSERT_TRUE(j);
  auto loaded = j->load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->streams.at("s"), "v2");
  ASSERT_EQ(loaded->rounds.size(), 1u);
  EXPECT_EQ(loaded->rounds[0].number, 2u);
  EXPECT_EQ(loaded->next_round, 3u);
}

TEST(Journal, AnEmitFileShorterThanJournalledIsNotPatchedWithAGap) {
  Rig r;
  write(r.emit, "x\n");
  {
    auto j = Journal::open(r.state);
    ASSERT_TRUE(j);
    ASSERT_TRUE(j->load());
    ASSERT_TRUE(j->append({1, inode(r.emit), 100, "late\n", {}}, true));
  }
  r.start();
  EXPECT_EQ(vault::testing::slurp(r.emit), "x\n");
}

TEST(Journal, ADamagedCheckpointIsRefusedWithTheFix) {
  Rig r;
  write(r.state / "checkpoint", "logship-watch-checkpoint v1\ngarbage");
  auto j = Journal::open(r.state);
  ASSERT_TRUE(j);
  auto loaded = j->load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("remove the state directory"), std::string::npos);
}

}  // namespace
}  // namespace logship::watch
