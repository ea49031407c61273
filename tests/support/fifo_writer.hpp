// FifoWriter: writes into a FIFO as a syslog daemon does, for tests of the push agent.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace logship::test {

// Writes lines into a FIFO like a syslog daemon: opened as rsyslog's ompipe and syslog-ng's
// pipe() open it, read-write and non-blocking, so the writer also counts as a reader: while the
// agent is down (killed, restarting) writes fill the pipe's buffer instead of failing with
// EPIPE, and that buffer lives on for the next start. A line that met EAGAIN is retried
// (syslog would have queued or lost it), so that the expected content is exact. Whether a
// writer at full speed meets EAGAIN is a matter of speed: bench/push measures it.
class FifoWriter {
 public:
  explicit FifoWriter(const std::filesystem::path& fifo) {
    fd_ = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("open fifo for writing: " + fifo.string());
  }
  ~FifoWriter() { ::close(fd_); }
  void write(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
      } else if (errno == EAGAIN) {  // full
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      } else {
        throw std::runtime_error("write to fifo failed");
      }
    }
  }

 private:
  int fd_ = -1;
};

}  // namespace logship::test
