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
  // max_line bytes of any line longer than that. A piece is a view into `bytes`, or, for the one
  // joined with what was pending, into the splitter, valid only until `emit` returns. `emit`:
  // any callable like Emit (a template, so that a lambda is called without std::function).
  template <class F>
  void feed(std::string_view bytes, F&& emit);

  // Emits a pending partial line as a fragment (end of input); no-op when nothing is pending.
  void flush(const Emit& emit);

  std::size_t pending() const { return pending_.size(); }  // bytes held, no '\n' yet
  const std::string& pending_bytes() const { return pending_; }
  std::size_t max_line() const { return max_line_; }

 private:
  std::size_t max_line_;
  std::string pending_;
};

template <class F>
void LineSplitter::feed(std::string_view bytes, F&& emit) {
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    const auto take = nl == std::string_view::npos ? bytes.size() : nl;
    // Emit full fragments while what we hold (plus this) exceeds max_line before a newline.
    std::string_view chunk = bytes.substr(0, take);
    while (pending_.size() + chunk.size() > max_line_) {
      const auto room = max_line_ - pending_.size();
      if (pending_.empty()) {
        emit(chunk.substr(0, room), LineEnd::none);
      } else {
        pending_.append(chunk.substr(0, room));
        emit(std::string_view(pending_), LineEnd::none);
        pending_.clear();
      }
      chunk.remove_prefix(room);
    }
    if (nl == std::string_view::npos) {
      pending_.append(chunk);
      return;
    }
    if (pending_.empty()) {
      emit(chunk, LineEnd::newline);
    } else {
      pending_.append(chunk);
      emit(std::string_view(pending_), LineEnd::newline);
      pending_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
}

}  // namespace logship::vault
