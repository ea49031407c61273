#include "follow/tail_follower.hpp"

#include <spdlog/spdlog.h>

#include "ssh/deadline.hpp"
#include "ssh/session.hpp"

namespace logship::follow {

TailFollower::TailFollower(TailFollowOptions options, std::unique_ptr<Output> output,
                           CheckpointFile file, Syncer& syncer, const Clock& clock)
    : FollowerBase(options.remote, std::move(output), std::move(file), syncer, clock),
      options_(std::move(options)) {}

Result<void> TailFollower::start() {
  if (auto c = recover(); !c) return c.error();
  if (auto st = out_->set_origin({options_.remote, 0, 0}); !st) return st;
  return save(0, {}, 0, true);  // (nothing to resume: only the output's size and seal)
}

Result<void> TailFollower::checkpoint(bool wait) {
  auto st = save(0, {}, 0, wait);
  if (!st)
    spdlog::error("{}: saving the checkpoint failed: {}", options_.remote, cause(st.error()));
  return st;
}

Result<void> TailFollower::poll(Link& link) {
  if (!channel_) {
    auto c = link.session->start_exec(options_.command);
    if (!c) return c.error();
    channel_ = std::move(*c);
    if (runs_++ > 0) {
      status_.last_event = FileEvent::restarted;
      status_.last_event_time = clock_.wall_now();
    }
  }
  buf_.clear();
  auto n = channel_->read_some(buf_, clock_.now());  // what has arrived; never waits
  if (!n) {
    channel_.reset();
    return n.error();
  }
  if (!buf_.empty()) {
    status_.bytes += buf_.size();
    status_.last_data = clock_.wall_now();
    if (auto st = out_->append(buf_); !st) return st;
    if (auto st = out_->flush(); !st) return st;
  }
  if (channel_->at_eof()) {  // the remote command ended (tail missing, forced command refused)
    const std::string why(channel_->stderr_text());
    (void)channel_->close(clock_.now() + options_.op_timeout);
    channel_.reset();
    set_state(FileState::ended, "the remote command '" + options_.command + "' ended" +
                                    (why.empty() ? std::string() : ": " + why) +
                                    "; starting it again");
    return {};
  }
  set_state(FileState::following, "");
  return {};
}

void TailFollower::disconnected() {
  channel_.reset();
}

Result<void> TailFollower::heartbeat(std::chrono::seconds interval,
                                     const std::vector<vault::Field>& fields) {
  return write_heartbeat(interval, fields);
}

Result<void> TailFollower::close(Link&, SteadyTime deadline) {
  Result<void> st;
  if (channel_) st = channel_->close(deadline);
  channel_.reset();
  return st;
}

FileStatus TailFollower::status() const {
  return base_status();
}

}  // namespace logship::follow
