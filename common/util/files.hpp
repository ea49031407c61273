// Small, careful file operations: atomic replacement, whole-file reads, descriptor ownership.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace logship {

// Owns a file descriptor; closes it once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Replaces `path` with `data` so that a reader or a crash sees the old or the new content,
// never a mix: write a temporary file beside it, fsync, rename, fsync the directory.
Result<void> atomic_write_file(const std::filesystem::path& path, std::string_view data,
                               mode_t mode = 0600);

// The same without the fsyncs: a reader sees the old or the new content, never a mix, and so
// does a crash of the process; after a power loss the file may hold either, or be empty. For
// files rewritten every few seconds that nothing needs back after a reboot (status files):
// they never wait for a busy disk.
Result<void> replace_file(const std::filesystem::path& path, std::string_view data, mode_t mode);

// Reads a whole (small) file.
Result<std::string> read_file(const std::filesystem::path& path);

// Writes all of `data` to fd, retrying on EINTR and short writes.
Result<void> write_all(int fd, std::string_view data, const std::filesystem::path& what);
// The same with pwrite(2), at `offset`.
Result<void> pwrite_all(int fd, std::string_view data, off_t offset,
                        const std::filesystem::path& what);

// fsync of a directory, so that a rename or create inside it survives power loss.
Result<void> fsync_dir(const std::filesystem::path& dir);

// "open FILE: No such file or directory" style message for the current errno.
std::string errno_message(std::string_view action, const std::filesystem::path& path);

}  // namespace logship
