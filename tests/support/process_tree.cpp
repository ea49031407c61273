#include "support/process_tree.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>

namespace logship::test {

namespace {

// A whole /proc file with plain read(2): the process may vanish while we read, which
// std::ifstream reports by throwing.
bool slurp(const std::string& path, std::string& out) {
  out.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return n == 0;
}

bool read_process(pid_t pid, ProcessInfo& out) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::string line;
  if (!slurp(base + "/stat", line)) return false;
  // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= line.size()) {
    return false;
  }
  out.pid = pid;
  out.comm = line.substr(open + 1, close - open - 1);
  std::istringstream rest(line.substr(close + 2));
  rest >> out.state >> out.ppid;
  std::string args;
  slurp(base + "/cmdline", args);  // empty for zombies and kernel threads
  while (!args.empty() && args.back() == '\0') args.pop_back();
  for (char& c : args) {
    if (c == '\0') c = ' ';
  }
  out.cmdline = args;
  return true;
}

}  // namespace

std::vector<ProcessInfo> all_processes() {
  std::vector<ProcessInfo> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    ProcessInfo p;
    if (read_process(static_cast<pid_t>(std::stol(name)), p)) out.push_back(std::move(p));
  }
  return out;
}

std::vector<ProcessInfo> descendants(const std::vector<ProcessInfo>& snapshot,
                                     const std::vector<pid_t>& roots) {
  std::set<pid_t> family(roots.begin(), roots.end());
  std::vector<ProcessInfo> out;
  for (bool grew = true; grew;) {  // parents may be listed after their children
    grew = false;
    for (const auto& p : snapshot) {
      if (family.count(p.ppid) != 0 && family.count(p.pid) == 0) {
        family.insert(p.pid);
        out.push_back(p);
        grew = true;
      }
    }
  }
  return out;
}

void signal_all(const std::vector<ProcessInfo>& processes, int signal) {
  for (const auto& p : processes) ::kill(p.pid, signal);
}

}  // namespace logship::test
