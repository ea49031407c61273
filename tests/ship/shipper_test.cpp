#include "ship/shipper.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

namespace logship::ship {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A vault link that fails the deliveries the test asks it to, and records every attempt. Its
// time is the test's clock: a slow write moves the clock on.
class ScriptedLink final : public VaultLink {
 public:
  explicit ScriptedLink(ManualClock& clock) : clock_(clock) {}
  Result<void> open() override {
    writing.clear();
    return {};
  }
  Result<void> write(std::string_view piece) override {
    clock_.advance(write_delay);  // a slow link (the fault injected)
    writing += piece;
    ++writes;
    if (on_write) on_write();
    if (!fail_write_with.empty() && piece.find(fail_write_with) != std::string_view::npos) {
      fail_write_with.clear();
      attempts.push_back(std::move(writing));
      if (on_failure) on_failure();
      return make_error(ErrorKind::timeout, "writing to the vault: no answer");
    }
    return {};
  }
  Result<void> finish() override {
    const std::string batch = std::move(writing);
    attempts.push_back(batch);
    attempt_times.push_back(clock_.now());
    if (fail_next > 0) {
      --fail_next;
      if (on_failure) on_failure();
      return make_error(ErrorKind::remote_refused, "cat: write error: No space left on device");
    }
    delivered.emplace_back(batch);
    return {};
  }
  void reset() override {}
  void idle() override { ++idles; }
  std::uint64_t connections() const override { return 1; }

  int fail_next = 0;
  std::string writing;
  std::size_t writes = 0, idles = 0;
  std::chrono::milliseconds write_delay{0};
  std::string fail_write_with;       // the first write of a piece with this text fails
  std::function<void()> on_write;    // runs in every write, before it fails or succeeds
  std::function<void()> on_failure;  // runs in a failing call
  std::vector<std::string> attempts, delivered;
  std::vector<SteadyTime> attempt_times;  // when each attempt ended

 private:
  ManualClock& clock_;
};

crypto::Digest key0() {
  crypto::Digest k{};
  k.fill(7);
  return k;
}

// The shipper on the test's thread, stepped as the program's wiring steps it: tick(), then a
// sleep until next_deadline(), which here is the clock jumping there. Nothing sleeps.
class ShipperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("logship-shipper-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto sp = spool::Spool::open({dir_ / "spool"}, clock_);
    ASSERT_TRUE(sp);
    spool_ = std::move(*sp);
    auto f = PushStateFile::open(dir_ / "push.state");
    ASSERT_TRUE(f);
    file_.emplace(std::move(*f));
    ASSERT_TRUE(file_->save(PushState{0, std::nullopt, vault::SealState::initial(key0())}));
  }
  void TearDown() override {
    stop();
    fs::remove_all(dir_);
  }
  void start(BatchPolicy policy = {4096, 1000, 1ms, 60s}) {
    auto st = file_->load();
    ASSERT_TRUE(st && st->has_value());
    Backoff::Policy backoff{1ms, 2ms, 5ms};
    shipper_ = std::make_unique<Shipper>(ShipperOptions{"web1", "auth", policy, backoff}, *spool_,
                                         *file_, std::move(**st), link_, clock_);
  }
  void stop(std::chrono::milliseconds grace = 2s) {
    if (!shipper_ || shipper_->finished()) return;
    shipper_->request_stop(clock_.now() + grace);
    ASSERT_TRUE(run_until([&] { return shipper_->finished(); })) << "the shipper finishes";
  }
  void add(const std::string& line) {
    ASSERT_TRUE(spool_->append(line));
    ASSERT_TRUE(spool_->flush());
    if (shipper_) shipper_->on_input();
  }
  // Ticks until `done` holds; false if it does not within `limit` of the clock's time.
  template <class F>
  bool run_until(F done, std::chrono::milliseconds limit = 10min) {
    const auto end = clock_.now() + limit;
    for (int turn = 0; turn < 100'000 && !done(); ++turn) {
      shipper_->tick();
      if (done()) return true;
      const SteadyTime next = shipper_->next_deadline();
      if (next > end) return false;
      if (next > clock_.now()) clock_.advance(next - clock_.now());
    }
    return done();
  }
  // Ticks for `d` of the clock's time, whatever happens.
  void run_for(std::chrono::milliseconds d) {
    const auto end = clock_.now() + d;
    (void)run_until([&] { return clock_.now() >= end; }, d + 1ms);
    if (clock_.now() < end) clock_.advance(end - clock_.now());
  }
  bool wait_delivered(std::size_t n) {
    return run_until([&] { return link_.delivered.size() >= n; });
  }
  bool wait_attempts(std::size_t n) {
    return run_until([&] { return link_.attempts.size() >= n; });
  }
  PushState saved() {
    auto r = file_->load();
    return std::move(**r);
  }

  fs::path dir_;
  ManualClock clock_;
  std::unique_ptr<spool::Spool> spool_;
  std::optional<PushStateFile> file_;
  ScriptedLink link_{clock_};
  std::unique_ptr<Shipper> shipper_;
};

TEST_F(ShipperTest, FailedDeliveriesResendTheSameBatchAfterASeparator) {
  link_.fail_next = 3;
  start();
  add("first line");
  add("second line");
  ASSERT_TRUE(wait_delivered(1));
  ASSERT_GE(link_.attempts.size(), 4u);
  const std::string& first = link_.attempts[0];
  EXPECT_EQ(first.substr(0, 15), "@logship begin ") << "a first attempt has no separator";
  for (std::size_t i = 1; i < 4; ++i)
    EXPECT_EQ(link_.attempts[i], "\n" + first) << "attempt " << i << " is the same batch";
  EXPECT_NE(first.find("seq=0 "), std::string::npos);
  EXPECT_NE(first.find("first line\nsecond line\n"), std::string::npos);
  stop();
  auto s = saved();
  EXPECT_EQ(s.acked, 2u);
  EXPECT_FALSE(s.inflight);
  EXPECT_EQ(s.seal.seq(), 1u) << "committed once, after the acknowledgement";
  EXPECT_EQ(shipper_->status().failures, 3u);
}

TEST_F(ShipperTest, NothingIsCommittedWhileTheVaultRefuses) {
  link_.fail_next = 1'000'000;
  start();
  add("line");
  ASSERT_TRUE(wait_attempts(1));
  stop();
  auto s = saved();
  EXPECT_EQ(s.acked, 0u);
  EXPECT_EQ(s.seal.seq(), 0u);
  ASSERT_TRUE(s.inflight) << "the batch in flight is recorded before its first attempt";
  EXPECT_EQ(s.inflight->first, 1u);
  EXPECT_EQ(shipper_->status().last_error_kind, "remote_refused");
}

TEST_F(ShipperTest, RestartResendsTheRecordedBatchByteForByte) {
  link_.fail_next = 1'000'000;
  start();
  add("alpha");
  add("beta");
  ASSERT_TRUE(wait_attempts(1));
  stop();
  const std::string before = link_.attempts.at(0);
  add("gamma");  // arrives while the agent is down
  shipper_.reset();
  link_.fail_next = 0;
  link_.attempts.clear();
  start();
  ASSERT_TRUE(wait_delivered(2));
  EXPECT_EQ(link_.delivered[0], "\n" + before) << "same records, same time, same seal";
  EXPECT_NE(link_.delivered[1].find("seq=1 "), std::string::npos);
  EXPECT_NE(link_.delivered[1].find("gamma\n"), std::string::npos);
  EXPECT_EQ(link_.delivered[1].find("alpha"), std::string::npos);
}

TEST_F(ShipperTest, LargeBatchIsStreamedInPiecesAndResentByteForByte) {
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    const std::string l = "line " + std::to_string(i) + std::string(80, 'x');
    ASSERT_TRUE(spool_->append(l));
    expected += l + "\n";
  }
  ASSERT_TRUE(spool_->flush());
  link_.fail_next = 1;
  start({8u << 20, 1'000'000, 1ms, 60s});
  ASSERT_TRUE(wait_delivered(1));
  stop();
  ASSERT_EQ(link_.attempts.size(), 2u);
  EXPECT_EQ(link_.attempts[1], "\n" + link_.attempts[0]);
  EXPECT_GE(link_.writes, 2u * 4) << "1.7 MB per attempt, in pieces of 256-512 KiB";
  const std::string& b = link_.delivered[0];
  const auto body = b.find('\n', 1) + 1;
  EXPECT_EQ(b.substr(body, expected.size()), expected) << "one batch, every line, in order";
  EXPECT_NE(b.find("@logship end seq=0 lines=20000 "), std::string::npos);
  EXPECT_EQ(saved().acked, 20000u);
}

TEST_F(ShipperTest, StopDoesNotWaitForALongBatchOnASlowLink) {
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(spool_->append("line " + std::string(80, 'x')));
  ASSERT_TRUE(spool_->flush());
  link_.write_delay = 300ms;  // 1.7 MB in 256 KiB pieces: about 2 s per attempt
  start({8u << 20, 1'000'000, 1ms, 60s});
  SteadyTime asked{};
  link_.on_write = [&] {  // the stop comes while the batch is being sent
    if (asked != SteadyTime{}) return;
    asked = clock_.now();
    shipper_->request_stop(asked + 200ms);
  };
  ASSERT_TRUE(run_until([&] { return shipper_->finished(); }));
  EXPECT_LE(clock_.now() - asked, 200ms + link_.write_delay) << "the grace bounds the exit";
  EXPECT_EQ(link_.delivered.size(), 0u);
  auto s = saved();
  EXPECT_EQ(s.acked, 0u);
  ASSERT_TRUE(s.inflight) << "the abandoned batch stays recorded, to be resent identically";
  EXPECT_EQ(s.inflight->last, 20000u);
}

TEST_F(ShipperTest, LinesThatFollowGoOutAtOnceInTheOpenBatch) {
  start({4096, 1000, 1ms, 60s, 2s, 2s});
  add("first");
  auto written = [&](const std::string& what) {
    return run_until([&] { return link_.writing.find(what) != std::string::npos; }, 10ms);
  };
  ASSERT_TRUE(written("first\n")) << "on the wire before the batch closes";
  EXPECT_EQ(link_.delivered.size(), 0u);
  run_for(1s);
  add("second");
  ASSERT_TRUE(written("second\n")) << "written as it comes, into the same batch";
  EXPECT_EQ(link_.delivered.size(), 0u) << "still open";
  ASSERT_TRUE(wait_delivered(1));
  stop();
  ASSERT_EQ(link_.attempts.size(), 1u);
  EXPECT_NE(link_.delivered[0].find("first\nsecond\n@logship end seq=0 lines=2 "),
            std::string::npos)
      << link_.delivered[0];
  auto s = saved();
  EXPECT_EQ(s.acked, 2u);
  EXPECT_FALSE(s.inflight);
}

TEST_F(ShipperTest, AFailedOpenBatchIsResentAsItWasNotGrown) {
  // Lines that arrive while an open batch fails must not join its resend: each resend would
  // then be larger than the last, and a slow link would never catch up.
  start({4096, 1000, 1ms, 60s, 60s, 500ms});
  link_.on_failure = [&] {
    ASSERT_TRUE(spool_->append("third"));
    ASSERT_TRUE(spool_->append("fourth"));
    ASSERT_TRUE(spool_->flush());
    shipper_->on_input();
  };
  link_.fail_write_with = "second";  // the link fails while the batch is open
  add("first");
  ASSERT_TRUE(run_until([&] { return link_.writes >= 1; }));
  add("second");
  ASSERT_TRUE(wait_delivered(2));
  stop();
  ASSERT_GE(link_.attempts.size(), 3u);
  EXPECT_EQ(link_.attempts[0].find("@logship end"), std::string::npos) << "torn while open";
  EXPECT_NE(link_.attempts[0].find("first\nsecond\n"), std::string::npos) << link_.attempts[0];
  EXPECT_NE(link_.attempts[1].find("first\nsecond\n@logship end seq=0 lines=2 "), std::string::npos)
      << "the resend is what the failed attempt sent, closed: " << link_.attempts[1];
  EXPECT_EQ(link_.attempts[1].rfind("\n" + link_.attempts[0], 0), 0u)
      << "the torn copy is a prefix of the resend";
  EXPECT_NE(link_.delivered[1].find("seq=1 "), std::string::npos);
  EXPECT_NE(link_.delivered[1].find("third\nfourth\n"), std::string::npos) << link_.delivered[1];
  EXPECT_EQ(saved().acked, 4u);
}

// BatchPolicy{max_bytes, max_lines, linger, heartbeat, open_for, open_idle, open_worth, open_max}
TEST_F(ShipperTest, AnOpenBatchWorthItsChannelClosesWhenTheInputPauses) {
  start({4096, 1000, 1ms, 60s, 60s, 30ms, 4, 60s});
  const auto t0 = clock_.now();
  add("only");
  ASSERT_TRUE(wait_delivered(1));
  EXPECT_EQ(link_.attempt_times[0], t0 + 1ms + 30ms) << "the linger, then the pause";
  EXPECT_NE(link_.delivered[0].find("only\n@logship end seq=0 lines=1 "), std::string::npos);
}

TEST_F(ShipperTest, AnOpenBatchUnderSteadyInputClosesAfterOpenFor) {
  start({4096, 1000, 1ms, 60s, 250ms, 50ms, 1, 10s});
  const auto t0 = clock_.now();
  add("l0");
  for (int i = 1; i < 10; ++i) {  // a line every 40 ms: never the 50 ms pause that closes it
    run_for(40ms);
    add("l" + std::to_string(i));
  }
  ASSERT_TRUE(wait_delivered(2));
  EXPECT_EQ(link_.attempt_times[0], t0 + 1ms + 250ms) << "open for 250 ms after it was cut";
  EXPECT_NE(link_.delivered[0].find("l5\nl6\n@logship end seq=0 lines=7 "), std::string::npos)
      << link_.delivered[0];
  EXPECT_NE(link_.delivered[1].find("\nl7\nl8\nl9\n@logship end seq=1 lines=3 "), std::string::npos)
      << link_.delivered[1];
}

TEST_F(ShipperTest, AnOpenBatchAtATrickleStaysOpenUntilOpenMax) {
  // A line a second, far less than open_worth: the pauses do not close it, open_max does, so
  // the vault starts one process per 10 s instead of one per line.
  start({4096, 1000, 1ms, 60s, 250ms, 50ms, 1000, 10s});
  const auto t0 = clock_.now();
  add("t0");
  for (int i = 1; i < 15; ++i) {
    run_for(1s);
    if (i != 10) {  // (at 10 s the clock may stand at the close, not yet ticked)
      ASSERT_EQ(link_.delivered.size(), i < 10 ? 0u : 1u) << i;
    }
    add("t" + std::to_string(i));
  }
  run_for(10ms);
  ASSERT_EQ(link_.attempts.size(), 1u) << "one channel closed in 15 s";
  EXPECT_EQ(link_.attempt_times[0], t0 + 1ms + 10s);
  EXPECT_NE(link_.delivered[0].find("t0\nt1\n"), std::string::npos) << link_.delivered[0];
  EXPECT_NE(link_.delivered[0].find("t9\nt10\n@logship end seq=0 lines=11 "), std::string::npos)
      << link_.delivered[0];
  EXPECT_NE(link_.writing.find("t14\n"), std::string::npos)
      << "the next batch is open and has every line so far: " << link_.writing;
}

TEST_F(ShipperTest, AnOpenBatchThatBecomesWorthItsChannelPastOpenForClosesAtOnce) {
  start({4096, 1000, 1ms, 60s, 250ms, 50ms, 100, 10s});
  const auto t0 = clock_.now();
  add("small");
  run_for(2s);
  EXPECT_EQ(link_.delivered.size(), 0u) << "5 bytes: open past open_for and the pauses";
  add(std::string(100, 'x'));
  ASSERT_TRUE(wait_delivered(1));
  EXPECT_EQ(link_.attempt_times[0], t0 + 2s) << "worth it now, and open for longer than open_for";
  EXPECT_NE(link_.delivered[0].find("small\n" + std::string(100, 'x') + "\n@logship end seq=0 "),
            std::string::npos);
}

TEST_F(ShipperTest, AFirstLineLingersForCompany) {
  start({4096, 1000, 20ms, 60s, 0ms});  // batches close at once
  const auto t0 = clock_.now();
  add("one");
  EXPECT_EQ(shipper_->next_deadline(), t0 + 20ms);
  shipper_->tick();
  EXPECT_TRUE(link_.attempts.empty()) << "nothing leaves before the linger";
  clock_.advance(10ms);
  add("two");
  ASSERT_TRUE(wait_delivered(1));
  EXPECT_EQ(link_.attempt_times[0], t0 + 20ms);
  EXPECT_NE(link_.delivered[0].find("one\ntwo\n@logship end seq=0 lines=2 "), std::string::npos);
}

TEST_F(ShipperTest, RetriesWaitForTheBackoff) {
  link_.fail_next = 3;
  start();  // backoff: floor 1 ms, base 2 ms, cap 5 ms
  add("line");
  ASSERT_TRUE(wait_delivered(1));
  ASSERT_EQ(link_.attempt_times.size(), 4u);
  for (std::size_t i = 1; i < 4; ++i) {
    const auto gap = link_.attempt_times[i] - link_.attempt_times[i - 1];
    const auto ceiling = std::min<std::chrono::milliseconds>(5ms, 2ms * (1 << (i - 1)));
    EXPECT_GE(gap, 1ms) << "retry " << i << " waits at least the floor";
    EXPECT_LE(gap, 1ms + ceiling) << "retry " << i << " within floor + the jittered ceiling";
  }
}

TEST_F(ShipperTest, HeartbeatWhenIdle) {
  const auto t0 = clock_.now();
  start({4096, 1000, 1ms, 60s});
  ASSERT_TRUE(wait_delivered(2));
  EXPECT_EQ(link_.attempt_times[0], t0 + 60s) << "a minute after the start";
  EXPECT_EQ(link_.attempt_times[1], t0 + 120s) << "a minute after the last batch";
  EXPECT_GE(link_.idles, 20u) << "an idle link is given a turn every 5 s";
  for (const auto& b : link_.delivered) {
    EXPECT_NE(b.find(" dropped=0 "), std::string::npos);
    EXPECT_NE(b.find("@logship end seq="), std::string::npos);
    EXPECT_NE(b.find(" lines=0 "), std::string::npos) << b;
  }
}

TEST_F(ShipperTest, StopSendsWhatIsPendingAtOnceAndFinishes) {
  start({4096, 1000, 10s, 60s});  // a linger the stop does not wait for
  add("last words");
  shipper_->request_stop(clock_.now() + 2s);
  const auto t0 = clock_.now();
  ASSERT_TRUE(run_until([&] { return shipper_->finished(); }));
  EXPECT_EQ(clock_.now(), t0) << "sent at once, finished at once";
  ASSERT_EQ(link_.delivered.size(), 1u);
  EXPECT_NE(link_.delivered[0].find("last words\n"), std::string::npos);
  EXPECT_EQ(shipper_->next_deadline(), SteadyTime::max());
  EXPECT_EQ(shipper_->status().state, "stopped");
}

TEST_F(ShipperTest, LossBecomesTheDroppedCountOfTheNextBatch) {
  // Records 1..4 are gone from the spool (here: it moved past them, as when its directory is
  // lost) while the state says nothing was acknowledged: the ids 1..4 are a hole of 4 lines.
  ASSERT_TRUE(spool_->release(4));
  add("after the loss");
  start();
  ASSERT_TRUE(wait_delivered(1));
  EXPECT_NE(link_.delivered[0].find(" dropped=4 "), std::string::npos) << link_.delivered[0];
  EXPECT_NE(link_.delivered[0].find("after the loss\n"), std::string::npos);
  stop();
  EXPECT_EQ(saved().acked, 5u);
  EXPECT_EQ(shipper_->status().dropped_sent, 4u);
}

}  // namespace
}  // namespace logship::ship
