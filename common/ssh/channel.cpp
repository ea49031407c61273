#include "ssh/channel.hpp"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <algorithm>

#include "ssh/session.hpp"

namespace logship::ssh {

namespace {

// Remote stderr text as one line of a message.
std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

}  // namespace

Channel::Channel(Session& session, ssh_channel_struct* channel, std::string command, bool subsystem)
    : session_(&session),
      channel_(channel),
      callbacks_(std::make_unique<ssh_channel_callbacks_struct>()),
      command_(std::move(command)),
      subsystem_(subsystem) {
  *callbacks_ = {};
  callbacks_->userdata = this;
  callbacks_->channel_data_function = &Channel::on_data;
  callbacks_->channel_eof_function = &Channel::on_eof;
  callbacks_->channel_close_function = &Channel::on_close;
  callbacks_->channel_exit_status_function = &Channel::on_exit_status;
  callbacks_->channel_exit_signal_function = &Channel::on_exit_signal;
  ssh_callbacks_init(callbacks_.get());
  ssh_set_channel_callbacks(channel_, callbacks_.get());
}

Channel::~Channel() {
  if (session_ == nullptr) return;
  session_->detach(this);
  orphan();
}

void Channel::orphan() {
  if (channel_ != nullptr) {
    // libssh may keep the channel until the vault's close arrives: it must not call us then.
    ssh_remove_channel_callbacks(channel_, callbacks_.get());
    ssh_channel_free(channel_);  // sends EOF and close if still open
    channel_ = nullptr;
  }
  session_ = nullptr;
  if (state_ != State::failed) state_ = State::closed;
}

std::string Channel::name() const {
  return (subsystem_ ? "subsystem '" : "command '") + command_ + "'";
}

std::string Channel::describe() const {
  return name() + " on " + (session_ ? session_->options().endpoint() : std::string("the vault"));
}

void Channel::progress() {
  if (channel_ == nullptr) return;
  if (state_ == State::opening) {
    const int rc = ssh_channel_open_session(channel_);
    if (rc == SSH_AGAIN) return;
    if (rc != SSH_OK) {
      Error e = session_->transport_error("opening a channel for " + name(), rc);
      if (e.kind == ErrorKind::protocol) e.kind = ErrorKind::remote_refused;
      failure_ = e;
      state_ = State::failed;
      return;
    }
    state_ = State::requesting;
  }
  if (state_ == State::requesting && requested_) {
    const int rc = subsystem_ ? ssh_channel_request_subsystem(channel_, command_.c_str())
                              : ssh_channel_request_exec(channel_, command_.c_str());
    if (rc == SSH_AGAIN) return;
    if (rc != SSH_OK) {
      Error e = session_->transport_error("starting " + name(), rc);
      if (e.kind == ErrorKind::protocol) e.kind = ErrorKind::remote_refused;
      failure_ = e;
      state_ = State::failed;
      return;
    }
    state_ = State::running;
  }
}

Result<void> Channel::usable(std::string_view what) const {
  if (failure_) return *failure_;
  if (session_ == nullptr) {
    return make_error(ErrorKind::network, std::string(what) + ": the session is gone");
  }
  return {};
}

void Channel::request() {
  if (requested_) return;
  requested_ = true;
  progress();  // sends the request now if the channel is open
}

Result<void> Channel::wait_started(Deadline deadline) {
  if (auto st = usable("starting " + command_); !st) return st;
  request();
  auto started = [&] { return state_ != State::opening && state_ != State::requesting; };
  if (auto st = session_->run_until(deadline, started, "starting " + describe()); !st) return st;
  if (failure_) return *failure_;
  return {};
}

Result<void> Channel::write(std::string_view data, Deadline deadline) {
  if (auto st = wait_started(deadline); !st) return st;
  if (eof_sent_) return make_error(ErrorKind::protocol, "write after EOF on " + describe());
  while (!data.empty()) {
    if (remote_closed_ || exit_status_ || channel_ == nullptr) {
      std::string why = exit_status_ ? " (exit status " + std::to_string(*exit_status_) + ")" : "";
      if (!stderr_.empty()) why += ": " + one_line(stderr_);
      return make_error(ErrorKind::remote_refused,
                        describe() + " ended before reading all its input" + why);
    }
    const auto chunk = static_cast<uint32_t>(std::min(data.size(), kWriteChunk));
    const int n = ssh_channel_write(channel_, data.data(), chunk);
    if (n < 0) {
      session_->pump();  // the command may have ended: then its status and stderr say why
      if (!remote_closed_ && !exit_status_) {
        return session_->transport_error("writing to " + name(), n);
      }
      continue;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    if (n > 0) continue;
    if (ssh_channel_window_size(channel_) == 0) {
      // The peer's window is closed: wait until it reopens.
      auto writable = [&] {
        return channel_ == nullptr || remote_closed_ || ssh_channel_window_size(channel_) > 0;
      };
      if (auto st = session_->run_until(deadline, writable, "writing to " + describe()); !st) {
        return st;
      }
    } else if (auto st = session_->wait_for_io(deadline, "writing to " + describe()); !st) {
      return st;  // a key exchange runs: nothing can be sent until the peer answers
    }
  }
  return {};
}

Result<void> Channel::send_eof(Deadline deadline) {
  if (auto st = wait_started(deadline); !st) return st;
  if (eof_sent_ || remote_closed_) return {};
  // Nonblocking, SSH_AGAIN means the EOF is queued but not yet flushed to the socket (libssh
  // has marked it sent): the waits that follow flush it. Only SSH_ERROR is a failure.
  const int rc = ssh_channel_send_eof(channel_);
  if (rc == SSH_ERROR) return session_->transport_error("sending EOF to " + name(), rc);
  eof_sent_ = true;
  return {};
}

Result<int> Channel::wait_exit(Deadline deadline) {
  if (auto st = wait_started(deadline); !st) return st.error();
  // The exit status may come before the last stderr bytes; the close comes after everything.
  auto closed = [&] { return remote_closed_ || channel_ == nullptr; };
  Result<void> st =
      session_->run_until(deadline, closed, "waiting for the exit status of " + describe());
  if (exit_status_) return *exit_status_;
  if (!st) return st.error();
  if (!exit_signal_.empty()) {
    return make_error(ErrorKind::remote_refused,
                      describe() + " was killed by signal " + exit_signal_ +
                          (stderr_.empty() ? std::string() : ": " + one_line(stderr_)));
  }
  return make_error(ErrorKind::protocol,
                    describe() + " closed without an exit status" +
                        (stderr_.empty() ? std::string() : ": " + one_line(stderr_)));
}

Result<void> Channel::finish(Deadline deadline) {
  if (auto st = send_eof(deadline); !st) return st;
  auto status = wait_exit(deadline);
  if (!status) return status.error();
  if (*status == 0) return {};
  const std::string text = one_line(stderr_);
  return make_error(ErrorKind::remote_refused, describe() + " failed with exit status " +
                                                   std::to_string(*status) +
                                                   (text.empty() ? std::string() : ": " + text));
}

Result<std::size_t> Channel::read_some(std::string& out, Deadline deadline) {
  if (stdout_.empty() && !remote_eof_ && !remote_closed_) {
    if (auto st = usable("reading from " + command_); !st) return st.error();
    auto readable = [&] {
      return !stdout_.empty() || remote_eof_ || remote_closed_ || channel_ == nullptr;
    };
    Result<void> st = session_->run_until(deadline, readable, "reading from " + describe());
    // The deadline passing is silence, not an error; an interruption is one.
    if (!st && (st.error().kind != ErrorKind::timeout || session_->interrupted()))
      return st.error();
    if (failure_) return *failure_;
  }
  const std::size_t n = stdout_.size();
  if (out.empty()) {
    out.swap(stdout_);  // (no copy; each keeps a buffer it can reuse)
  } else {
    out.append(stdout_);
  }
  stdout_.clear();
  return n;
}

Result<void> Channel::close(Deadline deadline) {
  if (channel_ == nullptr || session_ == nullptr) return {};
  if (state_ == State::running && !remote_closed_) {
    // SSH_AGAIN: queued, not yet flushed. When it came from the EOF that close sends first,
    // the CLOSE itself was not queued yet: the second call queues it.
    int rc = ssh_channel_close(channel_);
    if (rc == SSH_AGAIN) rc = ssh_channel_close(channel_);
    if (rc == SSH_ERROR) return session_->transport_error("closing " + name(), rc);
    auto closed = [&] { return remote_closed_ || channel_ == nullptr; };
    if (auto st = session_->run_until(deadline, closed, "closing " + describe()); !st) return st;
  }
  session_->detach(this);
  orphan();
  return {};
}

int Channel::on_data(ssh_session_struct*, ssh_channel_struct*, void* data, uint32_t len,
                     int is_stderr, void* self) {
  auto* c = static_cast<Channel*>(self);
  const char* bytes = static_cast<const char*>(data);
  if (is_stderr) {
    const std::size_t keep =
        std::min<std::size_t>(len, kMaxStderr - std::min(kMaxStderr, c->stderr_.size()));
    c->stderr_.append(bytes, keep);
    return static_cast<int>(len);
  }
  if (c->stdout_.size() + len > kMaxUnread) {
    if (!c->failure_) {
      c->failure_ =
          make_error(ErrorKind::protocol, c->describe() + " sent more unread output than allowed");
    }
    return static_cast<int>(len);
  }
  c->stdout_.append(bytes, len);
  return static_cast<int>(len);
}

void Channel::on_eof(ssh_session_struct*, ssh_channel_struct*, void* self) {
  static_cast<Channel*>(self)->remote_eof_ = true;
}

void Channel::on_close(ssh_session_struct*, ssh_channel_struct*, void* self) {
  auto* c = static_cast<Channel*>(self);
  c->remote_closed_ = true;
  c->remote_eof_ = true;
}

void Channel::on_exit_status(ssh_session_struct*, ssh_channel_struct*, int status, void* self) {
  static_cast<Channel*>(self)->exit_status_ = status;
}

void Channel::on_exit_signal(ssh_session_struct*, ssh_channel_struct*, const char* signal, int,
                             const char* errmsg, const char*, void* self) {
  auto* c = static_cast<Channel*>(self);
  c->exit_signal_ = signal ? signal : "?";
  if (errmsg != nullptr && *errmsg != '\0') c->exit_signal_ += std::string(" (") + errmsg + ")";
}

}  // namespace logship::ssh
