#include "util/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace logship {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string errno_message(std::string_view action, const std::filesystem::path& path) {
  return std::string(action) + " " + path.string() + ": " + std::strerror(errno);
}

Result<void> write_all(int fd, std::string_view data, const std::filesystem::path& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::io, errno_message("write", what));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<void> pwrite_all(int fd, std::string_view data, off_t offset,
                        const std::filesystem::path& what) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::io, errno_message("write", what));
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return {};
}

Result<void> fsync_dir(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return make_error(ErrorKind::io, errno_message("open directory", dir));
  if (::fsync(fd.get()) != 0) return make_error(ErrorKind::io, errno_message("fsync", dir));
  return {};
}

namespace {

Result<void> write_and_rename(const std::filesystem::path& path, std::string_view data, mode_t mode,
                              bool durable) {
  const auto dir = path.parent_path();
  std::random_device rd;
  const auto tmp =
      path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) return make_error(ErrorKind::io, errno_message("create", tmp));
  auto fail = [&](std::string msg) -> Result<void> {
    ::unlink(tmp.c_str());
    return make_error(ErrorKind::io, std::move(msg));
  };
  if (::fchmod(fd.get(), mode) != 0) return fail(errno_message("chmod", tmp));  // umask-proof
  if (auto st = write_all(fd.get(), data, tmp); !st) return fail(st.error().message);
  if (durable && ::fsync(fd.get()) != 0) return fail(errno_message("fsync", tmp));
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(errno_message("rename to", path));
  return durable ? fsync_dir(dir) : Result<void>{};
}

}  // namespace

Result<void> atomic_write_file(const std::filesystem::path& path, std::string_view data,
                               mode_t mode) {
  return write_and_rename(path, data, mode, /*durable=*/true);
}

Result<void> replace_file(const std::filesystem::path& path, std::string_view data, mode_t mode) {
  return write_and_rename(path, data, mode, /*durable=*/false);
}

Result<std::string> read_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return make_error(ErrorKind::io, errno_message("open", path));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::io, errno_message("read", path));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace logship
