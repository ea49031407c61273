#include "watch/alarm.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>

#include "vault/format.hpp"

extern char** environ;

namespace logship::watch {

Alarm::Alarm(std::string program, const Clock& clock)
    : program_(std::move(program)), clock_(clock), refilled_(clock.now()) {}

bool Alarm::spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> a, e;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  std::vector<std::string> envs = env;
  for (const char* name : {"PATH", "HOME", "USER", "LOGNAME", "LANG"})
    if (const char* v = ::getenv(name)) envs.push_back(std::string(name) + "=" + v);
  for (const auto& s : envs) e.push_back(const_cast<char*>(s.c_str()));
  e.push_back(nullptr);
  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  ::posix_spawnattr_setsigmask(&attr, &none);  // (the watcher blocks its signals)
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, program_.c_str(), nullptr, &attr, a.data(), e.data());
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    spdlog::error("--on-finding {}: cannot run it: {}", program_, std::strerror(rc));
    return false;
  }
  running_.push_back({pid, clock_.now()});
  return true;
}

void Alarm::finding(const std::string& stream, const vault::Finding& f) {
  tick();
  if (tokens_ < 1 || running_.size() >= kRunning) {
    ++suppressed_;
    ++suppressed_total_;
    return;
  }
  tokens_ -= 1;
  const auto kind = std::string(vault::to_string(f.kind));
  const auto line = std::to_string(f.line);
  const auto now = vault::format_time(
      std::chrono::time_point_cast<std::chrono::microseconds>(clock_.wall_now()));
  spawn({program_, kind, stream, f.file, line, f.message},
        {"LOGSHIP_KIND=" + kind, "LOGSHIP_STREAM=" + stream, "LOGSHIP_FILE=" + f.file,
         "LOGSHIP_LINE=" + line, "LOGSHIP_MESSAGE=" + f.message, "LOGSHIP_TIME=" + now});
}

void Alarm::tick() {
  const auto now = clock_.now();
  std::erase_if(running_, [&](const Run& r) {
    if (::waitpid(r.pid, nullptr, WNOHANG) != 0) return true;
    if (now - r.started < kLongest) return false;
    spdlog::error("--on-finding {}: still running after {} s; killed", program_, kLongest.count());
    ::kill(r.pid, SIGKILL);
    ::waitpid(r.pid, nullptr, 0);
    return true;
  });
  const double add = std::chrono::duration<double>(now - refilled_) / kRefill;
  tokens_ = std::min<double>(kBurst, tokens_ + add);
  refilled_ = now;
  if (suppressed_ > 0 && tokens_ >= 1 && running_.size() < kRunning) {
    tokens_ -= 1;
    const auto n = std::to_string(suppressed_);
    const auto msg =
        n + " findings were not passed to this program (rate limit: " + std::to_string(kBurst) +
        " at once, then one per " + std::to_string(kRefill.count()) + " s); see the watcher's log";
    suppressed_ = 0;
    spawn({program_, "suppressed", "-", "-", "0", msg},
          {"LOGSHIP_KIND=suppressed", "LOGSHIP_STREAM=-", "LOGSHIP_FILE=-", "LOGSHIP_LINE=0",
           "LOGSHIP_MESSAGE=" + msg});
  }
}

}  // namespace logship::watch
