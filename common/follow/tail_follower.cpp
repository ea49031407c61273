#include "follow/tail_follower.hpp"

#include <spdlog/spdlog.h>

#include "ssh/deadline.hpp"
#include "ssh/session.hpp"

namespace logship::follow {

TailFollower::TailFollower(TailFollowOptions options, std::unique_ptr<Output> output,
                           CheckpointFile file, Syncer& syncer, const Clock& clock)
    : options_(std::move(options)),
      out_(std::move(output)),
      file_(std::move(file)),
      syncer_(syncer),
      clock_(clock) {
  status_.remote = options_.remote;
  status_.local = out_->path().string();
}

TailFollower::~TailFollower() {
  (void)syncer_.wait(this);
}

Status TailFollower::start() {
  auto loaded = file_.load();
  if (!loaded) return make_error(ErrorKind::config, loaded.error().message);
  std::vector<std::string> notes;
  auto c = out_->recover(*loaded, notes);
  if (!c) return c.error();
  for (const auto& n : notes) spdlog::warn("{}", n);
  if (loaded->has_value()) submitted_ = **loaded;
  if (auto st = out_->set_origin({options_.remote, 0, 0}); !st) return st;
  return save(true);
}

Status TailFollower::save(bool wait) {
  if (auto st = out_->flush(); !st) return st;
  if (auto st = syncer_.failure(this); !st) return st;
  Checkpoint c{0, {}, 0, out_->size(), out_->seal_record()};
  if (!(c == submitted_)) {
    submitted_ = c;
    syncer_.submit(this, Syncer::Job{out_->fd(), std::move(c), &file_});
  }
  return wait ? syncer_.wait(this) : Status();
}

Status TailFollower::checkpoint(bool wait) {
  auto st = save(wait);
  if (!st)
    spdlog::error("{}: saving the checkpoint failed: {}", options_.remote, st.error().message);
  return st;
}

void TailFollower::set_state(const std::string& state, const std::string& problem) {
  if (state == status_.state && problem == status_.problem) return;
  if (problem.empty())
    spdlog::info("{}: {}", options_.remote, state);
  else
    spdlog::warn("{}: {}: {}", options_.remote, state, problem);
  status_.state = state;
  status_.problem = problem;
}

Status TailFollower::poll(Link& link) {
  if (!channel_) {
    auto c = link.session.start_exec(options_.command);
    if (!c) return c.error();
    channel_ = std::move(*c);
    if (runs_++ > 0) {
      status_.last_event = "restarted";
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
    (void)channel_->close(ssh::deadline_in(options_.op_timeout));
    channel_.reset();
    set_state("ended", "the remote command '" + options_.command + "' ended" +
                           (why.empty() ? std::string() : ": " + why) + "; starting it again");
    return {};
  }
  set_state("following", "");
  return {};
}

void TailFollower::disconnected() {
  channel_.reset();
}

Status TailFollower::heartbeat(std::chrono::seconds interval,
                               const std::vector<vault::Field>& fields) {
  if (clock_.now() - out_->last_write() < interval) return {};
  std::vector<vault::Field> f{{"state", status_.state}};
  f.insert(f.end(), fields.begin(), fields.end());
  return out_->mark(f);
}

Status TailFollower::close(Link&, SteadyTime deadline) {
  Status st;
  if (channel_) st = channel_->close(deadline);
  channel_.reset();
  return st;
}

FileStatus TailFollower::status() const {
  FileStatus s = status_;
  s.local_size = out_->size();
  return s;
}

}  // namespace logship::follow
