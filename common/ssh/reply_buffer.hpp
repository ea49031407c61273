// ReplyBuffer: the bytes received from an SFTP server, and the replies framed in them.
// Replies are decoded where they lie (views, no copy). The bytes of the replies already taken
// are dropped only now and then: once they are all of the buffer, or at least kCompactBytes
// and half of it. So each byte is moved at most about once, whatever the backlog (erasing
// every reply from the front instead moves the whole backlog each time: quadratic in the
// replies queued behind it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ssh/sftp_wire.hpp"

namespace logship::ssh {

class ReplyBuffer {
 public:
  static constexpr std::size_t kCompactBytes = 256 * 1024;  // bytes taken before a compaction

  // Where received bytes are appended (e.g. by Channel::read_some). Appending may move the
  // bytes: views from next() die.
  std::string& input() { return bytes_; }
  void append(std::string_view bytes) { bytes_.append(bytes); }
  // The next complete reply, its body a view into the buffer valid until the next append or
  // compact(). nullopt: more bytes are needed, or the frame is malformed (`bad`).
  std::optional<sftp::Reply> next(bool& bad);
  // Drops the bytes of the replies taken, if it is time to (see above). Views from next() die.
  void compact();

  std::size_t unread() const { return bytes_.size() - taken_; }  // bytes not taken yet
  std::uint64_t moved() const { return moved_; }  // bytes moved by compactions so far

 private:
  std::string bytes_;  // those before taken_ belong to replies already taken
  std::size_t taken_ = 0;
  std::uint64_t moved_ = 0;
};

}  // namespace logship::ssh
