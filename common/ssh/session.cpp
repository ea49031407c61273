#include "ssh/session.hpp"

#include <libssh/libssh.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <string_view>

#include "ssh/channel.hpp"
#include "ssh/deadline.hpp"
#include "ssh/host_key.hpp"
#include "ssh/private_key.hpp"
#include "ssh/tcp.hpp"

namespace logship::ssh {

namespace {

// Seconds, for messages: "2.5 s".
std::string seconds_text(std::chrono::milliseconds ms) {
  const auto tenths = ms.count() / 100;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") +
         " s";
}

// Rounds of ssh_event_dopoll(ev, 0) per pump, so a fast stream cannot starve the caller.
constexpr int kMaxRoundsPerPump = 64;

// How often a wait samples the socket's progress counters (a getsockopt), and the longest
// sleep of a wait with a liveness deadline: progress is dated to within this.
constexpr std::chrono::milliseconds kProgressSample{100};
constexpr std::chrono::milliseconds kLiveWake{250};

// libssh's return codes, for messages.
std::string rc_text(int rc) {
  switch (rc) {
    case SSH_OK:
      return "SSH_OK";
    case SSH_ERROR:
      return "SSH_ERROR";
    case SSH_AGAIN:
      return "SSH_AGAIN";
    case SSH_EOF:
      return "SSH_EOF";
    default:
      return std::to_string(rc);
  }
}

}  // namespace

Result<void> validate(const SessionOptions& o) {
  if (o.host.empty()) return make_error(ErrorKind::config, "no vault host given; pass --host");
  if (o.port == 0) return make_error(ErrorKind::config, "port 0 is not a valid SSH port");
  if (o.identity_file.empty()) {
    return make_error(ErrorKind::config, "no identity file given; pass --identity FILE");
  }
  if (o.known_hosts_file.empty()) {
    return make_error(ErrorKind::config, "no known_hosts file given; pass --known-hosts FILE");
  }
  if (o.known_hosts_file.string().find('%') != std::string::npos) {
    return make_error(ErrorKind::config, "known_hosts path " + o.known_hosts_file.string() +
                                             " must not contain '%' (libssh expands it)");
  }
  if (o.connect_timeout.count() <= 0 || o.op_timeout.count() <= 0) {
    return make_error(ErrorKind::config, "SSH timeouts must be positive");
  }
  if (!o.ciphers.empty()) {
    // libssh drops the names it does not know and fails only when none is left: ask it about
    // each name alone, so that a typo is not silently ignored.
    std::unique_ptr<ssh_session_struct, decltype(&ssh_free)> probe(ssh_new(), &ssh_free);
    if (!probe)
      return make_error(ErrorKind::config, "cannot check the cipher list: ssh_new failed");
    std::string_view rest = o.ciphers;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string name(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (name.empty() || ssh_options_set(probe.get(), SSH_OPTIONS_CIPHERS_C_S, name.c_str()) != 0)
        return make_error(ErrorKind::config,
                          "cipher '" + name + "' in the list '" + o.ciphers +
                              "' is not one libssh supports; see `ssh -Q cipher` for names");
    }
  }
  return {};
}

std::string default_ciphers(bool hardware_aes) {
  if (!hardware_aes) return {};
  return "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,"
         "aes256-ctr,aes192-ctr,aes128-ctr";
}

bool has_hardware_aes() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
  return has;
#else
  return false;
#endif
}

Session::Session(const SessionOptions& options) : options_(options) {}

Session::~Session() {
  for (Channel* c : std::vector<Channel*>(channels_)) c->orphan();
  channels_.clear();
  disconnect();
}

Result<std::unique_ptr<Session>> Session::connect(const SessionOptions& options) {
  if (auto st = validate(options); !st) return st.error();
  auto key = load_private_key(options.identity_file);  // refuse a bad key before connecting
  if (!key) return key.error();

  // TCP's connect is bounded by connect_timeout; the SSH handshake and the authentication then
  // by connect_timeout without progress, so that a long round trip (7 or more of them before
  // the first channel) is never taken for a server that does not answer.
  const Clock& clock = *options.clock;
  auto fd = tcp_connect(options.host, options.port, clock,
                        deadline_in(clock, options.connect_timeout), options.interrupted);
  if (!fd) return fd.error();
  const Deadline deadline = Deadline::live(clock, options.connect_timeout);

  std::unique_ptr<Session> s(new Session(options));
  s->session_ = ssh_new();
  s->event_ = ssh_event_new();
  if (s->session_ == nullptr || s->event_ == nullptr) {
    return make_error(ErrorKind::io, "out of memory creating an SSH session");
  }
  ssh_session raw = s->session_;
  const int off = 0;
  const int on = 1;
  const int port = options.port;
  const std::string known_hosts = options.known_hosts_file.string();
  bool ok = ssh_options_set(raw, SSH_OPTIONS_PROCESS_CONFIG, &off) == 0 &&
            ssh_options_set(raw, SSH_OPTIONS_HOST, options.host.c_str()) == 0 &&
            ssh_options_set(raw, SSH_OPTIONS_PORT, &port) == 0 &&
            ssh_options_set(raw, SSH_OPTIONS_KNOWNHOSTS, known_hosts.c_str()) == 0 &&
            ssh_options_set(raw, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") == 0 &&
            ssh_options_set(raw, SSH_OPTIONS_NODELAY, &on) == 0 &&
            ssh_options_set(raw, SSH_OPTIONS_PASSWORD_AUTH, &off) == 0 &&
            ssh_options_set(raw, SSH_OPTIONS_KBDINT_AUTH, &off) == 0 &&
            ssh_options_set(raw, SSH_OPTIONS_GSSAPI_AUTH, &off) == 0;
  if (ok && !options.user.empty()) {
    ok = ssh_options_set(raw, SSH_OPTIONS_USER, options.user.c_str()) == 0;
  }
  const std::string ciphers =
      options.ciphers.empty() ? default_ciphers(has_hardware_aes()) : options.ciphers;
  if (ok && !ciphers.empty()) {
    ok = ssh_options_set(raw, SSH_OPTIONS_CIPHERS_C_S, ciphers.c_str()) == 0 &&
         ssh_options_set(raw, SSH_OPTIONS_CIPHERS_S_C, ciphers.c_str()) == 0;
  }
  if (ok && options.rekey_after_bytes != 0) {
    const std::uint64_t bytes = options.rekey_after_bytes;
    ok = ssh_options_set(raw, SSH_OPTIONS_REKEY_DATA, &bytes) == 0;
  }
  if (!ok) {
    return make_error(ErrorKind::config, std::string("invalid SSH option: ") + ssh_get_error(raw));
  }
  // libssh uses the socket but never closes it: the Session does, after ssh_free().
  s->socket_ = std::move(*fd);
  s->last_progress_ = s->last_sample_ = clock.now();
  s->progress_ = tcp_progress(s->socket_.get());
  socket_t sock = s->socket_.get();
  if (ssh_options_set(raw, SSH_OPTIONS_FD, &sock) != 0) {
    return make_error(ErrorKind::io,
                      std::string("cannot hand the socket to libssh: ") + ssh_get_error(raw));
  }
  ssh_set_blocking(raw, 0);

  if (auto st = s->handshake(deadline); !st) return st.error();
  if (auto st = verify_host_key(raw, options); !st) return st.error();

  // Public-key authentication with this one key: no agent, no password, no default keys.
  int rc = SSH_AUTH_AGAIN;
  auto attempt = [&] {
    rc = ssh_userauth_publickey(raw, nullptr, key->get());
    return rc != SSH_AUTH_AGAIN;
  };
  if (auto st = s->run_until(deadline, attempt, "authentication"); !st) return st.error();
  if (rc == SSH_AUTH_SUCCESS) return s;
  if (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL) {
    const std::string user = options.user.empty() ? "the local user name" : options.user;
    return make_error(ErrorKind::auth_refused,
                      options.endpoint() + " refused key " + options.identity_file.string() +
                          " for user " + user +
                          "; install its authorized_keys line (from logship-keys) in that "
                          "account on the vault, and check that its from= option allows this "
                          "host's address");
  }
  return s->transport_error("authentication", rc);
}

Result<void> Session::handshake(Deadline deadline) {
  // The first ssh_connect() call creates libssh's poll handle for the socket; only then can the
  // session join the event loop. Until it has, wait on the socket directly.
  const SteadyTime begun = clock().now();
  for (;;) {
    const int rc = ssh_connect(session_);
    if (rc == SSH_OK) break;
    if (rc == SSH_ERROR) return transport_error("SSH handshake", rc);
    if (!in_event_ && ssh_event_add_session(event_, session_) == SSH_OK) in_event_ = true;
    if (interrupted()) return interrupted_error("SSH handshake");
    const SteadyTime end = until(deadline);
    if (expired(clock(), end)) return timeout_error("SSH handshake", deadline, begun);
    if (in_event_) {
      ssh_event_dopoll(event_, poll_timeout_ms(clock(), end, std::chrono::milliseconds(100)));
    } else {
      pollfd p{ssh_get_fd(session_), POLLIN, 0};
      ::poll(&p, 1, poll_timeout_ms(clock(), end, std::chrono::milliseconds(100)));
    }
  }
  if (!in_event_) {
    if (ssh_event_add_session(event_, session_) != SSH_OK) {
      return make_error(ErrorKind::protocol, "cannot add the SSH session to its event loop");
    }
    in_event_ = true;
  }
  return {};
}

Deadline Session::op_deadline() const {
  return Deadline::live(clock(), options_.op_timeout);
}

SteadyTime Session::until(const Deadline& deadline) {
  if (!deadline.is_live() || !socket_.valid()) return deadline.at;
  const auto now = clock().now();
  if (now - last_sample_ >= kProgressSample) {
    last_sample_ = now;
    const TcpProgress p = tcp_progress(socket_.get());
    if (p != progress_) {
      progress_ = p;
      last_progress_ = now;
    }
  }
  return std::max(deadline.at, last_progress_ + deadline.idle);
}

void Session::set_interrupt(std::function<bool()> interrupt) {
  options_.interrupted = std::move(interrupt);
  interrupt_seen_ = false;
  interrupt_checked_ = {};
}

bool Session::interrupted() {
  if (!options_.interrupted) return false;
  if (interrupt_seen_) return true;
  const auto now = clock().now();
  if (now - interrupt_checked_ < kInterruptCheck) return false;
  interrupt_checked_ = now;
  interrupt_seen_ = options_.interrupted();
  return interrupt_seen_;
}

bool Session::alive() {
  pump();
  return connected();
}

bool Session::connected() const {
  return session_ != nullptr && !broken_ && ssh_is_connected(session_) != 0;
}

void Session::disconnect() {
  if (session_ == nullptr) return;
  for (Channel* c : std::vector<Channel*>(channels_)) c->orphan();
  channels_.clear();
  if (event_ != nullptr) {
    if (in_event_) ssh_event_remove_session(event_, session_);
    ssh_event_free(event_);
    event_ = nullptr;
  }
  if (ssh_is_connected(session_)) ssh_disconnect(session_);
  ssh_free(session_);
  session_ = nullptr;
  socket_.reset();
  if (!broken_)
    broken_ =
        make_error(ErrorKind::network, "session to " + options_.endpoint() + " was disconnected");
}

void Session::check_transport() {
  if (broken_ || session_ == nullptr) return;
  const int status = ssh_get_status(session_);
  if ((status & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0 || ssh_is_connected(session_) == 0) {
    broken_ = make_error(ErrorKind::network, "connection to " + options_.endpoint() +
                                                 " lost: " + ssh_get_error(session_));
  }
}

void Session::pump() {
  if (session_ == nullptr) return;
  for (int i = 0; i < kMaxRoundsPerPump; ++i) {
    const int rc = ssh_event_dopoll(event_, 0);
    if (rc == SSH_AGAIN || rc == SSH_ERROR) break;
  }
  check_transport();
  for (Channel* c : std::vector<Channel*>(channels_)) c->progress();
}

Result<void> Session::run_until(Deadline deadline, const std::function<bool()>& done,
                                std::string_view what) {
  if (session_ == nullptr) return *broken_;
  const SteadyTime begun = clock().now();
  int errors = 0;
  for (;;) {
    pump();
    if (done()) return {};
    if (broken_) {
      Error e = *broken_;
      e.message = std::string(what) + ": " + e.message;
      return e;
    }
    if (interrupted()) return interrupted_error(what);
    // Sampled at least every kLiveWake, so progress is dated as it happens.
    const SteadyTime end = until(deadline);
    if (expired(clock(), end)) return timeout_error(what, deadline, begun);
    const auto wake = options_.interrupted ? kInterruptCheck
                      : deadline.is_live() ? kLiveWake
                                           : std::chrono::milliseconds(1000);
    const int rc = ssh_event_dopoll(event_, poll_timeout_ms(clock(), end, wake));
    if (rc == SSH_ERROR) {
      // poll() itself failed (EINTR, or no descriptor left): look again, but never spin.
      check_transport();
      if (++errors > 1000) {
        broken_ = make_error(ErrorKind::network, "event loop for " + options_.endpoint() +
                                                     " keeps failing: " + ssh_get_error(session_));
      } else if (errors > 10) {
        pollfd none{};
        ::poll(&none, 0, 1);
      }
    }
  }
}

Result<void> Session::wait_for_io(Deadline deadline, std::string_view what) {
  if (session_ == nullptr) return *broken_;
  const SteadyTime end = until(deadline);
  if (expired(clock(), end)) return timeout_error(what, deadline, clock().now());
  ssh_event_dopoll(event_, poll_timeout_ms(clock(), end, kLiveWake));
  pump();
  if (broken_) return make_error(broken_->kind, std::string(what) + ": " + broken_->message);
  return {};
}

Error Session::timeout_error(std::string_view what, const Deadline& deadline,
                             SteadyTime begun) const {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto now = clock().now();
  const std::string waited = seconds_text(duration_cast<milliseconds>(now - begun));
  if (deadline.is_live()) {
    return make_error(ErrorKind::timeout,
                      std::string(what) + ": " + options_.endpoint() +
                          " neither acknowledged nor sent a byte for " +
                          seconds_text(duration_cast<milliseconds>(now - last_progress_)) +
                          " (waited " + waited + "; liveness timeout " +
                          seconds_text(deadline.idle) + "); the vault or the network stalls");
  }
  return make_error(ErrorKind::timeout, std::string(what) + ": no answer from " +
                                            options_.endpoint() + " within " + waited +
                                            "; the vault or the network stalls");
}

Error Session::transport_error(std::string_view what, int rc) const {
  if (broken_) return make_error(broken_->kind, std::string(what) + ": " + broken_->message);
  const int status = session_ ? ssh_get_status(session_) : 0;
  const bool dead = session_ == nullptr || ssh_is_connected(session_) == 0 ||
                    (status & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0;
  std::string detail = session_ ? ssh_get_error(session_) : "session closed";
  if (detail.empty()) {  // libssh set no error: say what is known instead
    detail = "libssh returned " + rc_text(rc) + " without a reason (connection " +
             (dead ? "closed" : "open") +
             ((status & SSH_WRITE_PENDING) != 0 ? ", output still queued" : "") + ")";
  }
  return make_error(dead ? ErrorKind::network : ErrorKind::protocol,
                    std::string(what) + " with " + options_.endpoint() + " failed: " + detail);
}

Result<void> Session::ping(Deadline deadline) {
  if (!connected()) return transport_error("ping");
  ssh_channel probe = ssh_channel_new(session_);
  if (probe == nullptr) return transport_error("ping");
  int rc = SSH_AGAIN;
  auto opened = [&] {
    rc = ssh_channel_open_session(probe);
    return rc != SSH_AGAIN;
  };
  Result<void> st = run_until(deadline, opened, "ping");
  if (st && rc != SSH_OK) st = transport_error("ping (opening a channel)", rc);
  if (session_ != nullptr) ssh_channel_free(probe);  // closes it if it was opened
  if (!st && st.error().kind == ErrorKind::timeout) broken_ = st.error();
  return st;
}

Result<std::unique_ptr<Channel>> Session::start(bool subsystem, const std::string& what,
                                                bool deferred) {
  if (!connected()) return transport_error(subsystem ? "opening subsystem" : "exec");
  ssh_channel raw = ssh_channel_new(session_);
  if (raw == nullptr) return transport_error("creating a channel");
  std::unique_ptr<Channel> c(new Channel(*this, raw, what, subsystem));
  c->requested_ = !deferred;
  attach(c.get());
  c->progress();  // sends the open request now
  return c;
}

Result<std::unique_ptr<Channel>> Session::start_exec(const std::string& command, bool deferred) {
  return start(false, command, deferred);
}

Result<std::unique_ptr<Channel>> Session::start_subsystem(const std::string& name) {
  return start(true, name, false);
}

Result<std::unique_ptr<Channel>> Session::exec(const std::string& command, Deadline deadline) {
  auto c = start_exec(command);
  if (!c) return c;
  if (auto st = (*c)->wait_started(deadline); !st) return st.error();
  return c;
}

void Session::detach(Channel* channel) {
  channels_.erase(std::remove(channels_.begin(), channels_.end(), channel), channels_.end());
}

}  // namespace logship::ssh
