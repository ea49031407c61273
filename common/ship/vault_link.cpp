#include "ship/vault_link.hpp"

#include "ssh/channel.hpp"
#include "ssh/session.hpp"

namespace logship::ship {

SshVaultLink::SshVaultLink(ssh::SessionOptions options, std::string remote_command)
    : options_(std::move(options)), command_(std::move(remote_command)) {}

SshVaultLink::~SshVaultLink() {
  reset();
}

void SshVaultLink::reset() {
  next_.reset();
  session_.reset();
}

Status SshVaultLink::deliver(std::string_view batch) {
  if (!session_ || !session_->connected()) {
    reset();
    auto s = ssh::Session::connect(options_);
    if (!s) return s.error();
    session_ = std::move(*s);
    ++connections_;
  }
  auto st = deliver_on_session(batch);
  // A refused command (vault disk full) leaves the session healthy; anything else leaves it
  // in doubt, so it is rebuilt.
  if (!st && st.error().kind != ErrorKind::remote_refused) reset();
  return st;
}

Status SshVaultLink::deliver_on_session(std::string_view batch) {
  std::unique_ptr<ssh::Channel> channel = std::move(next_);
  if (!channel) {
    auto c = session_->start_exec(command_);
    if (!c) return c.error();
    channel = std::move(*c);
  }
  if (auto st = channel->wait_started(session_->op_deadline()); !st) return st;
  // Liveness: every slice must get through within the session's op timeout.
  for (std::size_t off = 0; off < batch.size(); off += kSlice) {
    if (auto st = channel->write(batch.substr(off, kSlice), session_->op_deadline()); !st)
      return st;
  }
  // Open the next batch's channel now: sshd spawns its `cat` while this one is acknowledged.
  // That `cat` appends nothing until it is written to, so order is kept.
  if (auto next = session_->start_exec(command_)) next_ = std::move(*next);
  return channel->finish(session_->op_deadline());
}

}  // namespace logship::ship
