#include "input/line_splitter.hpp"

#include <algorithm>
#include <cstring>

namespace logship::input {

LineSplitter::LineSplitter(std::size_t max_line, Sink sink)
    : max_line_(std::max<std::size_t>(max_line, 1)), sink_(std::move(sink)) {}

void LineSplitter::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
    const std::size_t take =
        nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - bytes.data()) : bytes.size();
    std::string_view chunk = bytes.substr(0, take);
    // Cut fragments while the pending line would exceed the maximum.
    while (pending_.size() + chunk.size() > max_line_) {
      const std::size_t room = max_line_ - pending_.size();
      if (pending_.empty()) {
        sink_(chunk.substr(0, room), true);
      } else {
        pending_.append(chunk.substr(0, room));
        sink_(pending_, true);
        pending_.clear();
      }
      chunk.remove_prefix(room);
    }
    if (!nl) {
      pending_.append(chunk);
      return;
    }
    if (pending_.empty()) {
      sink_(chunk, false);  // the common case: no copy
    } else {
      pending_.append(chunk);
      sink_(pending_, false);
      pending_.clear();
    }
    bytes.remove_prefix(take + 1);
  }
}

void LineSplitter::finish() {
  if (pending_.empty()) return;
  sink_(pending_, true);
  pending_.clear();
}

}  // namespace logship::input
