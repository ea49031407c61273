#include "input/intake.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <span>
#include <utility>
#include <vector>

namespace logship::input {
namespace {

namespace fs = std::filesystem;

// Keeps what it is given; fails every append while `failure` is set.
class VectorSink : public LineSink {
 public:
  void begin_read() override {
    EXPECT_FALSE(open) << "reads do not nest";
    open = true;
  }
  Result<void> append(std::string_view piece, bool partial) override {
    EXPECT_TRUE(open) << "pieces come only inside a read";
    pieces.emplace_back(std::string(piece), partial);
    if (failure) return make_error(ErrorKind::io, *failure);
    return {};
  }
  Result<void> append_all(std::span<const vault::BatchBuilder::Piece> all) override {
    batches.push_back(all.size());
    return LineSink::append_all(all);
  }
  void end_read() override {
    EXPECT_TRUE(open);
    open = false;
    ++reads;
  }
  Result<void> flush() override {
    EXPECT_FALSE(open);
    ++flushes;
    if (flush_failure) return make_error(ErrorKind::io, *flush_failure);
    return {};
  }
  std::uint64_t next_id() const override { return pieces.size() + 1; }

  std::vector<std::pair<std::string, bool>> pieces;  // (piece, partial)
  std::optional<std::string> failure;
  std::optional<std::string> flush_failure;
  std::vector<std::size_t> batches;  // the size of each append_all()
  bool open = false;
  int reads = 0, flushes = 0;
};

using Pieces = std::vector<std::pair<std::string, bool>>;

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("logship-intake-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (writer_ >= 0) ::close(writer_);
    fs::remove_all(dir_);
  }
  // A real FIFO, opened as the agent opens it, and a writer like syslog.
  Input fifo() {
    auto in = open_fifo({dir_ / "in", 0620, std::nullopt});
    EXPECT_TRUE(in) << in.error().message;
    writer_ = ::open((dir_ / "in").c_str(), O_WRONLY | O_NONBLOCK);
    EXPECT_GE(writer_, 0);
    return std::move(*in);
  }
  void write(std::string_view bytes) {
    ASSERT_EQ(::write(writer_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // A pipe standing for stdin: its end is the input's end.
  Input pipe_input() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_NONBLOCK), 0);
    writer_ = fds[1];
    Input in;
    in.read_fd = UniqueFd(fds[0]);
    in.description = "stdin";
    return in;
  }

  fs::path dir_;
  int writer_ = -1;
};

TEST_F(IntakeTest, LinesFromTheFifoReachTheSinkWholeAndInOrder) {
  VectorSink sink;
  Intake intake(fifo(), sink, 1024);
  EXPECT_GE(intake.fd(), 0);
  write("one\ntwo\nthr");
  EXPECT_EQ(intake.drain(), 11u);
  EXPECT_EQ(sink.pieces, (Pieces{{"one", false}, {"two", false}}));
  write("ee\n");
  EXPECT_EQ(intake.drain(), 3u);
  EXPECT_EQ(sink.pieces, (Pieces{{"one", false}, {"two", false}, {"three", false}}))
      << "a line cut between two writes is joined";
  EXPECT_EQ(sink.flushes, 2) << "the sink is flushed after every drain";
  EXPECT_FALSE(intake.ended());
}

TEST_F(IntakeTest, TheLinesOfAReadComeTogetherAndALineJoinedAcrossReadsInItsTurn) {
  VectorSink sink;
  Intake intake(fifo(), sink, 6);
  write("one\ntwo\nthr");
  intake.drain();
  EXPECT_EQ(sink.batches, (std::vector<std::size_t>{2})) << "one call for the read's lines";
  write("ee\nfour\nfi");
  intake.drain();
  write("fty-five\nsix\n");  // joined, then longer than 6 bytes: cut from what was pending
  intake.drain();
  EXPECT_EQ(sink.pieces, (Pieces{{"one", false},
                                 {"two", false},
                                 {"three", false},
                                 {"four", false},
                                 {"fifty-", true},
                                 {"five", false},
                                 {"six", false}}));
  // "three" and "fifty-" lie in the splitter: each goes alone, before the lines after it.
  EXPECT_EQ(sink.batches, (std::vector<std::size_t>{2, 1, 2}));
}

TEST_F(IntakeTest, AReadOfManyShortLinesIsHandedOverInBoundedCalls) {
  VectorSink sink;
  Intake intake(fifo(), sink, 1024);
  const std::size_t n = 2 * Intake::kMaxPieces + 10;  // empty lines and one-byte ones
  std::string bytes;
  for (std::size_t i = 0; i < n; ++i) bytes += i % 2 ? "x\n" : "\n";
  write(bytes);
  EXPECT_EQ(intake.drain(), bytes.size());
  ASSERT_EQ(sink.pieces.size(), n);
  for (std::size_t i = 0; i < n; ++i)
    ASSERT_EQ(sink.pieces[i].first, i % 2 ? "x" : "") << "piece " << i << ", in order";
  EXPECT_EQ(sink.batches, (std::vector<std::size_t>{Intake::kMaxPieces, Intake::kMaxPieces, 10}));
}

TEST_F(IntakeTest, ADrainWithNothingToReadReadsNothingAndStillFlushes) {
  VectorSink sink;
  Intake intake(fifo(), sink, 1024);
  EXPECT_EQ(intake.drain(), 0u);
  EXPECT_TRUE(sink.pieces.empty());
  EXPECT_EQ(sink.flushes, 1);
}

TEST_F(IntakeTest, AWriterLeavingIsNotTheEndOfAFifo) {
  VectorSink sink;
  Intake intake(fifo(), sink, 1024);
  write("before\n");
  ::close(std::exchange(writer_, -1));  // syslog restarts
  EXPECT_EQ(intake.drain(), 7u);
  EXPECT_FALSE(intake.ended()) << "we hold a write end: a FIFO never ends";
  EXPECT_GE(intake.fd(), 0);
  EXPECT_EQ(sink.pieces, (Pieces{{"before", false}}));
}

TEST_F(IntakeTest, LongLinesAreCutIntoMarkedFragments) {
  VectorSink sink;
  Intake intake(fifo(), sink, 4);
  write("abcdefghij\nxy\n");
  intake.drain();
  EXPECT_EQ(sink.pieces, (Pieces{{"abcd", true}, {"efgh", true}, {"ij", false}, {"xy", false}}));
}

TEST_F(IntakeTest, TheEndOfStdinHandsOverThePendingPartOfALine) {
  VectorSink sink;
  Intake intake(pipe_input(), sink, 1024);
  write("last\nno newline");
  ::close(std::exchange(writer_, -1));
  intake.drain();
  EXPECT_TRUE(intake.ended());
  EXPECT_EQ(intake.fd(), -1) << "nothing more to poll";
  EXPECT_EQ(sink.pieces, (Pieces{{"last", false}, {"no newline", true}}));
  EXPECT_EQ(intake.drain(), 0u) << "an ended input is not read again";
}

TEST_F(IntakeTest, FinishHandsOverThePendingPartOfALineOnce) {
  VectorSink sink;
  Intake intake(fifo(), sink, 1024);
  write("whole\npart");
  intake.drain();
  EXPECT_EQ(sink.pieces, (Pieces{{"whole", false}}));
  intake.finish();
  EXPECT_EQ(sink.pieces, (Pieces{{"whole", false}, {"part", true}}));
  const int reads = sink.reads;
  intake.finish();
  EXPECT_EQ(sink.reads, reads) << "nothing pending: the sink is not bothered";
  EXPECT_EQ(sink.pieces.size(), 2u);
}

TEST_F(IntakeTest, ASinkFailureLosesOnlyTheLinesItRefusedAndReadingGoesOn) {
  VectorSink sink;
  Intake intake(fifo(), sink, 1024);
  sink.failure = "No space left on device";
  write("a\nb\n");
  EXPECT_EQ(intake.drain(), 4u) << "the FIFO is drained whatever the sink does";
  sink.failure.reset();
  write("c\n");
  intake.drain();
  EXPECT_EQ(sink.pieces, (Pieces{{"a", false}, {"b", false}, {"c", false}}));
}

TEST_F(IntakeTest, MoreThanOneReadChunkIsDrainedAtOnce) {
  VectorSink sink;
  auto in = fifo();
  constexpr std::size_t kChunk = 16 * 1024;  // the FIFO holds 64 KiB at least
  if (in.capacity < kChunk + 4096)
    GTEST_SKIP() << "fs.pipe-max-size keeps the FIFO's buffer at " << in.capacity << " bytes";
  Intake intake(std::move(in), sink, 1024, nullptr, kChunk);
  const std::string line(99, 'x');
  std::string bytes;
  while (bytes.size() < kChunk + 1000) bytes += line + "\n";
  write(bytes);
  EXPECT_EQ(intake.drain(), bytes.size());
  EXPECT_EQ(sink.pieces.size(), bytes.size() / 100);
  EXPECT_GE(sink.reads, 2) << "one read(2) takes at most the read chunk";
  EXPECT_EQ(sink.flushes, 1);
}

TEST_F(IntakeTest, OneReadTakesAWholeMebibyteFifo) {
  VectorSink sink;
  auto in = fifo();
  if (in.capacity < Intake::kReadChunk)
    GTEST_SKIP() << "fs.pipe-max-size keeps the FIFO's buffer at " << in.capacity << " bytes";
  Intake intake(std::move(in), sink, 1024);
  const std::string line(99, 'x');
  std::string bytes;
  while (bytes.size() + 100 <= Intake::kReadChunk) bytes += line + "\n";
  write(bytes);
  EXPECT_EQ(intake.drain(), bytes.size());
  EXPECT_EQ(sink.pieces.size(), bytes.size() / 100);
  EXPECT_EQ(sink.reads, 1) << "what the FIFO held came in one read(2)";
}

TEST_F(IntakeTest, AFailedSpoolWriteKeepsTheLandingForTheNextStart) {
  VectorSink sink;
  {
    auto landing = Landing::open(dir_);
    ASSERT_TRUE(landing);
    Intake intake(fifo(), sink, 1024, landing->get());
    write("one\ntwo\n");
    sink.flush_failure = "No space left on device";
    EXPECT_EQ(intake.drain(), 8u);
    EXPECT_EQ(sink.pieces.size(), 2u);
  }  // killed before the spool could write again
  auto landing = Landing::open(dir_);
  ASSERT_TRUE(landing);
  auto left = (*landing)->take_leftover();
  ASSERT_TRUE(left) << "the lines the spool did not write can still be replayed";
  EXPECT_EQ(left->bytes, "one\ntwo\n");
  EXPECT_EQ(left->first_id, 1u);
}

}  // namespace
}  // namespace logship::input
