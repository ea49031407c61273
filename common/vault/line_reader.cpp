#include "vault/line_reader.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace logship::vault {

LineReader::LineReader(int fd, std::size_t max_line, std::uint64_t begin, std::uint64_t end)
    : fd_(fd), max_line_(max_line ? max_line : 1), read_pos_(begin), end_(end), buf_offset_(begin) {
  const std::uint64_t span = end - begin;  // small ranges and files get a small buffer
  cap_ = span >= kReadChunk ? kReadChunk : std::max<std::size_t>(4096, span + 1);
  buf_.reset(static_cast<char*>(std::malloc(cap_)));
  if (!buf_) throw std::bad_alloc();
}

void LineReader::grow() {
  // Enough to hold a line of max_line bytes and see that one more byte follows.
  const std::size_t most = max_line_ + kReadChunk;
  const std::size_t want = cap_ >= most / 2 ? most : cap_ * 2;
  if (want <= cap_) return;
  char* p = static_cast<char*>(std::realloc(buf_.get(), want));
  if (!p) throw std::bad_alloc();
  (void)buf_.release();
  buf_.reset(p);
  cap_ = want;
}

Result<void> LineReader::fill() {
  if (start_ > 0) {  // move the partial line to the front
    std::memmove(buf_.get(), buf_.get() + start_, fill_ - start_);
    fill_ -= start_;
    buf_offset_ += start_;
    start_ = 0;
  }
  if (cap_ - fill_ < cap_ / 2) grow();  // a long line
  const std::uint64_t want = std::min<std::uint64_t>(cap_ - fill_, end_ - read_pos_);
  if (want == 0) {
    eof_ = true;
    return {};
  }
  for (;;) {
    const ssize_t n = ::pread(fd_, buf_.get() + fill_, want, static_cast<off_t>(read_pos_));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorKind::io, std::string("read: ") + std::strerror(errno));
    if (n == 0) eof_ = true;
    fill_ += static_cast<std::size_t>(n);
    read_pos_ += static_cast<std::uint64_t>(n);
    return {};
  }
}

Result<bool> LineReader::next(Line& line) {
  for (;;) {
    const char* base = buf_.get() + start_;
    const std::size_t avail = fill_ - start_;
    const void* nl = avail > scan_ ? std::memchr(base + scan_, '\n', avail - scan_) : nullptr;
    if (skipping_) {
      if (nl) {
        start_ += static_cast<std::size_t>(static_cast<const char*>(nl) - base) + 1;
        skipping_ = false;
      } else {
        start_ = fill_;
      }
      scan_ = 0;
      if (skipping_ && eof_) return false;
      if (skipping_ || start_ == fill_) {
        if (eof_) return false;
        if (auto st = fill(); !st) return st.error();
      }
      continue;
    }
    if (nl) {
      const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
      if (len > max_line_) {  // found the end, but the line is over the limit
        line = Line{{base, max_line_}, ++number_, buf_offset_ + start_, true, true};
        start_ += len + 1;
        scan_ = 0;
        return true;
      }
      line = Line{{base, len}, ++number_, buf_offset_ + start_, true, false};
      start_ += len + 1;
      scan_ = 0;
      return true;
    }
    scan_ = avail;
    if (avail > max_line_) {
      line = Line{{base, max_line_}, ++number_, buf_offset_ + start_, true, true};
      start_ = fill_;  // the buffer stays valid until the next call
      scan_ = 0;
      skipping_ = true;
      return true;
    }
    if (eof_) {
      if (avail == 0) return false;
      line = Line{{base, avail}, ++number_, buf_offset_ + start_, false, false};
      start_ = fill_;
      scan_ = 0;
      return true;
    }
    if (auto st = fill(); !st) return st.error();
  }
}

}  // namespace logship::vault
