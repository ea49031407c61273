#include "input/fifo.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace logship::input {

namespace {

Error config_error(std::string msg) {
  return make_error(ErrorKind::config, std::move(msg));
}

std::size_t pipe_max_size() {
  std::ifstream in("/proc/sys/fs/pipe-max-size");
  std::size_t n = 0;
  if (in >> n) return n;
  return 1u << 20;
}

}  // namespace

std::size_t raise_pipe_capacity(int fd, std::size_t wanted) {
  // An unprivileged process may go up to pipe-max-size; try that first, then halve.
  for (std::size_t size = std::min(wanted, pipe_max_size()); size >= 65536; size /= 2) {
    if (::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(size)) >= 0) break;
  }
  const int now = ::fcntl(fd, F_GETPIPE_SZ);
  return now > 0 ? static_cast<std::size_t>(now) : 0;
}

Result<Input> open_fifo(const FifoOptions& o) {
  const auto& p = o.path;
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    if (errno != ENOENT) return config_error(errno_message("cannot inspect input", p));
    if (::mkfifo(p.c_str(), o.mode) != 0 && errno != EEXIST)
      return config_error(errno_message("cannot create input FIFO", p) +
                          "; create the directory or choose another --input");
    ::chmod(p.c_str(), o.mode);  // mkfifo applies the umask
    if (o.group) {
      errno = 0;
      const struct group* g = ::getgrnam(o.group->c_str());
      if (!g) return config_error("unknown group '" + *o.group + "' for input FIFO " + p.string());
      if (::chown(p.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0)
        return config_error(errno_message("cannot give group " + *o.group + " to", p) +
                            "; the agent's user must be a member of that group");
    }
  } else if (!S_ISFIFO(st.st_mode)) {
    return config_error("input " + p.string() +
                        " exists and is not a FIFO; remove it or choose another --input");
  }

  Input in;
  in.is_fifo = true;
  // O_RDWR on a FIFO would also do, but two descriptors keep the roles clear: the read end,
  // and a write end whose only purpose is that the pipe always has a writer.
  in.read_fd = UniqueFd(::open(p.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!in.read_fd.valid())
    return config_error(errno_message("cannot open input FIFO", p) +
                        "; check that the agent's user may read it");
  in.keepalive_fd = UniqueFd(::open(p.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!in.keepalive_fd.valid())
    return config_error(errno_message("cannot open input FIFO for writing", p) +
                        "; the agent holds a write end so syslog restarts never end the input: "
                        "give its user write permission");
  in.capacity = raise_pipe_capacity(in.read_fd.get(), 16u << 20);
  in.description = "FIFO " + p.string() + " (" + std::to_string(in.capacity) + "-byte buffer)";
  return in;
}

Result<Input> open_stdin() {
  Input in;
  in.read_fd = UniqueFd(::dup(STDIN_FILENO));
  if (!in.read_fd.valid())
    return config_error(std::string("cannot use stdin: ") + std::strerror(errno));
  const int flags = ::fcntl(in.read_fd.get(), F_GETFL);
  ::fcntl(in.read_fd.get(), F_SETFL, flags | O_NONBLOCK);
  struct stat st {};
  if (::fstat(in.read_fd.get(), &st) == 0 && S_ISFIFO(st.st_mode))
    in.capacity = raise_pipe_capacity(in.read_fd.get(), 16u << 20);
  in.description = "stdin";
  return in;
}

}  // namespace logship::input
