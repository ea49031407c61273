#include "status/publisher.hpp"

namespace logship::status {

Publisher::Publisher(StatusFiles files) : files_(std::move(files)) {
  if (files_.json || files_.prometheus) thread_ = std::thread([this] { run(); });
}

Publisher::~Publisher() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Publisher::post(Report report) {
  {
    std::lock_guard lock(mu_);
    pending_ = std::move(report);
  }
  wake_.notify_one();
}

void Publisher::flush() {
  std::unique_lock lock(mu_);
  written_.wait(lock, [&] { return !pending_ && !writing_; });
}

void Publisher::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || pending_; });
    if (!pending_) return;  // stopping, nothing left
    const Report report = std::move(*pending_);
    pending_.reset();
    writing_ = true;
    lock.unlock();
    write(report);
    lock.lock();
    writing_ = false;
    written_.notify_all();
  }
}

void Publisher::write(const Report& report) const {
  if (files_.json) write_logged(*files_.json, report.json, "status file");
  if (files_.prometheus) write_logged(*files_.prometheus, report.prometheus, "prometheus file");
}

}  // namespace logship::status
