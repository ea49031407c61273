// Cuts a byte stream into the pieces a batch carries: complete lines, and fragments of lines
// longer than a maximum. What is left without a '\n' is emitted by flush() as a fragment.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "vault/batch_builder.hpp"

namespace logship::vault {

class LineSplitter {
 public:
  using Emit = std::function<void(std::string_view piece, LineEnd end)>;

  // max_line: longest piece, in bytes without the '\n' (at least 1).
  explicit LineSplitter(std::size_t max_line) : max_line_(max_line ? max_line : 1) {}

  // Emits every complete line in `bytes` (joined with what was pending), and fragments of
  // max_line bytes of any line longer than that.
  void feed(std::string_view bytes, const Emit& emit);

  // Emits a pending partial line as a fragment (end of input); no-op when nothing is pending.
  void flush(const Emit& emit);

  std::size_t pending() const { return pending_.size(); }  // bytes held, no '\n' yet
  const std::string& pending_bytes() const { return pending_; }
  std::size_t max_line() const { return max_line_; }

 private:
  std::size_t max_line_;
  std::string pending_;
};

}  // namespace logship::vault
