// Child: a program the test started (no shell), its output in a log file, killed if the test
// leaves it running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace logship::test {

class Child {
 public:
  // stdin comes from `input` (default /dev/null).
  Child(const std::vector<std::string>& argv, const std::filesystem::path& log,
        const std::filesystem::path& input = "/dev/null");
  ~Child();  // SIGKILL and reap if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // The exit code (128+signal if killed), or nullopt if still running after `timeout`.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Runs a program to completion: its exit code and stdout (stderr goes to `err` if given).
struct Output {
  int code = -1;
  std::string out;
  std::string err;
};
Output run_program(const std::vector<std::string>& argv);

}  // namespace logship::test
