// Puller: one monitored host, its followed files, one SSH session (and in sftp mode one SFTP
// session) shared by all of them, reconnected forever with the shared Backoff. Driven from
// one thread: tick() does what is due, next_deadline() says when to call it again (mosh's
// wait_time()/tick()).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "follow/follower.hpp"
#include "follow/remote_files.hpp"
#include "ssh/options.hpp"
#include "util/backoff.hpp"
#include "util/clock.hpp"

namespace logship::ssh {
class Session;
class SftpSession;
}  // namespace logship::ssh

namespace logship::follow {

struct PullerOptions {
  ssh::SessionOptions ssh;
  bool sftp = true;                     // false: tail mode (one exec channel a file)
  std::chrono::milliseconds poll{500};  // ms between looks at the files
  std::chrono::seconds heartbeat{60};   // s; a heartbeat batch after this silence
  std::chrono::milliseconds checkpoint_interval{1000};  // ms; fsync + checkpoint at most this
                                                        // often (10x less while catching up)
  std::chrono::milliseconds keepalive{10'000};          // ms; tail mode: ping a silent connection
  Backoff::Policy backoff;
};

// The connection, as the status file shows it.
struct HostStatus {
  std::string endpoint;  // host:port
  bool connected = false;
  std::optional<WallTime> connected_since;    // of the current connection
  std::optional<WallTime> unreachable_since;  // first failure since the last good connection
  std::string last_error, last_error_kind;
  std::uint64_t connections = 0;  // made since start
  std::uint64_t failures = 0;     // failed attempts and dropped connections since start
};

// When a file is looked at next, its look having begun at `started` and ended at `now`: at once
// while it is being caught up (`busy`: its last read stopped at the burst limit), kActiveRepoll
// after the start of a look that read new bytes (`active`: it is being written to, so read
// again without waiting a poll interval), else a poll interval after the start of this look.
// Never before `now`: on a link whose round trip is longer, a look follows the last at once.
SteadyTime next_look(SteadyTime started, SteadyTime now, bool busy, bool active,
                     std::chrono::milliseconds poll);
inline constexpr std::chrono::milliseconds kActiveRepoll{10};  // ms; bounds the looks on a LAN
inline constexpr std::size_t kLooksAhead =
    8;  // files whose looks are asked for ahead of their turn

class Puller {
 public:
  Puller(PullerOptions options, std::vector<std::unique_ptr<Follower>> followers,
         const Clock& clock);
  ~Puller();

  // Starts every follower (checkpoints loaded, outputs reconciled). Errors are fatal.
  Result<void> start();
  // Connects when due, polls the files when due (stopping early when `stop` says so), writes
  // checkpoints and heartbeats.
  void tick(const std::function<bool()>& stop);
  // When tick() has something to do next.
  SteadyTime next_deadline() const;
  // Closes handles and channels on a live connection (remote tails exit), within
  // kShutdownGrace, then saves the final checkpoints.
  void shutdown();
  static constexpr std::chrono::milliseconds kShutdownGrace{1000};  // ms for the closes

  const HostStatus& host() const { return host_; }
  std::vector<FileStatus> files() const;

 private:
  void connect(const std::function<bool()>& stop);     // a stop ends the attempt at once
  void fail(const Error& e, bool was_connected);       // a failed attempt or a dropped connection
  void poll_files(const std::function<bool()>& stop);  // looks at the files that are due
  SteadyTime next_look_due() const;

  PullerOptions options_;
  std::vector<std::unique_ptr<Follower>> followers_;
  const Clock& clock_;
  Backoff backoff_;
  std::unique_ptr<ssh::Session> session_;
  std::unique_ptr<ssh::SftpSession> sftp_;
  std::unique_ptr<RemoteFiles> files_;  // over sftp_
  bool proven_ = false;                 // a full poll round succeeded on this connection
  std::vector<SteadyTime> next_look_;   // when each follower is looked at next
  SteadyTime next_checkpoint_{};
  bool catching_up_ = false;  // the last poll stopped at a file's burst limit
  SteadyTime last_ping_{};
  std::string logged_error_;  // the last connection error logged (each is logged once)
  HostStatus host_;
};

}  // namespace logship::follow
