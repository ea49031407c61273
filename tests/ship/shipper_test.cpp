#include "ship/shipper.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <thread>

namespace logship::ship {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A vault link that fails the deliveries the test asks it to, and records every attempt.
class ScriptedLink final : public VaultLink {
 public:
  Status open() override {
    std::lock_guard lock(mu_);
    writing.clear();
    return {};
  }
  Status write(std::string_view piece) override {
    std::this_thread::sleep_for(write_delay);  // a slow link (the fault injected)
    std::lock_guard lock(mu_);
    writing += piece;
    ++writes;
    if (!fail_write_with.empty() && piece.find(fail_write_with) != std::string_view::npos) {
      fail_write_with.clear();
      attempts.push_back(std::move(writing));
      if (on_failure) on_failure();
      return make_error(ErrorKind::timeout, "writing to the vault: no answer");
    }
    return {};
  }
  Status finish() override {
    std::lock_guard lock(mu_);
    const std::string batch = std::move(writing);
    attempts.push_back(batch);
    if (fail_next > 0) {
      --fail_next;
      if (on_failure) on_failure();
      return make_error(ErrorKind::remote_refused, "cat: write error: No space left on device");
    }
    delivered.emplace_back(batch);
    return {};
  }
  void reset() override {}
  std::uint64_t connections() const override { return 1; }
  std::size_t delivered_count() {
    std::lock_guard lock(mu_);
    return delivered.size();
  }
  std::size_t attempt_count() {
    std::lock_guard lock(mu_);
    return attempts.size();
  }
  std::size_t write_count() {
    std::lock_guard lock(mu_);
    return writes;
  }

  std::mutex mu_;
  int fail_next = 0;
  std::string writing;
  std::size_t writes = 0;
  std::chrono::milliseconds write_delay{0};
  std::string fail_write_with;       // the first write of a piece with this text fails
  std::function<void()> on_failure;  // runs in a failing call, on the shipper's thread
  std::vector<std::string> attempts, delivered;
};

crypto::Digest key0() {
  crypto::Digest k{};
  k.fill(7);
  return k;
}

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
    thread_ = std::thread([this] { shipper_->run(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    shipper_->request_stop(clock_.now() + 2s);
    thread_.join();
  }
  void add(const std::string& line) {
    ASSERT_TRUE(spool_->append(line));
    ASSERT_TRUE(spool_->flush());
    if (shipper_) shipper_->on_input();
  }
  // Polls `done` until it holds, for at most 10 s.
  template <class F>
  static bool wait_for(F done) {
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }
  bool wait_delivered(std::size_t n) {
    return wait_for([&] { return link_.delivered_count() >= n; });
  }
  bool wait_attempts(std::size_t n) {
    return wait_for([&] { return link_.attempt_count() >= n; });
  }
  PushState saved() {
    auto r = file_->load();
    return std::move(**r);
  }

  fs::path dir_;
  SystemClock clock_;
  std::unique_ptr<spool::Spool> spool_;
  std::optional<PushStateFile> file_;
  ScriptedLink link_;
  std::unique_ptr<Shipper> shipper_;
  std::thread thread_;
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
  ASSERT_TRUE(wait_for([&] { return link_.write_count() >= 1; })) << "the batch is being sent";
  const auto t0 = std::chrono::steady_clock::now();
  shipper_->request_stop(clock_.now() + 200ms);
  thread_.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms) << "the grace bounds the exit";
  EXPECT_EQ(link_.delivered_count(), 0u);
  auto s = saved();
  EXPECT_EQ(s.acked, 0u);
  ASSERT_TRUE(s.inflight) << "the abandoned batch stays recorded, to be resent identically";
  EXPECT_EQ(s.inflight->last, 20000u);
}

TEST_F(ShipperTest, LinesThatFollowGoOutAtOnceInTheOpenBatch) {
  start({4096, 1000, 1ms, 60s, 2s, 2s});
  add("first");
  auto written = [&](const std::string& what) {
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < end) {
      {
        std::lock_guard lock(link_.mu_);
        if (link_.writing.find(what) != std::string::npos) return true;
      }
      std::this_thread::sleep_for(1ms);
    }
    return false;
  };
  ASSERT_TRUE(written("first\n")) << "on the wire before the batch closes";
  EXPECT_EQ(link_.delivered_count(), 0u);
  add("second");
  ASSERT_TRUE(written("second\n")) << "written as it comes, into the same batch";
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
  ASSERT_TRUE(wait_for([&] { return link_.write_count() >= 1; }));
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

TEST_F(ShipperTest, AnOpenBatchClosesWhenTheInputPauses) {
  start({4096, 1000, 1ms, 60s, 60s, 30ms});
  add("only");
  ASSERT_TRUE(wait_delivered(1)) << "closed by the pause, long before open_for";
  EXPECT_NE(link_.delivered[0].find("only\n@logship end seq=0 lines=1 "), std::string::npos);
}

TEST_F(ShipperTest, HeartbeatWhenIdle) {
  start({4096, 1000, 1ms, 50ms});
  ASSERT_TRUE(wait_delivered(2));
  for (const auto& b : link_.delivered) {
    EXPECT_NE(b.find(" dropped=0 "), std::string::npos);
    EXPECT_NE(b.find("@logship end seq="), std::string::npos);
    EXPECT_NE(b.find(" lines=0 "), std::string::npos) << b;
  }
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
