#include "follow/puller.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "follow/sftp_files.hpp"
#include "ssh/deadline.hpp"
#include "ssh/session.hpp"
#include "ssh/sftp.hpp"
#include "vault/format.hpp"

namespace logship::follow {

namespace {

constexpr std::chrono::seconds kHeartbeatCheck{1};  // how often heartbeats are considered
// While files are caught up, checkpoints come this many times less often: each one makes the
// disk write what was copied since the last, and that write competes with the copying for the
// CPU (the copy itself is in the page cache at once; a crash only means reading more again).
constexpr int kCatchUpCheckpointFactor = 10;

}  // namespace

SteadyTime next_look(SteadyTime started, SteadyTime now, bool busy, bool active,
                     std::chrono::milliseconds poll) {
  if (busy) return now;
  return std::max(now, started + (active ? std::min(kActiveRepoll, poll) : poll));
}

Puller::Puller(PullerOptions options, std::vector<std::unique_ptr<Follower>> followers,
               const Clock& clock)
    : options_(std::move(options)),
      followers_(std::move(followers)),
      clock_(clock),
      backoff_(options_.backoff, clock) {
  host_.endpoint = options_.ssh.endpoint();
}

Puller::~Puller() {
  for (auto& f : followers_) f->disconnected();  // (nothing of theirs may outlive the session)
}

Result<void> Puller::start() {
  for (auto& f : followers_)
    if (auto st = f->start(); !st) return st;
  next_checkpoint_ = clock_.now() + options_.checkpoint_interval;
  return {};
}

void Puller::connect(const std::function<bool()>& stop) {
  auto ssh = options_.ssh;
  ssh.interrupted = stop;  // resolving, TCP connect, handshake, authentication
  auto s = ssh::Session::connect(ssh);
  if (stop && stop()) return;  // (an interrupted attempt says nothing about the host)
  if (!s) return fail(s.error(), false);
  std::unique_ptr<ssh::SftpSession> sftp;
  if (options_.sftp) {
    auto f = ssh::SftpSession::start(**s, (*s)->op_deadline());
    if (stop && stop()) return;
    if (!f) return fail(f.error(), false);
    sftp = std::move(*f);
  }
  session_ = std::move(*s);
  sftp_ = std::move(sftp);
  if (sftp_) files_ = std::make_unique<SftpFiles>(*sftp_, options_.ssh.op_timeout);
  proven_ = false;
  ++host_.connections;
  host_.connected = true;
  host_.connected_since = clock_.wall_now();
  last_ping_ = clock_.now();
  next_look_.assign(followers_.size(), last_ping_);
  if (host_.unreachable_since)
    spdlog::info("connected to {} again", host_.endpoint);
  else
    spdlog::info("connected to {}", host_.endpoint);
  logged_error_.clear();
}

void Puller::fail(const Error& error, bool was_connected) {
  const Error e{error.kind, cause(error)};
  ++host_.failures;
  host_.last_error = e.message;
  host_.last_error_kind = std::string(to_string(e.kind));
  if (!host_.unreachable_since) host_.unreachable_since = clock_.wall_now();
  if (was_connected) {
    for (auto& f : followers_) f->disconnected();
    files_.reset();
    sftp_.reset();
    session_.reset();
    host_.connected = false;
    host_.connected_since.reset();
  }
  const auto delay = backoff_.failed();
  if (e.message != logged_error_) {
    logged_error_ = e.message;
    if (e.retryable())
      spdlog::warn("{}{}; retrying (next in {} ms, then with backoff up to {} s)",
                   was_connected ? "connection lost: " : "", e.message, delay.count(),
                   options_.backoff.cap.count() / 1000);
    else
      spdlog::error("{} (this needs fixing; retrying meanwhile, up to every {} s)", e.message,
                    options_.backoff.cap.count() / 1000);
  } else {
    spdlog::debug("still failing: {} (next attempt in {} ms)", e.message, delay.count());
  }
}

void Puller::poll_files(const std::function<bool()>& stop) {
  session_->set_interrupt(stop);  // a stop does not wait for a request in flight
  Link link{session_.get(), files_.get()};
  bool busy = false;
  std::vector<std::size_t> due;
  const auto now = clock_.now();
  for (std::size_t i = 0; i < followers_.size(); ++i) {
    if (next_look_[i] <= now)
      due.push_back(i);
    else
      busy = busy || followers_[i]->busy();
  }
  // The looks of the next few due files are asked for ahead: several files, one round trip.
  std::vector<SteadyTime> began(due.size());  // when each look was asked for
  std::size_t asked = 1;
  for (std::size_t k = 0; k < due.size(); ++k) {
    for (; asked < due.size() && asked <= k + kLooksAhead; ++asked) {
      began[asked] = clock_.now();
      followers_[due[asked]]->ask(link);
    }
    const auto i = due[k];
    auto& f = followers_[i];
    if (stop && stop()) return;
    const auto started = k == 0 ? clock_.now() : began[k];
    auto st = f->poll(link);
    if (stop && stop()) return;  // (an interrupted poll: the connection is not at fault)
    if (!st) {
      if (st.error().kind == ErrorKind::io) {  // the local copy; the connection is fine
        spdlog::error("{}: {}", f->status().remote, cause(st.error()));
        next_look_[i] = clock_.now() + options_.poll;
        continue;
      }
      return fail(st.error(), true);
    }
    next_look_[i] = next_look(started, clock_.now(), f->busy(), f->active(), options_.poll);
    busy = busy || f->busy();
  }
  if (!options_.sftp && clock_.now() - last_ping_ >= options_.keepalive) {
    last_ping_ = clock_.now();
    auto st = session_->ping(session_->op_deadline());  // interrupted by a stop too
    if (stop && stop()) return;
    if (!st) return fail(st.error(), true);
  }
  if (!proven_) {
    proven_ = true;
    backoff_.succeeded();
    host_.unreachable_since.reset();
    host_.last_error.clear();
    host_.last_error_kind.clear();
  }
  if (busy && !catching_up_)
    next_checkpoint_ = std::max(
        next_checkpoint_, clock_.now() + kCatchUpCheckpointFactor * options_.checkpoint_interval);
  if (!busy && catching_up_) next_checkpoint_ = clock_.now();  // caught up: checkpoint now
  catching_up_ = busy;
}

void Puller::tick(const std::function<bool()>& stop) {
  if (!session_ && backoff_.ready()) connect(stop);
  if (session_ && clock_.now() >= next_look_due()) poll_files(stop);
  if (clock_.now() >= next_checkpoint_) {
    for (auto& f : followers_) (void)f->checkpoint(false);  // failures are the follower's state
    next_checkpoint_ =
        clock_.now() + (catching_up_ ? kCatchUpCheckpointFactor : 1) * options_.checkpoint_interval;
  }
  std::vector<vault::Field> fields;
  if (host_.unreachable_since)
    fields.push_back(
        {"unreachable", vault::format_time(std::chrono::floor<std::chrono::microseconds>(
                            *host_.unreachable_since))});
  for (auto& f : followers_) (void)f->heartbeat(options_.heartbeat, fields);
}

SteadyTime Puller::next_deadline() const {
  SteadyTime next = std::min(next_checkpoint_, clock_.now() + kHeartbeatCheck);
  if (session_)
    next = std::min(next, next_look_due());
  else
    next = std::min(next, backoff_.next_deadline());
  return next;
}

SteadyTime Puller::next_look_due() const {
  return next_look_.empty() ? SteadyTime::max()
                            : *std::min_element(next_look_.begin(), next_look_.end());
}

void Puller::shutdown() {
  if (session_) {
    // Nothing depends on these closes (the host drops handles and commands with the session);
    // they are a courtesy, and a stalled link must not hold the exit up.
    session_->set_interrupt(nullptr);
    const auto deadline = clock_.now() + kShutdownGrace;
    Link link{session_.get(), files_.get()};
    for (auto& f : followers_) f->ask_close(link);  // all in one round trip
    for (auto& f : followers_) {
      if (auto st = f->close(link, deadline); !st) {
        spdlog::warn("closing on {} at exit: {}; leaving the rest to the host", host_.endpoint,
                     cause(st.error()));
        break;
      }
    }
    for (auto& f : followers_) f->disconnected();  // (closes not waited for are forgotten)
  }
  for (auto& f : followers_) (void)f->checkpoint(true);
  files_.reset();
  sftp_.reset();
  if (session_) session_->disconnect();
  session_.reset();
}

std::vector<FileStatus> Puller::files() const {
  std::vector<FileStatus> out;
  out.reserve(followers_.size());
  for (const auto& f : followers_) out.push_back(f->status());
  return out;
}

}  // namespace logship::follow
