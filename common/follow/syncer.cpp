#include "follow/syncer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace logship::follow {

Syncer::Syncer() : thread_([this] { run(); }) {}

Syncer::~Syncer() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Syncer::submit(const void* owner, Job job) {
  {
    std::lock_guard<std::mutex> l(mu_);
    slots_[owner].queued = std::move(job);
  }
  changed_.notify_all();
}

Result<void> Syncer::take_error(Slot& s) {
  if (!s.error) return {};
  Error e = std::move(*s.error);
  s.error.reset();
  return e;
}

Result<void> Syncer::wait(const void* owner) {
  std::unique_lock<std::mutex> l(mu_);
  auto it = slots_.find(owner);
  if (it == slots_.end()) return {};
  changed_.wait(l, [&] { return !it->second.queued && !it->second.running; });
  return take_error(it->second);
}

Result<void> Syncer::failure(const void* owner) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = slots_.find(owner);
  return it == slots_.end() ? Result<void>() : take_error(it->second);
}

void Syncer::run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    auto next = slots_.end();
    changed_.wait(l, [&] {
      for (auto it = slots_.begin(); it != slots_.end(); ++it)
        if (it->second.queued) {
          next = it;
          return true;
        }
      return stop_;
    });
    if (next == slots_.end()) return;  // stopping, nothing queued
    Slot& slot = next->second;
    Job job = std::move(*slot.queued);
    slot.queued.reset();
    slot.running = true;
    l.unlock();
    Result<void> st;
    if (::fdatasync(job.fd) != 0)
      st = make_error(ErrorKind::io,
                      std::string("fdatasync of a local copy: ") + std::strerror(errno));
    else
      st = job.file->save(job.checkpoint);
    l.lock();
    slot.running = false;
    if (!st && !slot.error) slot.error = st.error();
    changed_.notify_all();
  }
}

}  // namespace logship::follow
