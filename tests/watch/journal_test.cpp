// The watcher's journal: a round's record is written before its lines, so that a stop between
// the two (kill -9, power loss) is completed at the next start: each line once.
#include "watch/journal.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "util/clock.hpp"
#include "vault_fixture.hpp"
#include "watch/watcher.hpp"

namespace logship::watch {
namespace {

namespace fs = std::filesystem;
using vault::testing::at;
using vault::testing::lines;

void write(const fs::path& p, const std::string& bytes, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream(p, std::ios::binary | std::ios::out | mode) << bytes;
}

// A vault file written by a simulated sender, a key file, and a watcher over them.
struct Rig {
  vault::testing::TempDir dir;
  fs::path state = dir.path() / "state", emit = dir.path() / "emit.log",
           vault = dir.path() / "v.log", key = dir.path() / "k.key";
  vault::testing::Sender sender;
  std::string expected;  // the payload so far
  int next = 0;
  SystemClock clock;
  Rig() {
    write(key, "logship-key v1 " + crypto::to_hex(vault::testing::test_key()) + "\n");
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  }
  void batches(int n) {
    for (int i = 0; i < n; ++i, ++next) {
      std::vector<std::string> l;
      for (int k = 0; k < 3; ++k)
        l.push_back("line " + std::to_string(next) + "." + std::to_string(k));
      write(vault, sender.next(lines({l[0], l[1], l[2]}), at(next)), std::ios::app);
      for (const auto& x : l) expected += x + "\n";
    }
  }
  std::unique_ptr<Watcher> start(EmitFormat format = EmitFormat::raw) {
    WatchOptions opt;
    opt.status_file = dir.path() / "status.json";
    opt.state_dir = state;
    opt.emit = emit;
    opt.emit_format = format;
    opt.streams.push_back({"s", vault, vault.string() + "-*", {}, key, {}, false});
    auto w = Watcher::start(opt, clock);
    EXPECT_TRUE(w) << (w ? "" : w.error().message);
    return w ? std::move(*w) : nullptr;
  }
};

// Cut the last round's lines at every byte (the stop came in the middle of writing them, or
// before): the next start writes exactly the rest, in raw and in json.
TEST(Journal, LinesOfARoundCutByAStopAreCompletedOnceAtTheNextStart) {
  for (auto format : {EmitFormat::raw, EmitFormat::json}) {
    Rig probe;  // (how long the second round's lines are)
    probe.batches(2);
    {
      auto w = probe.start(format);
      ASSERT_TRUE(w && w->round());
    }
    const auto first = vault::testing::slurp(probe.emit).size();
    probe.batches(3);
    {
      auto w = probe.start(format);
      ASSERT_TRUE(w && w->round());
    }
    const auto whole = vault::testing::slurp(probe.emit);
    for (std::size_t cut = first; cut <= whole.size(); cut += 7) {
      SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(whole.size()));
      Rig r;
      r.batches(2);
      {
        auto w = r.start(format);
        ASSERT_TRUE(w && w->round());
      }
      r.batches(3);
      {
        auto w = r.start(format);
        ASSERT_TRUE(w && w->round());
      }  // (dropped without stop(): as after kill -9)
      ASSERT_EQ(vault::testing::slurp(r.emit), whole);
      ASSERT_EQ(::truncate(r.emit.c_str(), static_cast<off_t>(cut)), 0);
      {
        auto w = r.start(format);
        ASSERT_TRUE(w && w->round());
        ASSERT_TRUE(w->stop());
      }
      EXPECT_EQ(vault::testing::slurp(r.emit), whole);
      {  // and again: nothing twice
        auto w = r.start(format);
        ASSERT_TRUE(w && w->round());
      }
      EXPECT_EQ(vault::testing::slurp(r.emit), whole);
      if (format == EmitFormat::raw) {
        EXPECT_EQ(whole, r.expected);
      }
    }
  }
}

// The emit file rotated (renamed) while the watcher was stopped in the middle of a round:
// the renamed file is found, and the new one gets exactly what it lacks.
TEST(Journal, LinesCutByAStopReachTheNewEmitFileWhenTheOldOneWasRotated) {
  Rig r;
  r.batches(2);
  {
    auto w = r.start();
    ASSERT_TRUE(w && w->round());
  }
  r.batches(3);
  {
    auto w = r.start();
    ASSERT_TRUE(w && w->round());
  }
  const auto whole = vault::testing::slurp(r.emit);
  ASSERT_EQ(whole, r.expected);
  const auto cut = whole.size() - 20;
  ASSERT_EQ(::truncate(r.emit.c_str(), static_cast<off_t>(cut)), 0);
  const auto rotated = r.dir.path() / "emit.log-1";
  fs::rename(r.emit, rotated);
  {
    auto w = r.start();
    ASSERT_TRUE(w && w->round());
    ASSERT_TRUE(w->stop());
  }
  EXPECT_EQ(vault::testing::slurp(rotated) + vault::testing::slurp(r.emit), whole);
}

// A stream that goes on from before a cut round does not report that round's findings again.
TEST(Journal, FindingsOfARoundCutByAStopAreNotReportedTwice) {
  Rig r;
  r.batches(1);
  {
    auto w = r.start();
    ASSERT_TRUE(w && w->round());
  }
  write(r.vault, "planted line\n", std::ios::app);
  r.batches(2);
  {
    auto w = r.start();
    ASSERT_TRUE(w && w->round());
  }  // (dropped without stop(): as after kill -9)
  const auto status = [&] { return vault::testing::slurp(r.dir.path() / "status.json"); };
  ASSERT_NE(status().find("\"findings\":1,"), std::string::npos) << status();
  const auto whole = vault::testing::slurp(r.emit);
  ASSERT_EQ(::truncate(r.emit.c_str(), static_cast<off_t>(whole.size() - 3)), 0);
  {
    auto w = r.start();
    ASSERT_TRUE(w && w->round() && w->stop());
  }
  EXPECT_EQ(vault::testing::slurp(r.emit), whole);
  EXPECT_NE(status().find("\"findings\":1,"), std::string::npos) << status();
}

TEST(Journal, ARecordCutByACrashIsDroppedAndRoundsFoldedIntoTheCheckpointAreNotReplayed) {
  vault::testing::TempDir dir;
  {
    auto j = Journal::open(dir.path());
    ASSERT_TRUE(j);
    ASSERT_TRUE(j->load());
    ASSERT_TRUE(j->append({1, 7, 0, {{"s", "v1", 2}}}, true));
    ASSERT_TRUE(j->compact({{"s", "v1"}}, 1));
    ASSERT_TRUE(j->append({2, 7, 2, {{"s", "v2", 2}, {"t", "w1", 0}}}, true));
  }
  write(dir.path() / "journal", std::string("LSWJ\x10\0\0", 7), std::ios::app);  // cut record
  auto j = Journal::open(dir.path());
  ASSERT_TRUE(j);
  auto loaded = j->load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->streams.at("s"), "v2");
  ASSERT_TRUE(loaded->last);
  EXPECT_EQ(loaded->last->number, 2u);
  EXPECT_EQ(loaded->last->emit_total(), 2u);
  EXPECT_EQ(loaded->before_last.at("s"), "v1");
  EXPECT_EQ(loaded->before_last.count("t"), 0u);
  EXPECT_EQ(loaded->next_round, 3u);
}

TEST(Journal, ADamagedCheckpointIsRefusedWithTheFix) {
  vault::testing::TempDir dir;
  write(dir.path() / "checkpoint", "logship-watch-checkpoint v1\ngarbage");
  auto j = Journal::open(dir.path());
  ASSERT_TRUE(j);
  auto loaded = j->load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("remove the state directory"), std::string::npos);
}

}  // namespace
}  // namespace logship::watch
