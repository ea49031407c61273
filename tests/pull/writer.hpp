// Writer: appends numbered lines to a file at a steady rate, like a logging daemon: it keeps
// its descriptor (O_APPEND) and opens the path again only when told to (logrotate's postrotate
// HUP). Everything written is remembered in order.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace logship::test {

// Line `i` of a numbered log: "line 00000042 sshd[4242]: Accepted publickey ...\n" (69 bytes).
std::string numbered(std::uint64_t i);

class Writer {
 public:
  // `first`: the number of the first line written (numbered(first)).
  Writer(std::filesystem::path path, int lines_per_second, std::uint64_t first = 1);
  ~Writer() { stop(); }
  void stop();
  void reopen();                       // at the next line: the path again
  std::mutex& mutex() { return mu_; }  // held: the writer waits (logrotate's copy + truncate)
  std::string written();
  std::uint64_t count();  // the number of the last line written
  bool failed() const { return failed_; }
  // Returns once `lines` more lines were written (the writer's own pace, no sleep).
  bool wrote(std::uint64_t lines);

 private:
  void open();
  std::filesystem::path path_;
  std::mutex mu_;
  int fd_ = -1;
  bool reopen_ = false;
  std::uint64_t count_ = 0;
  std::string written_;
  std::atomic<bool> stop_{false}, failed_{false};
  std::thread thread_;
};

}  // namespace logship::test
