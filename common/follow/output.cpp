#include "follow/output.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "follow/framed_output.hpp"
#include "follow/raw_output.hpp"

namespace logship::follow {

Result<std::unique_ptr<Output>> Output::open(OutputOptions options, const Clock& clock) {
  std::unique_ptr<Output> out;
  if (options.format == Format::raw)
    out.reset(new RawOutput(std::move(options), clock));
  else
    out.reset(new FramedOutput(std::move(options), clock));
  const auto& path = out->options_.path;
  std::error_code ec;
  if (path.has_parent_path() && !std::filesystem::exists(path.parent_path(), ec)) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec)
      return make_error(ErrorKind::io,
                        "create directory " + path.parent_path().string() + ": " + ec.message());
    ::chmod(path.parent_path().c_str(), 0750);
  }
  out->fd_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!out->fd_.valid()) return make_error(ErrorKind::io, errno_message("open", path));
  struct stat st {};
  if (::fstat(out->fd_.get(), &st) != 0)
    return make_error(ErrorKind::io, errno_message("stat", path));
  if (!S_ISREG(st.st_mode))
    return make_error(ErrorKind::config, path.string() + " is not a regular file");
  out->size_ = static_cast<std::uint64_t>(st.st_size);
  if (out->options_.format == Format::raw) {
    int flags = 0;
    if (::ioctl(out->fd_.get(), FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_APPEND_FL))
      return make_error(
          ErrorKind::config,
          path.string() +
              " is append-only (chattr +a): a raw copy is cut back to its checkpoint "
              "after a crash, which an append-only file forbids; use --format framed");
  }
  return out;
}

Result<void> Output::write(std::string_view bytes) {
  if (auto st = write_all(fd_.get(), bytes, options_.path); !st) {
    struct stat s {};
    if (::fstat(fd_.get(), &s) == 0) size_ = static_cast<std::uint64_t>(s.st_size);
    return st;
  }
  size_ += bytes.size();
  last_write_ = clock_.now();
  return {};
}

Result<void> Output::refresh() {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return make_error(ErrorKind::io, errno_message("stat", path()));
  size_ = static_cast<std::uint64_t>(st.st_size);
  origin_ = Origin{};
  return {};
}

}  // namespace logship::follow
