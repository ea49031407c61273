// Following a live file: reading the complete lines appended since the last look, about a
// budget at a time, and finishing it when it is rotated away.

#include "vault/verifier_impl.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace logship::vault {

using namespace detail;

// Where the complete lines of the live file end: after the last LF before `size`, or at
// `size` when the line being written is already too long (it is reported as such).
Result<std::uint64_t> Verifier::Impl::complete_lines_end(std::uint64_t size) {
  // Bytes after the cursor already known to hold no LF are not searched again: a line
  // written slowly is not scanned once per look.
  std::uint64_t floor = cursor.offset;
  if (no_lf_from == cursor.offset && no_lf_to > floor && no_lf_to <= size) floor = no_lf_to;
  char buf[64 << 10];
  std::uint64_t hi = size;
  while (hi > floor) {
    const auto lo = std::max(floor, hi > sizeof buf ? hi - sizeof buf : 0);
    const auto got = ::pread(fds[file].get(), buf, hi - lo, static_cast<off_t>(lo));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return make_error(ErrorKind::io, errno_message("read", name(file)));
    if (static_cast<std::uint64_t>(got) != hi - lo)
      return make_error(ErrorKind::io, name(file) + ": shrank while being read");
    const void* nl = ::memrchr(buf, '\n', static_cast<std::size_t>(got));
    if (nl) return lo + static_cast<std::uint64_t>(static_cast<const char*>(nl) - buf) + 1;
    if (size - lo > opt.max_line_bytes) return size;
    hi = lo;
  }
  no_lf_from = cursor.offset;
  no_lf_to = size;
  return size - cursor.offset > opt.max_line_bytes ? size : cursor.offset;
}

// After the first LF in [from, limit) of the live file (no LF lies between the cursor and
// `from`); `limit` when there is none and the line is already too long; else the cursor.
Result<std::uint64_t> Verifier::Impl::first_line_end(std::uint64_t from, std::uint64_t limit) {
  char buf[64 << 10];
  for (std::uint64_t at = from; at < limit;) {
    const auto want = std::min<std::uint64_t>(sizeof buf, limit - at);
    const auto got = ::pread(fds[file].get(), buf, want, static_cast<off_t>(at));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return make_error(ErrorKind::io, errno_message("read", name(file)));
    if (got == 0) break;
    if (const void* nl = std::memchr(buf, '\n', static_cast<std::size_t>(got)))
      return at + static_cast<std::uint64_t>(static_cast<const char*>(nl) - buf) + 1;
    at += static_cast<std::uint64_t>(got);
  }
  no_lf_from = cursor.offset;
  no_lf_to = limit;
  return limit - cursor.offset > opt.max_line_bytes ? limit : cursor.offset;
}

Result<void> Verifier::add_live(UniqueFd fd, std::string name, std::uint64_t start) {
  Impl& m = *impl_;
  if (m.live != SIZE_MAX) return make_error(ErrorKind::config, "a live file is already open");
  if (auto st = m.add(std::move(fd), std::move(name)); !st) return st;
  m.live = m.file;
  m.sizes[m.live] = start;
  m.cursor.offset = start;
  return {};
}

void Verifier::rename_live(std::string name) {
  Impl& m = *impl_;
  if (m.live == SIZE_MAX) return;
  m.sum.files[m.live] = name;
  m.names[m.live] = std::move(name);
}

Result<std::uint64_t> Verifier::read_live(std::uint64_t max_bytes) {
  Impl& m = *impl_;
  if (m.live == SIZE_MAX) return make_error(ErrorKind::config, "no live file");
  struct stat st {};
  if (::fstat(m.fds[m.live].get(), &st) != 0)
    return make_error(ErrorKind::io, errno_message("stat", m.name(m.live)));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < m.cursor.offset)
    return make_error(ErrorKind::data, m.name(m.live) + " shrank from " +
                                           std::to_string(m.cursor.offset) + " to " +
                                           std::to_string(size) + " bytes");
  m.file = m.live;
  auto window_end = [&](std::uint64_t window) {
    return size - m.cursor.offset > window ? m.cursor.offset + window : size;
  };
  auto end = m.complete_lines_end(window_end(max_bytes));
  // No line ends within max_bytes: up to the end of that line, so that a long line is read
  // whole (or seen to be too long), and no more.
  if (end && *end == m.cursor.offset && window_end(max_bytes) < size)
    end = m.first_line_end(window_end(max_bytes), window_end(m.opt.max_line_bytes + 1));
  if (!end) return end.error();
  if (*end == m.cursor.offset) return std::uint64_t{0};
  const auto before = m.cursor.offset;
  m.opt.now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  if (auto rd = m.read_lines(*end, false); !rd) return rd.error();
  // Lines outside any batch are reported now, not when the run ends (which may be never): a
  // run that may still be begin lines cut by interrupted transfers waits for what follows.
  m.stray_end_of_file();
  return m.cursor.offset - before;
}

Result<void> Verifier::end_live() {
  Impl& m = *impl_;
  if (m.live == SIZE_MAX) return make_error(ErrorKind::config, "no live file");
  struct stat st {};
  if (::fstat(m.fds[m.live].get(), &st) != 0)
    return make_error(ErrorKind::io, errno_message("stat", m.name(m.live)));
  m.file = m.live;
  m.live = SIZE_MAX;
  m.opt.now.reset();  // (a finished file holds no batch still being written)
  return m.read_lines(std::max<std::uint64_t>(m.cursor.offset, st.st_size), true);
}

std::uint64_t Verifier::live_offset() const {
  return impl_->live == SIZE_MAX ? 0 : impl_->cursor.offset;
}

}  // namespace logship::vault
