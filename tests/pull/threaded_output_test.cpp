// ThreadedOutput: the framing on a thread of its own changes nothing in the copy or in the
// checkpoints (byte-identical to FramedOutput after the same calls), keeps its queue bounded,
// and reports a failure of a queued call without applying anything after it.
#include "follow/threaded_output.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "follow/identity.hpp"
#include "pull_test_util.hpp"

namespace logship::follow {
namespace {

namespace fs = std::filesystem;

const crypto::Digest kKey = [] {
  crypto::Digest k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(3 * i);
  return k;
}();

constexpr std::uint64_t kGen = 0xabcd;

// Syslog-like lines of varying length, some longer than max_line, some looking like control
// lines, cut into pieces that do not respect line ends.
std::string text(std::size_t lines) {
  std::string s;
  for (std::size_t i = 0; i < lines; ++i) {
    if (i % 97 == 5) s += "@logship ";
    s += "Dec  1 22:00:00 web1 sshd[" + std::to_string(i) + "]: ";
    s.append(20 + (i * 37) % 300, static_cast<char>('a' + i % 26));
    s += '\n';
  }
  return s;
}

class ThreadedOutputTest : public ::testing::Test {
 protected:
  std::unique_ptr<Output> framed(const fs::path& path) {
    OutputOptions o;
    o.path = path;
    o.format = Format::framed;
    o.source = "web1";
    o.stream = "/var/log/auth.log";
    o.max_line = 200;
    o.max_batch = 4096;
    o.k0 = &kKey;
    auto out = Output::open(o, clock_);
    EXPECT_TRUE(out) << out.error().message;
    return out ? std::move(*out) : nullptr;
  }
  static Checkpoint checkpoint(const Output& out) {
    return Checkpoint{kGen, identify("x"), out.resumable_offset(), out.size(), out.seal_record()};
  }

  test::TempDir dir_;
  ManualClock clock_;  // moved only while both outputs are settled (a checkpoint was taken)
};

TEST_F(ThreadedOutputTest, WritesTheSameBytesAndCheckpointsAsFramed) {
  OutputThread thread(8 * 1024, 3000);  // small: the SFTP side waits for room often
  auto plain = framed(dir_.path() / "plain.log");
  auto threaded =
      std::make_unique<ThreadedOutput>(framed(dir_.path() / "threaded.log"), thread, clock_);
  std::vector<Output*> both{plain.get(), threaded.get()};
  std::vector<std::string> notes;
  for (auto* o : both) {
    ASSERT_TRUE(o->recover(std::nullopt, notes));
    ASSERT_TRUE(o->set_origin({"/var/log/auth.log", kGen, 0}));
    ASSERT_TRUE(o->mark({{"event", "started"}}));
  }
  const std::string t = text(3000) + "an incomplete last line";
  std::size_t at = 0, piece = 1;
  int round = 0;
  while (at < t.size()) {
    const auto n = std::min(t.size() - at, piece);
    for (auto* o : both) {
      ASSERT_TRUE(o->append(std::string_view(t).substr(at, n)));
    }
    at += n;
    piece = piece * 3 % 9973 + 1;              // 1 byte to ~10 KB
    EXPECT_EQ(threaded->origin().offset, at);  // (the reading side's position: at once)
    if (++round % 5 == 0)
      for (auto* o : both) {
        ASSERT_TRUE(o->flush());
      }
    if (round % 17 == 0) {
      const auto a = checkpoint(*plain), b = checkpoint(*threaded);
      EXPECT_TRUE(a == b) << "round " << round << ": offset " << a.offset << " vs " << b.offset
                          << ", local " << a.local_size << " vs " << b.local_size;
      EXPECT_EQ(b.local_size, fs::file_size(dir_.path() / "threaded.log"));
      EXPECT_EQ(threaded->pending(), plain->pending());
      clock_.advance(std::chrono::milliseconds(1234));  // new batches get another time=
      for (auto* o : both) {
        ASSERT_TRUE(o->mark({{"state", "following"}}));
      }
    }
  }
  for (auto* o : both) {
    ASSERT_TRUE(o->finish());
  }
  EXPECT_TRUE(checkpoint(*plain) == checkpoint(*threaded));
  EXPECT_EQ(threaded->last_write(), plain->last_write());
  threaded.reset();
  const auto a = test::slurp(dir_.path() / "plain.log");
  EXPECT_GT(a.size(), t.size());
  EXPECT_TRUE(a == test::slurp(dir_.path() / "threaded.log")) << "the copies differ";
}

// An inner output that fails the append (a chunk) whose bytes start with "FAIL", records what
// reached it and how full the queue was each time.
class FakeOutput final : public Output {
 public:
  FakeOutput(const fs::path& path, const Clock& clock, OutputThread& thread)
      : Output(options(path), clock), thread_(thread) {}
  Result<Checkpoint> recover(const std::optional<Checkpoint>& c,
                             std::vector<std::string>&) override {
    return c.value_or(Checkpoint{});
  }
  Status set_origin(Origin o) override {
    origin_ = std::move(o);
    return {};
  }
  Status append(std::string_view bytes) override {
    max_queued = std::max(max_queued.load(), thread_.queued_bytes());
    if (bytes.starts_with("FAIL")) return make_error(ErrorKind::io, "injected: disk full");
    got += bytes;
    origin_.offset += bytes.size();
    return {};
  }
  Status flush() override {
    ++flushes;
    return {};
  }
  Status finish() override { return {}; }
  Status mark(const std::vector<vault::Field>&) override { return {}; }
  std::uint64_t resumable_offset() const override { return origin_.offset; }
  std::uint64_t pending() const override { return 0; }
  std::string seal_record() const override { return {}; }

  std::string got;  // read by the test only once the output is settled
  int flushes = 0;
  std::atomic<std::size_t> max_queued{0};

 private:
  static OutputOptions options(const fs::path& path) {
    OutputOptions o;
    o.path = path;
    return o;
  }
  OutputThread& thread_;
};

TEST_F(ThreadedOutputTest, TheQueueStaysWithinItsBound) {
  OutputThread thread(1000, 300);
  auto fake = std::make_unique<FakeOutput>(dir_.path() / "x", clock_, thread);
  auto* inner = fake.get();
  ThreadedOutput out(std::move(fake), thread, clock_);
  std::string all;
  for (int i = 0; i < 2000; ++i) {
    const std::string piece(1 + i % 300, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(out.append(piece));
    all += piece;
  }
  const std::string big(5000, 'z');  // larger than the queue: handed over in chunks
  ASSERT_TRUE(out.append(big));
  all += big;
  ASSERT_TRUE(out.drain());
  EXPECT_EQ(inner->got, all);
  EXPECT_LE(inner->max_queued.load(), 1000u);
  EXPECT_GT(inner->max_queued.load(), 300u);  // (the test does fill the queue)
  EXPECT_EQ(thread.queued_bytes(), 0u);
}

TEST_F(ThreadedOutputTest, AFailureStopsEverythingAfterItUntilRecover) {
  OutputThread thread(1 << 20, 4);  // chunks of 4 bytes: "one\n" is one, "FAIL" the next
  auto fake = std::make_unique<FakeOutput>(dir_.path() / "x", clock_, thread);
  auto* inner = fake.get();
  ThreadedOutput out(std::move(fake), thread, clock_);
  ASSERT_TRUE(out.append("one\n"));
  (void)out.append("FAIL two\n");  // queued: its failure is seen later
  (void)out.append("three\n");     // dropped: after the failure
  (void)out.flush();
  auto st = out.drain();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::io);
  EXPECT_EQ(inner->got, "one\n");
  EXPECT_EQ(inner->flushes, 0);
  EXPECT_FALSE(out.append("four\n"));  // until recover()
  EXPECT_FALSE(out.mark({}));
  EXPECT_FALSE(out.flush());
  EXPECT_EQ(out.resumable_offset(), 4u);  // what the inner output really holds

  std::vector<std::string> notes;
  auto r = out.recover(Checkpoint{kGen, identify("x"), 4, 4, ""}, notes);
  ASSERT_TRUE(r);
  ASSERT_TRUE(out.set_origin({"/var/log/auth.log", kGen, r->offset}));
  ASSERT_TRUE(out.append("two\n"));
  ASSERT_TRUE(out.flush());
  ASSERT_TRUE(out.drain());
  EXPECT_EQ(inner->got, "one\ntwo\n");
  EXPECT_EQ(inner->flushes, 1);
  EXPECT_EQ(out.origin().offset, 8u);
}

}  // namespace
}  // namespace logship::follow
