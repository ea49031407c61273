#include "follow/sftp_follower.hpp"

#include <spdlog/spdlog.h>

#include <limits>

#include "follow/rotated_names.hpp"

namespace logship::follow {

SftpFollower::SftpFollower(SftpFollowOptions options, std::unique_ptr<Output> output,
                           CheckpointFile file, Syncer& syncer, const Clock& clock)
    : FollowerBase(options.remote, std::move(output), std::move(file), syncer, clock),
      options_(std::move(options)) {}

Result<void> SftpFollower::start() {
  auto c = recover();
  if (!c) return c.error();
  generation_ = c->generation;
  identity_ = c->identity;
  if (auto st = out_->set_origin({options_.remote, generation_, c->offset}); !st) return st;
  return save(true);
}

void SftpFollower::restore_output() {
  (void)syncer_.wait(this);  // (a failure of its is why we are here)
  auto c = recover();        // from the last checkpoint actually saved
  if (!c) {
    set_state(FileState::error, cause(c.error()));
    return;
  }
  generation_ = c->generation;
  identity_ = c->identity;
  if (auto st = out_->set_origin({options_.remote, generation_, c->offset}); !st) {
    set_state(FileState::error, cause(st.error()));
    return;
  }
  if (auto st = save(true); !st) {
    set_state(FileState::error, cause(st.error()));
    return;
  }
  broken_ = false;
}

Result<void> SftpFollower::save(bool wait) {
  return FollowerBase::save(generation_, identity_, out_->resumable_offset(), wait);
}

Result<void> SftpFollower::checkpoint(bool wait) {
  if (broken_) return {};
  if (auto st = save(wait); !st) {
    fail_locally(st.error());
    return st;
  }
  return {};
}

void SftpFollower::fail_locally(const Error& e) {
  spdlog::error("{}: writing the local copy failed, will start again from the last checkpoint: {}",
                options_.remote, cause(e));
  set_state(FileState::error, cause(e));
  broken_ = true;
  held_.reset();  // (its server handle is released when the session ends or on close)
  draining_ = false;
  last_path_.reset();
  tail_known_ = false;
}

Result<void> SftpFollower::local(Result<void> st) {
  if (!st) local_error_ = st.error();
  return st;
}

void SftpFollower::appended(std::string_view bytes) {
  status_.bytes += bytes.size();
  last_growth_ = clock_.now();
  got_data_ = true;
  if (bytes.size() >= kTailBytes) {
    tail_.assign(bytes.substr(bytes.size() - kTailBytes));
  } else {
    tail_.append(bytes);
    if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
  }
}

RemoteStatus SftpFollower::read_to_eof(RemoteFiles& files, const ssh::SftpFile& f, bool unlimited,
                                       RemoteRead* started) {
  const std::uint64_t budget =
      unlimited ? std::numeric_limits<std::uint64_t>::max() : options_.burst;
  std::unique_ptr<RemoteRead> own;
  if (started == nullptr) {
    own = files.read(f, out_->origin().offset, budget, options_.tuning);
    own->start();
    started = own.get();
  }
  auto sink = [this](std::string_view b) -> Result<void> {
    appended(b);
    return local(out_->append(b));
  };
  auto r = started->run(sink);
  if (got_data_) status_.last_data = clock_.wall_now();
  if (!r) return r.error();
  if (auto st = local(out_->flush()); !st) return st;
  if (!r->eof && !r->short_end) {  // stopped at the burst: more to read
    busy_ = true;
    return {};
  }
  // An incomplete last line waits for its end, at most partial_wait: counted from when this look
  // was asked for (the host found nothing more after it), not from when its answer came.
  if (out_->pending() > 0 && look_started_ - last_growth_ >= options_.partial_wait)
    return local(out_->finish());
  return {};
}

RemoteResult<std::string> SftpFollower::finish_from_copy(RemoteFiles& files) {
  const auto offset = out_->origin().offset;
  for (const auto& name :
       rotated_names(options_.remote, options_.rotated_patterns, clock_.wall_now())) {
    auto a = files.stat(name);
    if (!a) {
      if (!a.error().of_file()) return a.error();
      continue;
    }
    const Stat at = to_stat(*a);
    if (at.kind != Kind::regular || at.size < offset) continue;
    auto f = files.open(name);
    if (!f) {
      if (!f.error().of_file()) return f.error();
      continue;
    }
    std::optional<ssh::SftpFile> copy(std::move(*f));
    auto h = head(files, *copy);
    if (!h || !is_copy_of(identity_, offset, at, *h)) {
      close_handle(files, copy);
      if (!h && !h.error().of_file()) return h.error();
      continue;
    }
    RemoteStatus st = local(out_->set_origin({name, generation_, offset}));
    if (st) st = read_to_eof(files, *copy, true);
    close_handle(files, copy);
    if (!st) return st.error();
    spdlog::info("{}: read {} bytes after offset {} from the rotated copy {}", options_.remote,
                 out_->origin().offset - offset, offset, name);
    return name;
  }
  return std::string();
}

RemoteStatus SftpFollower::start_generation(RemoteFiles& files, ssh::SftpFile file,
                                            std::string_view start, FileEvent event,
                                            const std::string& copy) {
  const auto prev = generation_;
  const auto prev_off = out_->origin().offset;
  if (auto st = local(out_->finish()); !st) return st;
  close_handle(files, held_);
  generation_ = new_generation();
  identity_ = identify(start);
  if (auto st = local(out_->set_origin({options_.remote, generation_, 0})); !st) return st;
  tail_.clear();  // (nothing before offset 0)
  tail_known_ = true;
  const auto name = to_string(event);
  std::vector<vault::Field> fields{{"event", std::string(name)}};
  if (prev != 0) {
    fields.push_back({"prev-fid", generation_hex(prev)});
    fields.push_back({"prev-off", std::to_string(prev_off)});
  }
  if (!copy.empty()) fields.push_back({"copy", copy});
  if (auto st = local(out_->mark(fields)); !st) return st;
  if (auto st = local(save(true)); !st) return st;  // the new generation, before any bytes
  held_ = std::move(file);
  draining_ = false;
  last_path_.reset();

  status_.last_event = event;
  status_.last_event_time = clock_.wall_now();
  switch (event) {
    case FileEvent::started:
      spdlog::info("{}: following from offset 0 (new file)", options_.remote);
      break;
    case FileEvent::rotated:
      ++status_.rotations;
      spdlog::info(
          "{}: rotated; the old file was read to its end ({} bytes{}{}), following the "
          "new one from 0",
          options_.remote, prev_off, copy.empty() ? "" : ", the rest from ", copy);
      break;
    case FileEvent::copytruncated:
      ++status_.copytruncations;
      spdlog::info("{}: truncated (copytruncate); the rest was read from {}, reading from 0 again",
                   options_.remote, copy);
      break;
    case FileEvent::truncated:
      ++status_.truncations;
      spdlog::warn(
          "{}: truncated at offset {} and no rotated copy found: lines written between "
          "the last read and the truncation, if any, are lost; reading from 0 again",
          options_.remote, prev_off);
      break;
    case FileEvent::replaced:
      ++status_.replaced;
      spdlog::warn(
          "{}: now names another file and the old one was not found (patterns: {}): its "
          "bytes after offset {}, if any, are lost; following the new file from 0",
          options_.remote, options_.rotated_patterns.size(), prev_off);
      break;
    case FileEvent::restarted:  // (tail mode only)
      break;
  }
  set_state(FileState::following, "");
  return read_to_eof(files, *held_, false);
}

Result<void> SftpFollower::heartbeat(std::chrono::seconds interval,
                                     const std::vector<vault::Field>& fields) {
  if (broken_) return {};
  if (auto st = write_heartbeat(interval, fields); !st) {
    fail_locally(st.error());
    return st;
  }
  return {};
}

void SftpFollower::ask_close(Link& link) {
  if (link.files && held_) closing_ = link.files->ask_close(*held_);
  held_.reset();
}

Result<void> SftpFollower::close(Link& link, SteadyTime deadline) {
  Result<void> st;
  if (link.files && held_) st = link.files->close(*held_, deadline);
  if (link.files && closing_) st = link.files->take_closed(closing_, deadline);
  held_.reset();
  closing_ = {};
  return st;
}

FileStatus SftpFollower::status() const {
  FileStatus s = base_status();
  s.generation = generation_;
  s.offset = out_->resumable_offset();
  return s;
}

}  // namespace logship::follow
