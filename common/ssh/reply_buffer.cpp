#include "ssh/reply_buffer.hpp"

namespace logship::ssh {

std::optional<sftp::Reply> ReplyBuffer::next(bool& bad) {
  std::size_t used = 0;
  auto reply = sftp::take_reply(std::string_view(bytes_).substr(taken_), used, bad);
  taken_ += used;
  return reply;
}

void ReplyBuffer::compact() {
  if (taken_ == bytes_.size()) {
    bytes_.clear();  // (keeps its capacity)
    taken_ = 0;
  } else if (taken_ >= kCompactBytes && taken_ >= bytes_.size() / 2) {
    moved_ += bytes_.size() - taken_;
    bytes_.erase(0, taken_);
    taken_ = 0;
  }
}

}  // namespace logship::ssh
