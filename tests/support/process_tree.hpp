// The processes on this machine as /proc shows them, for fixtures that must find, freeze or
// kill exactly the processes they started (never by name).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace logship::test {

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';     // R, S, T (stopped), Z ...
  std::string comm;     // kernel name, e.g. "tail"
  std::string cmdline;  // arguments joined by spaces; sshd rewrites its own ("sshd: root@notty")
};

// Every process visible in /proc (a snapshot; processes may vanish meanwhile).
std::vector<ProcessInfo> all_processes();

// The descendants of `roots` (not the roots themselves) in a snapshot.
std::vector<ProcessInfo> descendants(const std::vector<ProcessInfo>& snapshot,
                                     const std::vector<pid_t>& roots);

// Sends `signal` to each pid; ignores processes that are already gone.
void signal_all(const std::vector<ProcessInfo>& processes, int signal);

}  // namespace logship::test
