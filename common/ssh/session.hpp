// Session: one authenticated SSH connection to the vault, driven in nonblocking mode, where
// every call takes a deadline. A Session and its channels belong to one thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssh/options.hpp"
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
  // now + options().op_timeout: the deadline of one round trip with a live peer.
  SteadyTime op_deadline() const;
  // False once the transport failed, a ping timed out, or disconnect() was called.
  bool connected() const;

  // A real round trip: opens a session channel, waits for the vault's confirmation, closes it.
  // A frozen or dead peer gives ErrorKind::timeout / network, and the session is then unusable.
  Status ping(SteadyTime deadline);

  // Opens a channel and requests `command` without waiting: it progresses during any wait on
  // this session (so the next batch's channel can be opened while this one is written).
  Result<std::unique_ptr<Channel>> start_exec(const std::string& command);
  // start_exec, then waits until the vault accepted the command.
  Result<std::unique_ptr<Channel>> exec(const std::string& command, SteadyTime deadline);
  // Like start_exec, for a subsystem ("sftp").
  Result<std::unique_ptr<Channel>> start_subsystem(const std::string& name);

  // Drives the connection (all channels) until done() or the deadline; `what` names the
  // operation in the timeout message. The one wait loop of common/ssh.
  Status run_until(SteadyTime deadline, const std::function<bool()>& done, std::string_view what);

  // Closes the connection; harmless when repeated.
  void disconnect();

 private:
  friend class Channel;
  explicit Session(const SessionOptions& options);
  Status handshake(SteadyTime deadline);
  Result<std::unique_ptr<Channel>> start(bool subsystem, const std::string& what);
  void pump();  // processes whatever the socket has ready, then advances every channel
  Status wait_for_io(SteadyTime deadline, std::string_view what);  // one wake-up, then pump()
  void check_transport();
  Error timeout_error(std::string_view what) const;
  Error transport_error(std::string_view what) const;  // failure of a libssh call
  void attach(Channel* channel) { channels_.push_back(channel); }
  void detach(Channel* channel);

  SessionOptions options_;
  UniqueFd socket_;  // ours: libssh does not close a socket given with SSH_OPTIONS_FD
  ssh_session_struct* session_ = nullptr;
  ssh_event_struct* event_ = nullptr;
  bool in_event_ = false;
  std::optional<Error> broken_;
  std::vector<Channel*> channels_;
};

}  // namespace logship::ssh
