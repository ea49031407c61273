// Reads a file line by line through one large buffer, in constant memory: the buffer grows only
// to hold the longest line, and never past `max_line` bytes (longer lines are cut and flagged).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "util/result.hpp"

namespace logship::vault {

inline constexpr std::size_t kReadChunk = 1 << 20;  // bytes: buffer size, and per read(2)

// One line, valid until the next call to LineReader::next().
struct Line {
  std::string_view bytes;    // without the '\n'; for a too-long line, its first max_line bytes
  std::uint64_t number = 0;  // 1-based, counted from where the reader started
  std::uint64_t offset = 0;  // file offset of the first byte
  bool terminated = true;    // false for the last bytes of the range when they lack a '\n'
  bool too_long = false;     // longer than max_line; the rest of it was skipped
  std::uint64_t end() const { return offset + bytes.size() + (terminated ? 1 : 0); }
};

class LineReader {
 public:
  // Reads fd (not owned) from `begin` up to `end` (exclusive) with pread(2).
  LineReader(int fd, std::size_t max_line, std::uint64_t begin = 0, std::uint64_t end = UINT64_MAX);

  // Fills `line` with the next line; false at the end of the range. Errors are ErrorKind::io.
  Result<bool> next(Line& line);

  std::uint64_t consumed() const {
    return buf_offset_ + start_;
  }  // file offset after the last line

  // Reading on where another reader stopped: line numbers go on from `lines_before`, and with
  // `in_long_line` the range starts inside a too-long line already reported (its rest skipped).
  void resume(std::uint64_t lines_before, bool in_long_line) {
    number_ = lines_before;
    skipping_ = in_long_line;
  }
  // Whether the range ended inside a too-long line (the rest of it is yet to be skipped).
  bool in_long_line() const { return skipping_; }

 private:
  Result<void> fill();  // reads more bytes after fill_, compacting and growing the buffer as needed
  void grow();

  int fd_;
  std::size_t max_line_;
  std::uint64_t read_pos_;  // next file offset to read
  std::uint64_t end_;
  // Grown with realloc(3), never past max_line + kReadChunk: glibc moves large blocks with
  // mremap(2), so a long line costs about max_line bytes of memory, not twice or three times
  // that as a doubling copy would.
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> buf_;
  std::size_t cap_ = 0;
  std::uint64_t buf_offset_;  // file offset of buf_[0]
  std::size_t start_ = 0;     // first byte of the next line in buf_
  std::size_t scan_ = 0;      // bytes from start_ already known to hold no '\n'
  std::size_t fill_ = 0;      // bytes of buf_ holding data
  std::uint64_t number_ = 0;
  bool eof_ = false;
  bool skipping_ = false;  // discarding the rest of a too-long line
};

}  // namespace logship::vault
