#include "cli/signals.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace logship::cli {

UniqueFd block_agent_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
}

bool read_agent_signals(int sigfd, bool& stop) {
  signalfd_siginfo si{};
  while (::read(sigfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGHUP) {
      spdlog::info("SIGHUP: nothing to reload; still running");
    } else if (!stop) {
      spdlog::info("{}: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
      stop = true;
    }
  }
  return stop;
}

}  // namespace logship::cli
