#include "vault/line_splitter.hpp"

namespace logship::vault {

void LineSplitter::feed(std::string_view bytes, const Emit& emit) {
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
        emit(pending_, LineEnd::none);
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
      emit(pending_, LineEnd::newline);
      pending_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void LineSplitter::flush(const Emit& emit) {
  if (pending_.empty()) return;
  emit(pending_, LineEnd::none);
  pending_.clear();
}

}  // namespace logship::vault
