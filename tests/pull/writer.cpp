#include "writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "support/wait.hpp"

namespace logship::test {

std::string numbered(std::uint64_t i) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "line %08llu sshd[4242]: Accepted publickey for alice port %llu\n",
                static_cast<unsigned long long>(i), static_cast<unsigned long long>(i % 65536));
  return buf;
}

Writer::Writer(std::filesystem::path path, int lines_per_second, std::uint64_t first)
    : path_(std::move(path)), count_(first - 1) {
  open();
  thread_ = std::thread([this, lines_per_second] {
    const auto period = std::chrono::microseconds(1'000'000 / lines_per_second);
    auto next = std::chrono::steady_clock::now();
    while (!stop_) {
      {
        std::lock_guard<std::mutex> l(mu_);
        if (reopen_) {
          ::close(fd_);
          open();
          reopen_ = false;
        }
        const auto line = numbered(++count_);
        if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
          failed_ = true;
        written_ += line;
      }
      next += period;
      std::this_thread::sleep_until(next);  // (the writer's pace, not a wait for anything)
    }
  });
}

void Writer::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Writer::reopen() {
  std::lock_guard<std::mutex> l(mu_);
  reopen_ = true;
}

std::string Writer::written() {
  std::lock_guard<std::mutex> l(mu_);
  return written_;
}

std::uint64_t Writer::count() {
  std::lock_guard<std::mutex> l(mu_);
  return count_;
}

bool Writer::wrote(std::uint64_t lines) {
  const auto until = count() + lines;
  return wait_until([&] { return count() >= until; }, std::chrono::seconds(30), "the writer");
}

void Writer::open() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) failed_ = true;
}

}  // namespace logship::test
