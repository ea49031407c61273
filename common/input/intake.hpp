// The push agent's intake: reads what the input holds, cuts it into lines and hands them to a
// sink (the spool), never waiting on anything but the sink. From a FIFO, through a landing
// file (landing.hpp), so that a kill between the read and the spool loses nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "input/fifo.hpp"
#include "input/landing.hpp"
#include "util/result.hpp"
#include "vault/line_splitter.hpp"

namespace logship::input {

// `append(bytes, partial)` for each piece in order; returns the first failure.
template <class Append>
Result<void> append_each(std::span<const vault::BatchBuilder::Piece> pieces, Append&& append) {
  Result<void> first;
  for (const auto& p : pieces) {
    auto st = append(p.bytes, p.end == vault::LineEnd::none);
    if (!st && first) first = std::move(st);
  }
  return first;
}

// Where the lines go. The pieces of one read(2) come between begin_read() and end_read(), and
// only there, so that the spool can take them under one lock.
class LineSink {
 public:
  virtual ~LineSink() = default;
  virtual void begin_read() {}
  // `partial`: a fragment without its '\n' (a longer line than the maximum, or the input's end).
  virtual Result<void> append(std::string_view piece, bool partial) = 0;
  // Consecutive pieces of one read, in order, as append() for each: every piece takes its id,
  // refused or not; returns the first failure.
  virtual Result<void> append_all(std::span<const vault::BatchBuilder::Piece> pieces);
  virtual void end_read() {}
  // After each drain(): what was appended goes to disk as the sink's policy wants.
  virtual Result<void> flush() = 0;
  // The id the next piece will get: every piece appended takes the next one, refused or not,
  // and after a restart the sink continues from its last piece that reached the disk.
  virtual std::uint64_t next_id() const = 0;
};

class Intake {
 public:
  // Bytes per read(2), at most: a FIFO's whole capacity as Linux raises it by default
  // (fs.pipe-max-size, 1 MiB). Against 256 KiB it saved about 8 % of the intake's CPU
  // (fewer splices, reads back and landing generations per GiB; docs/PUSH.md, The input).
  static constexpr std::size_t kReadChunk = 1024 * 1024;
  static constexpr std::size_t kMaxBurst = 16u << 20;  // bytes per drain(), then signals
  // Pieces handed to the sink in one call at most: a read of empty lines holds 1 Mi of them.
  static constexpr std::size_t kMaxPieces = 4096;

  // `max_line`: longest piece in bytes; a longer line is cut into fragments. With a landing,
  // first appends what the previous run had taken from the input and not into the sink, then
  // takes a FIFO's bytes through it. `read_chunk`: bytes per read(2) (tests use less).
  Intake(Input input, LineSink& sink, std::size_t max_line, Landing* landing = nullptr,
         std::size_t read_chunk = kReadChunk);

  // The descriptor to poll for reading; -1 once the input ended.
  int fd() const { return ended_ ? -1 : input_.read_fd.get(); }
  // Reads what the input holds, up to kMaxBurst bytes, hands the lines to the sink and flushes
  // it. At the input's end (stdin only: we hold a write end of our FIFO) the pending part of a
  // line follows as a fragment, and ended() becomes true. Returns the bytes read.
  std::size_t drain();
  bool ended() const { return ended_; }
  // Hands the pending part of a line to the sink as a fragment (on stop).
  void finish();

  const std::string& description() const { return input_.description; }

 private:
  // Cuts `bytes` into pieces and hands them to the sink, together where it can (one call per
  // read instead of one per line).
  void cut(std::string_view bytes);
  void hand_over();  // the pieces collected so far
  void flush_splitter();
  void flush();  // the sink's, noting whether it wrote everything
  void replay(Landing::Leftover left);
  // One read(2), through the landing while it works.
  ssize_t read_some();
  // As read(2), from the landing's unread bytes; a failure is logged and returned as EAGAIN.
  ssize_t read_landed(std::size_t max);
  void reset_landing();
  // Logs a failure, once until its message changes (a failing spool or input would repeat it
  // on every wake).
  void note(const Result<void>& st,
            std::string_view what = "spool write failed, lines are being lost and counted");

  Input input_;
  LineSink& sink_;
  Landing* landing_ = nullptr;  // null: read(2) into memory (stdin, tests)
  InputId input_id_;            // the FIFO's, zero for stdin
  bool flushed_ = true;         // the sink's last flush wrote everything
  vault::LineSplitter splitter_;
  vault::LineSplitter::Emit to_sink_;
  std::vector<vault::BatchBuilder::Piece> pieces_;  // of the read being cut
  std::string buf_;
  std::string last_error_;
  bool ended_ = false;
};

}  // namespace logship::input
