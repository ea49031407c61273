#include "follow/follower_base.hpp"

#include <spdlog/spdlog.h>

namespace logship::follow {

std::string_view to_string(FileState s) {
  switch (s) {
    case FileState::starting:
      return "starting";
    case FileState::following:
      return "following";
    case FileState::draining:
      return "draining";
    case FileState::missing:
      return "missing";
    case FileState::unreadable:
      return "unreadable";
    case FileState::not_regular:
      return "not-regular";
    case FileState::error:
      return "error";
    case FileState::ended:
      return "ended";
  }
  return "?";
}

std::string_view to_string(FileEvent e) {
  switch (e) {
    case FileEvent::started:
      return "started";
    case FileEvent::rotated:
      return "rotated";
    case FileEvent::truncated:
      return "truncated";
    case FileEvent::copytruncated:
      return "copytruncated";
    case FileEvent::replaced:
      return "replaced";
    case FileEvent::restarted:
      return "restarted";
  }
  return "?";
}

FollowerBase::FollowerBase(std::string remote, std::unique_ptr<Output> output, CheckpointFile file,
                           Syncer& syncer, const Clock& clock)
    : out_(std::move(output)), file_(std::move(file)), syncer_(syncer), clock_(clock) {
  status_.remote = std::move(remote);
  status_.local = out_->path().string();
}

FollowerBase::~FollowerBase() {
  (void)syncer_.wait(this);
}

Result<Checkpoint> FollowerBase::recover() {
  auto loaded = file_.load();
  if (!loaded) return make_error(ErrorKind::config, loaded.error().message);
  std::vector<std::string> notes;
  auto c = out_->recover(*loaded, notes);
  for (const auto& n : notes) spdlog::warn("{}", n);
  if (!c) return c.error();
  submitted_ = loaded->value_or(Checkpoint{});
  return c;
}

Result<void> FollowerBase::save(std::uint64_t generation, const FileIdentity& identity,
                                std::uint64_t offset, bool wait) {
  if (auto st = out_->flush(); !st) return st;
  if (auto st = syncer_.failure(this); !st) return st;  // an earlier save failed
  Checkpoint c{generation, identity, offset, out_->size(), out_->seal_record()};
  if (!(c == submitted_)) {
    submitted_ = c;
    syncer_.submit(this, Syncer::Job{out_->fd(), std::move(c), &file_});
  }
  return wait ? syncer_.wait(this) : Result<void>();
}

Result<void> FollowerBase::write_heartbeat(std::chrono::seconds interval,
                                           const std::vector<vault::Field>& fields) {
  if (clock_.now() - out_->last_write() < interval) return {};
  std::vector<vault::Field> f{{"state", std::string(to_string(status_.state))}};
  f.insert(f.end(), fields.begin(), fields.end());
  return out_->mark(f);
}

void FollowerBase::set_state(FileState state, const std::string& problem) {
  if (state == status_.state && problem == status_.problem) return;
  if (problem.empty())
    spdlog::info("{}: {}", status_.remote, to_string(state));
  else
    spdlog::warn("{}: {}: {}", status_.remote, to_string(state), problem);
  status_.state = state;
  status_.problem = problem;
}

FileStatus FollowerBase::base_status() const {
  FileStatus s = status_;
  s.local_size = out_->size();
  return s;
}

}  // namespace logship::follow
