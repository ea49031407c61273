// The intake landing: unit tests of its files, and the intake killed (SIGKILL, a real process
// death) at each step between taking bytes from the FIFO and starting the next generation,
// then restarted on the same spool: every line arrives exactly once, in order.
#include "input/landing.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "input/intake.hpp"
#include "spool/spool.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"
#include "util/clock.hpp"
#include "util/crc32c.hpp"

namespace logship::input {
namespace {

namespace fs = std::filesystem;

class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe2(fds_, O_NONBLOCK | O_CLOEXEC), 0); }
  ~Pipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  int in() const { return fds_[0]; }
  void write(std::string_view b) {
    ASSERT_EQ(::write(fds_[1], b.data(), b.size()), static_cast<ssize_t>(b.size()));
  }

 private:
  int fds_[2] = {-1, -1};
};

class LandingTest : public ::testing::Test {
 protected:
  std::unique_ptr<Landing> open() {
    auto l = Landing::open(dir_);
    EXPECT_TRUE(l) << (l ? "" : l.error().message);
    return l ? std::move(*l) : nullptr;
  }
  // Takes everything the pipe holds and reads it back.
  static std::string take_all(Landing& l, Pipe& p) {
    std::string got;
    char buf[4096];
    for (;;) {
      const ssize_t n = l.take(p.in(), sizeof buf);
      if (n <= 0) break;
      auto r = l.read(buf, sizeof buf);
      EXPECT_TRUE(r);
      EXPECT_EQ(*r, static_cast<std::size_t>(n));
      got.append(buf, *r);
    }
    return got;
  }

  // A landing whose first generation (spool id `first_id`, lines cut at `max_line`) took
  // `bytes` from a pipe.
  std::unique_ptr<Landing> landed(std::uint64_t first_id, std::size_t max_line,
                                  std::string_view bytes) {
    auto l = open();
    EXPECT_TRUE(l->reset(first_id, "", max_line));
    Pipe p;
    p.write(bytes);
    EXPECT_EQ(take_all(*l, p), bytes);
    return l;
  }

  test::TempDir tmp_;
  const fs::path& dir_ = tmp_.path();
};

TEST_F(LandingTest, NothingLandsBeforeTheFirstGenerationStarts) {
  auto l = open();
  EXPECT_FALSE(l->take_leftover());
  EXPECT_FALSE(l->usable());
  Pipe p;
  p.write("a\n");
  EXPECT_EQ(l->take(p.in(), 100), -1) << "no header describes the bytes yet";
  ASSERT_TRUE(l->reset(1, "", 1024));
  EXPECT_TRUE(l->usable());
  EXPECT_EQ(take_all(*l, p), "a\n") << "the pipe kept them";
}

TEST_F(LandingTest, WhatWasTakenAndNotResetIsTheNextOpensLeftover) {
  landed(7, 1024, "one\ntwo\n");  // and killed: no reset
  auto l = open();
  auto left = l->take_leftover();
  ASSERT_TRUE(left);
  EXPECT_EQ(left->bytes, "one\ntwo\n");
  EXPECT_EQ(left->first_id, 7u);
  EXPECT_EQ(left->max_line, 1024u);
  EXPECT_FALSE(l->take_leftover()) << "handed out once";
  EXPECT_TRUE(l->stale_note().empty());
}

TEST_F(LandingTest, AResetKeepsOnlyThePendingStartOfALine) {
  {
    auto l = open();
    ASSERT_TRUE(l->reset(1, "", 64));
    Pipe p;
    p.write("one\ntwo\nthr");
    take_all(*l, p);
    ASSERT_TRUE(l->reset(3, "thr", 64));
    p.write("ee\nfo");
    take_all(*l, p);
  }
  auto left = open()->take_leftover();
  ASSERT_TRUE(left);
  EXPECT_EQ(left->bytes, "three\nfo");
  EXPECT_EQ(left->first_id, 3u);
  EXPECT_EQ(left->max_line, 64u);
}

TEST_F(LandingTest, PendingBytesThatAreNotTheLandedTailGoToAFreshFile) {
  ASSERT_TRUE(landed(1, 64, "one\n")->reset(2, "read into memory", 64));  // after a failed splice
  auto left = open()->take_leftover();
  ASSERT_TRUE(left);
  EXPECT_EQ(left->bytes, "read into memory");
  EXPECT_EQ(left->first_id, 2u);
}

TEST_F(LandingTest, ALargeLandingRotatesToTheOtherFileAndEmptiesTheFirst) {
  auto l = open();
  ASSERT_TRUE(l->reset(1, "", 1 << 20));
  Pipe p;
  const std::string chunk(60000, 'x');
  std::size_t landed = 0;
  while (landed < static_cast<std::size_t>(Landing::kRotateBytes)) {
    p.write(chunk + "\n");
    landed += take_all(*l, p).size();
  }
  // The first generation went to landing.1 (the other file than an empty landing.0).
  EXPECT_GE(fs::file_size(dir_ / "landing.1"), static_cast<std::uintmax_t>(Landing::kRotateBytes));
  ASSERT_TRUE(l->reset(1000, "", 1 << 20));
  EXPECT_EQ(fs::file_size(dir_ / "landing.1"), 0u) << "its bytes are in the spool";
  p.write("next\n");
  EXPECT_EQ(take_all(*l, p), "next\n");
  auto left = open()->take_leftover();
  ASSERT_TRUE(left);
  EXPECT_EQ(left->bytes, "next\n");
  EXPECT_EQ(left->first_id, 1000u);
}

TEST_F(LandingTest, ATornNewestHeaderFallsBackToThePreviousGeneration) {
  // Generation 1 in landing.1, slot 1; generation 2 in the same file, slot 0.
  ASSERT_TRUE(landed(1, 64, "one\ntw")->reset(2, "tw", 64));
  // The write of generation 2's header was cut short by the kill.
  {
    std::fstream f(dir_ / "landing.1", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x55');
  }
  auto left = open()->take_leftover();
  ASSERT_TRUE(left);
  EXPECT_EQ(left->first_id, 1u);
  EXPECT_EQ(left->bytes, "one\ntw") << "the previous generation's bytes, all of them";
}

TEST_F(LandingTest, ALandingFromAnEarlierBootIsReportedNotReplayed) {
  landed(1, 64, "before the power cut\n");
  // Generation 1 lies in landing.1, slot 1: give it another boot id, with a valid checksum.
  {
    std::fstream f(dir_ / "landing.1", std::ios::in | std::ios::out | std::ios::binary);
    std::string slot(128, '\0');
    f.seekg(128);
    f.read(slot.data(), 128);
    ASSERT_EQ(slot.substr(0, 6), "LSLAND");
    std::memcpy(slot.data() + 56, "00000000-0000-0000-0000-000000000000", 36);
    const std::uint32_t crc = crc32c(std::string_view(slot).substr(0, 96));
    std::memcpy(slot.data() + 96, &crc, 4);
    f.seekp(128);
    f.write(slot.data(), 128);
  }
  auto l = open();
  EXPECT_FALSE(l->take_leftover());
  EXPECT_NE(l->stale_note().find("21 bytes"), std::string::npos) << l->stale_note();
}

// The sink of the agent: the spool, with a kill at a chosen step.
enum class Step { begin_read, append, flush_before, flush_after };

struct Scenario {
  Step step;
  int count;            // the count-th time the step is reached, the process is killed
  bool finish = false;  // the child stops (finish) after its first drain, as on SIGTERM
  const char* name;
  bool big = false;  // the first drain takes several read chunks (several landing generations)
  std::size_t restart_max_line = 0;  // the restart's --max-line, if not the same
};

void PrintTo(const Scenario& s, std::ostream* os) {
  *os << s.name;
}

class SpoolSink final : public LineSink {
 public:
  SpoolSink(spool::Spool& s, std::optional<Scenario> kill = std::nullopt)
      : spool_(s), kill_(kill) {}
  void begin_read() override { at(Step::begin_read); }
  Result<void> append(std::string_view piece, bool partial) override {
    at(Step::append);
    return spool_.append(piece, partial);
  }
  Result<void> flush() override {
    at(Step::flush_before);
    auto st = spool_.flush();
    at(Step::flush_after);
    return st;
  }
  std::uint64_t next_id() const override { return spool_.next_id(); }

 private:
  void at(Step s) {
    if (kill_ && kill_->step == s && ++seen_ == kill_->count) ::raise(SIGKILL);
  }
  spool::Spool& spool_;
  std::optional<Scenario> kill_;
  int seen_ = 0;
};

std::string numbered(const char* tag, int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += std::string(tag) + " line " + std::to_string(i) + "\n";
  return s;
}

class KilledIntakeTest : public ::testing::TestWithParam<Scenario> {
 protected:
  static constexpr std::size_t kMaxLine = 1024;
  // Bytes per read(2) in the child: several reads, and a landing that starts over, per drain.
  static constexpr std::size_t kChunk = 256 * 1024;

  void SetUp() override {
    ASSERT_EQ(::mkfifo(fifo().c_str(), 0600), 0);
    writer_ = ::open(fifo().c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);  // syslog's end
    ASSERT_GE(writer_, 0);
  }
  void TearDown() override { ::close(writer_); }
  fs::path fifo() const { return dir_ / "in.fifo"; }
  void write(const std::string& b) {
    ASSERT_EQ(::write(writer_, b.data(), b.size()), static_cast<ssize_t>(b.size()));
    written_ += b;
  }
  // The spool's records as the text they came from: a fragment runs on into the next piece.
  std::string spooled(spool::Spool& s) {
    std::string text;
    spool::Cursor c;
    spool::Slice slice;
    std::uint64_t expect_id = 1;
    for (;;) {
      EXPECT_TRUE(s.read_slice(c, std::numeric_limits<std::uint64_t>::max(), 1 << 20, 100000, slice,
                               /*verify=*/true, /*pin=*/false));
      if (slice.records.empty()) return text;
      for (const auto& r : slice.records) {
        EXPECT_EQ(r.id, expect_id++) << "no hole: nothing was lost and counted either";
        text += r.data;
        if (!r.partial) text += '\n';
      }
    }
  }

  test::TempDir tmp_;
  const fs::path& dir_ = tmp_.path();
  int writer_ = -1;
  std::string written_;
};

TEST_P(KilledIntakeTest, TheRestartSpoolsEveryLineOnceInOrder) {
  const Scenario sc = GetParam();
  ManualClock clock;
  // A: lines, one longer than the maximum (cut into fragments), and a line's start.
  std::string part_a = numbered("A", 1, 200) + std::string(3000, 'L') + "\n";
  if (sc.big) {
    ASSERT_GE(::fcntl(writer_, F_SETPIPE_SZ, 1 << 20), 1 << 20);
    part_a += numbered("A-bulk", 1, 40000).substr(0, 3 * kChunk);
    part_a += "\n";
  }
  write(part_a + "unfinished-start");
  const std::string part_b = "-end\n" + numbered("B", 1, 100);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::alarm(10);  // a kill that never comes must not hang the test
    auto sp = spool::Spool::open({dir_ / "spool"}, clock);
    auto land = Landing::open(dir_);
    auto in = open_fifo({fifo(), 0600, std::nullopt});
    if (!sp || !land || !in) ::_exit(3);
    SpoolSink sink(**sp, sc);
    Intake intake(std::move(*in), sink, kMaxLine, land->get(), kChunk);
    intake.drain();
    if (sc.finish) intake.finish();
    if (::write(writer_, part_b.data(), part_b.size()) != static_cast<ssize_t>(part_b.size()))
      ::_exit(4);
    std::ofstream(dir_ / "b-written").put('\n');
    for (;;) intake.drain();
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child did not reach its kill point: status " << status;
  if (fs::exists(dir_ / "b-written"))
    written_ += part_b;
  else
    write(part_b);  // killed in its first drain
  write(numbered("C", 1, 50));

  auto sp = spool::Spool::open({dir_ / "spool"}, clock);
  ASSERT_TRUE(sp) << sp.error().message;
  auto land = Landing::open(dir_);
  ASSERT_TRUE(land) << land.error().message;
  auto in = open_fifo({fifo(), 0600, std::nullopt});
  ASSERT_TRUE(in);
  SpoolSink sink(**sp);
  {
    Intake intake(std::move(*in), sink, sc.restart_max_line ? sc.restart_max_line : kMaxLine,
                  land->get());
    while (intake.drain() > 0) {
    }
    intake.finish();
  }
  const std::string got = spooled(**sp);
  EXPECT_TRUE(got == written_) << "spooled " << got.size() << " bytes of " << written_.size()
                               << "; " << test::first_difference(got, written_);
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, KilledIntakeTest,
    ::testing::Values(Scenario{Step::begin_read, 1, false, "TakenNotAppended"},
                      Scenario{Step::append, 150, false, "HalfAppendedInMemory"},
                      Scenario{Step::flush_before, 1, false, "AppendedNotWritten"},
                      Scenario{Step::flush_after, 1, false, "WrittenLandingNotReset"},
                      Scenario{Step::begin_read, 2, false, "SecondDrainTakenNotAppended"},
                      Scenario{Step::flush_after, 2, false, "SecondDrainWrittenNotReset"},
                      Scenario{Step::flush_after, 2, true, "StoppedFragmentWrittenNotReset"},
                      Scenario{Step::begin_read, 3, true, "StoppedThenKilledLater"},
                      Scenario{Step::flush_after, 2, false, "BigDrainSecondChunkNotReset", true},
                      Scenario{Step::begin_read, 3, false, "BigDrainThirdChunkTaken", true},
                      // the unfinished line (16 bytes) is longer than the restart's lines
                      Scenario{Step::begin_read, 1, false, "RestartWithShorterLines", false, 8}),
    [](const auto& i) { return std::string(i.param.name); });

// Without a usable landing (its disk full, here a directory it cannot write), the intake reads
// into memory as before: nothing is lost while the agent runs.
TEST(IntakeWithoutLanding, AFailingLandingFallsBackToReading) {
  test::TempDir tmp;
  const fs::path& dir = tmp.path();
  fs::create_symlink("/dev/full", dir / "landing.0");
  fs::create_symlink("/dev/full", dir / "landing.1");
  ManualClock clock;
  auto sp = spool::Spool::open({dir / "spool"}, clock);
  ASSERT_TRUE(sp);
  auto land = Landing::open(dir);
  ASSERT_TRUE(land) << land.error().message;
  ASSERT_EQ(::mkfifo((dir / "in").c_str(), 0600), 0);
  const int w = ::open((dir / "in").c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  auto in = open_fifo({dir / "in", 0600, std::nullopt});
  ASSERT_TRUE(in);
  SpoolSink sink(**sp);
  Intake intake(std::move(*in), sink, 1024, land->get());
  EXPECT_FALSE((*land)->usable());
  const std::string lines = numbered("x", 1, 10);
  ASSERT_EQ(::write(w, lines.data(), lines.size()), static_cast<ssize_t>(lines.size()));
  EXPECT_EQ(intake.drain(), lines.size());
  EXPECT_EQ((*sp)->next_id(), 11u);
  ::close(w);
}

}  // namespace
}  // namespace logship::input
