#include "cli/agent_loop.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace logship::cli {

namespace {

UniqueFd block_agent_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  UniqueFd fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid()) throw std::runtime_error("signalfd failed");
  return fd;
}

}  // namespace

AgentLoop::AgentLoop(const Clock& clock, std::chrono::milliseconds status_interval)
    : clock_(clock),
      status_interval_(status_interval),
      sigfd_(block_agent_signals()),
      next_status_(clock.now()) {}

bool AgentLoop::stopping() {
  signalfd_siginfo si{};
  while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGHUP) {
      spdlog::info("SIGHUP: nothing to reload; still running");
    } else if (!stop_) {
      spdlog::info("{}: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
      stop_ = true;
    }
  }
  return stop_;
}

bool AgentLoop::wait(int fd, SteadyTime until) {
  std::array<pollfd, 2> fds{{{fd, POLLIN, 0}, {sigfd_.get(), POLLIN, 0}}};
  const auto wait =
      std::chrono::ceil<std::chrono::milliseconds>(std::min(until, next_status_) - clock_.now());
  ::poll(fds.data(), fds.size(),
         static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, kMaxWait.count())));
  return fds[0].revents & (POLLIN | POLLHUP | POLLERR);
}

bool AgentLoop::status_due() {
  const auto now = clock_.now();
  if (now < next_status_) return false;
  next_status_ = now + status_interval_;
  return true;
}

}  // namespace logship::cli
