// The push agent's intake: reads what the input holds, cuts it into lines and hands them to a
// sink (the spool), never waiting on anything but the sink.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "input/fifo.hpp"
#include "util/result.hpp"
#include "vault/line_splitter.hpp"

namespace logship::input {

// Where the lines go. The pieces of one read(2) come between begin_read() and end_read(), and
// only there, so that the spool can take them under one lock.
class LineSink {
 public:
  virtual ~LineSink() = default;
  virtual void begin_read() {}
  // `partial`: a fragment without its '\n' (a longer line than the maximum, or the input's end).
  virtual Result<void> append(std::string_view piece, bool partial) = 0;
  virtual void end_read() {}
  // After each drain(): what was appended goes to disk as the sink's policy wants.
  virtual Result<void> flush() = 0;
};

class Intake {
 public:
  static constexpr std::size_t kReadChunk = 256 * 1024;  // bytes per read(2)
  static constexpr std::size_t kMaxBurst = 16u << 20;    // bytes per drain(), then signals

  // `max_line`: longest piece in bytes; a longer line is cut into fragments.
  Intake(Input input, LineSink& sink, std::size_t max_line);

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
  void flush_splitter();
  // Logs a failure, once until its message changes (a failing spool or input would repeat it
  // on every wake).
  void note(const Result<void>& st,
            std::string_view what = "spool write failed, lines are being lost and counted");

  Input input_;
  LineSink& sink_;
  vault::LineSplitter splitter_;
  vault::LineSplitter::Emit to_sink_;
  std::string buf_;
  std::string last_error_;
  bool ended_ = false;
};

}  // namespace logship::input
