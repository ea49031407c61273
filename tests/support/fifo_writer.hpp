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

// Writes lines into a FIFO like a syslog daemon: non-blocking, but retrying a line that met
// EAGAIN or EPIPE (syslog would have lost it), so that the expected content is exact. Whether a
// writer at full speed meets EAGAIN is a matter of speed: bench/push measures it.
class FifoWriter {
 public:
  explicit FifoWriter(const std::filesystem::path& fifo) {
    fd_ = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("open fifo for writing: " + fifo.string());
  }
  ~FifoWriter() { ::close(fd_); }
  void write(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
      } else if (errno == EAGAIN || errno == EPIPE) {  // full, or the agent restarts
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
