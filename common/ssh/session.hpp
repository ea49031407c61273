// Session: one authenticated SSH connection to the vault, driven in nonblocking mode, where
// every call takes a deadline. A Session and its channels belong to one thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssh/deadline.hpp"
#include "ssh/options.hpp"
#include "ssh/tcp_progress.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/result.hpp"

struct ssh_session_struct;  // libssh
struct ssh_event_struct;

namespace logship::ssh {

class Channel;

class Session {
 public:
  // Connects, checks the host key, authenticates with the identity file alone, within
  // options.connect_timeout. The key file is checked before any connection is made.
  static Result<std::unique_ptr<Session>> connect(const SessionOptions& options);

  ~Session();  // frees any channel still open, then disconnects
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const SessionOptions& options() const { return options_; }
  // The clock its deadlines are measured on.
  const Clock& clock() const { return *options_.clock; }
  // The liveness deadline of one operation with a live peer: now + options().op_timeout, and
  // then as long as the connection keeps making progress (Deadline).
  Deadline op_deadline() const;
  // When a wait with `deadline` ends, as far as is known now: its time, or for a liveness
  // deadline the later of that and op_timeout after the connection's last progress.
  SteadyTime until(const Deadline& deadline);
  // False once the transport failed, a ping timed out, or disconnect() was called.
  bool connected() const;
  // Processes what has arrived without waiting (answers the server's keepalive probes, so an
  // idle connection is not ended by its ClientAliveInterval; notices a close), then connected().
  bool alive();

  // A real round trip: opens a session channel, waits for the vault's confirmation, closes it.
  // A frozen or dead peer gives ErrorKind::timeout / network, and the session is then unusable.
  Result<void> ping(Deadline deadline);

  // Opens a channel and requests `command` without waiting: it progresses during any wait on
  // this session (so the next batch's channel can be opened while this one is written).
  // Deferred: the channel is opened, but `command` is requested only by Channel::request(), so
  // that it starts on the vault only then (after the previous batch's EOF, say).
  Result<std::unique_ptr<Channel>> start_exec(const std::string& command, bool deferred = false);
  // start_exec, then waits until the vault accepted the command.
  Result<std::unique_ptr<Channel>> exec(const std::string& command, Deadline deadline);
  // Like start_exec, for a subsystem ("sftp").
  Result<std::unique_ptr<Channel>> start_subsystem(const std::string& name);

  // Replaces options().interrupted for the waits from now on (nullptr: never interrupted).
  // An interrupted wait leaves the session usable.
  void set_interrupt(std::function<bool()> interrupt);
  // Whether the waits are to end (asked of the function at most every kInterruptCheck; once
  // it said true, true until set_interrupt).
  bool interrupted();

  // Drives the connection (all channels) until done() or the deadline; `what` names the
  // operation in the timeout message. The one wait loop of common/ssh.
  Result<void> run_until(Deadline deadline, const std::function<bool()>& done,
                         std::string_view what);

  // Closes the connection; harmless when repeated.
  void disconnect();

 private:
  friend class Channel;
  explicit Session(const SessionOptions& options);
  Result<void> handshake(Deadline deadline);
  Result<std::unique_ptr<Channel>> start(bool subsystem, const std::string& what, bool deferred);
  void pump();  // processes whatever the socket has ready, then advances every channel
  Result<void> wait_for_io(Deadline deadline, std::string_view what);  // one wake-up, then pump()
  void check_transport();
  // The wait for `what`, begun at `begun` with `deadline`, ended without an answer.
  Error timeout_error(std::string_view what, const Deadline& deadline, SteadyTime begun) const;
  // Failure of a libssh call that returned `rc`: libssh's reason, or the return code and the
  // session's state when libssh gave none.
  Error transport_error(std::string_view what, int rc = -1) const;
  void attach(Channel* channel) { channels_.push_back(channel); }
  void detach(Channel* channel);

  SessionOptions options_;
  UniqueFd socket_;  // ours: libssh does not close a socket given with SSH_OPTIONS_FD
  ssh_session_struct* session_ = nullptr;
  ssh_event_struct* event_ = nullptr;
  bool in_event_ = false;
  std::optional<Error> broken_;
  std::vector<Channel*> channels_;
  TcpProgress progress_;        // the socket's counters when last sampled
  SteadyTime last_progress_{};  // when they were last seen to move (or the session began)
  SteadyTime last_sample_{};
  SteadyTime interrupt_checked_{};
  bool interrupt_seen_ = false;
};

}  // namespace logship::ssh
