#include "ship/vault_link.hpp"

#include "ssh/channel.hpp"
#include "ssh/session.hpp"

namespace logship::ship {

SshVaultLink::SshVaultLink(ssh::SessionOptions options, std::string remote_command)
    : options_(std::move(options)), command_(std::move(remote_command)) {}

SshVaultLink::~SshVaultLink() {
  reset();
}

Result<void> VaultLink::deliver(std::string_view batch) {
  if (auto st = open(); !st) return st;
  if (auto st = write(batch); !st) return st;
  return finish();
}

void SshVaultLink::reset() {
  channel_.reset();
  next_.reset();
  session_.reset();
}

void SshVaultLink::idle() {
  // The vault's sshd asks an idle client whether it is alive (ClientAliveInterval) and ends
  // the session when nobody answers: answer, and let a session it ended go quietly.
  if (session_ && !session_->alive()) reset();
}

void SshVaultLink::set_interrupt(std::function<bool()> interrupted) {
  options_.interrupted = interrupted;  // for the sessions to come
  if (session_) session_->set_interrupt(std::move(interrupted));
}

Result<void> SshVaultLink::failed(Result<void> st) {
  // A refused command (vault disk full) leaves the session healthy; anything else leaves it
  // in doubt, so it is rebuilt.
  channel_.reset();
  if (st.error().kind != ErrorKind::remote_refused) reset();
  return st;
}

Result<void> SshVaultLink::open() {
  channel_.reset();  // an abandoned attempt: its `cat` sees EOF, the resend starts on a new line
  if (!session_ || !session_->alive()) {
    reset();
    auto s = ssh::Session::connect(options_);
    if (!s) return s.error();
    session_ = std::move(*s);
    ++connections_;
  }
  channel_ = std::move(next_);
  if (!channel_) {
    auto c = session_->start_exec(command_);
    if (!c) return failed(c.error());
    channel_ = std::move(*c);
  }
  if (auto st = channel_->wait_started(session_->op_deadline()); !st) return failed(st);
  // Open the next batch's channel now, so that it is open when this batch ends; its command
  // is asked for only once this batch is acknowledged (finish()): the vault's forced
  // `flock FILE cat >> FILE` must not start the next appender while this one may not yet hold
  // the lock (a process start under load), or the idle next `cat` would take the lock first
  // and this batch would wait for it until flock gave up.
  if (auto next = session_->start_exec(command_, /*deferred=*/true)) next_ = std::move(*next);
  return {};
}

Result<void> SshVaultLink::write(std::string_view piece) {
  if (!channel_) return make_error(ErrorKind::protocol, "vault link: write() without open()");
  // Liveness: every slice must get through within the session's op timeout.
  for (std::size_t off = 0; off < piece.size(); off += kSlice) {
    if (auto st = channel_->write(piece.substr(off, kSlice), session_->op_deadline()); !st)
      return failed(st);
  }
  return {};
}

Result<void> SshVaultLink::finish() {
  if (!channel_) return make_error(ErrorKind::protocol, "vault link: finish() without open()");
  if (auto st = channel_->finish(session_->op_deadline()); !st) return failed(st);
  if (next_) next_->request();  // this appender has exited: the next may start
  channel_.reset();
  return {};
}

}  // namespace logship::ship
