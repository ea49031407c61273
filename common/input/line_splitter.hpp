// LineSplitter: turns a byte stream into lines. Lines split across reads are reassembled;
// a line longer than the maximum is cut into fragments marked partial, never dropped;
// any byte but '\n' passes through (NUL, CR, invalid UTF-8).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace logship::input {

class LineSplitter {
 public:
  // Called once per line or fragment, without the '\n'. `partial`: no '\n' follows it in the
  // input (a cut of an over-long line, or what finish() flushes).
  using Sink = std::function<void(std::string_view line, bool partial)>;

  LineSplitter(std::size_t max_line, Sink sink);

  // Feeds bytes as they were read.
  void feed(std::string_view bytes);
  // End of input: a pending incomplete line is emitted as a partial fragment.
  void finish();
  // Bytes of an incomplete line held back, waiting for its '\n'.
  std::size_t pending() const { return pending_.size(); }

 private:
  std::size_t max_line_;  // bytes; longer lines are cut into fragments of this size
  Sink sink_;
  std::string pending_;
};

}  // namespace logship::input
