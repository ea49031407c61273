#include "util/instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace logship {

Result<std::optional<InstanceLock>> InstanceLock::acquire(const std::filesystem::path& path,
                                                          pid_t* holder) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid())
    return make_error(ErrorKind::config, errno_message("cannot open lock file", path));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return make_error(ErrorKind::io, errno_message("cannot lock", path));
    if (holder) {
      char buf[32] = {};
      ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
      *holder = n > 0 ? static_cast<pid_t>(std::atol(buf)) : 0;
    }
    return std::optional<InstanceLock>{};
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0)
    return make_error(ErrorKind::io, errno_message("cannot write pid to", path));
  return std::optional<InstanceLock>{InstanceLock(std::move(fd))};
}

}  // namespace logship
