#include "spool/syncer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace logship::spool {

namespace fs = std::filesystem;

Syncer::Syncer(fs::path dir, SyncFn fn, bool background)
    : dir_path_(std::move(dir)), fn_(std::move(fn)) {
  if (!background) return;
  // The thread starts with every signal blocked: signals are for the program's own threads.
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &old);
  thread_ = std::thread([this] { run(); });
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

Syncer::~Syncer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int Syncer::fdatasync(int fd) const {
  return fn_ ? fn_(fd) : ::fdatasync(fd);
}

Result<void> Syncer::sync_dir() const {
  UniqueFd fd(::open(dir_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return make_error(ErrorKind::io, errno_message("open directory", dir_path_));
  const int r = fn_ ? fn_(fd.get()) : ::fsync(fd.get());
  if (r != 0) return make_error(ErrorKind::io, errno_message("fsync", dir_path_));
  return {};
}

Result<void> Syncer::owe_segment(int fd, const fs::path& path) {
  UniqueFd dup(::dup(fd));
  if (!dup.valid()) return make_error(ErrorKind::io, errno_message("dup", path));
  std::lock_guard lock(mu_);
  sealed_.push_back(File{std::move(dup), path});
  return {};
}

void Syncer::owe_dir() {
  std::lock_guard lock(mu_);
  dir_ = true;
}

void Syncer::forget(const fs::path& path) {
  std::lock_guard lock(mu_);
  std::erase_if(sealed_, [&](const File& f) { return f.path == path; });
  if (running_) forgotten_.push_back(path);
}

void Syncer::due(int current, const fs::path& path) {
  {
    std::lock_guard lock(mu_);
    due_ = true;
    retry_ = false;
    current_ = File{UniqueFd(::dup(current)), path};
    dup_error_ = current_.fd.valid() ? "" : errno_message("dup", path);
  }
  cv_.notify_all();
}

void Syncer::wait_idle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !running_; });
}

bool Syncer::sync_now(int current, const fs::path& path, bool unsynced) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !running_; });
  const bool sync_current = std::exchange(due_, false) || unsynced || std::exchange(retry_, false);
  current_ = File{};
  error_ = sync_all(sealed_, dir_, sync_current ? current : -1, path);
  return sync_current;
}

std::string Syncer::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

bool Syncer::retry_owed() const {
  std::lock_guard lock(mu_);
  return retry_;
}

std::string Syncer::sync_all(std::vector<File>& sealed, bool& dir, int current,
                             const fs::path& current_path) const {
  std::string error;
  std::erase_if(sealed, [&](const File& f) {
    if (fdatasync(f.fd.get()) == 0) return true;
    error = errno_message("fsync", f.path);
    return false;
  });
  if (dir) {
    if (auto st = sync_dir(); st)
      dir = false;
    else
      error = st.error().message;
  }
  if (current >= 0 && fdatasync(current) != 0) error = errno_message("fsync", current_path);
  return error;
}

// A due sync: takes what is owed, fsyncs it without the lock (a slow disk holds up nobody
// else), and records the outcome.
void Syncer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || due_; });
    if (stopping_) return;  // the owner's last sync_now() does what is left
    due_ = false;
    auto sealed = std::exchange(sealed_, {});
    bool dir = std::exchange(dir_, false);
    File current = std::exchange(current_, File{});
    std::string error = std::exchange(dup_error_, "");
    running_ = true;
    lock.unlock();
    if (auto e = sync_all(sealed, dir, current.fd.get(), current.path); !e.empty()) error = e;
    current.fd.reset();
    lock.lock();
    running_ = false;
    // What failed is owed again (a segment deleted meanwhile needs nothing), and the next due
    // sync tries it.
    for (auto& f : sealed) {
      if (std::find(forgotten_.begin(), forgotten_.end(), f.path) == forgotten_.end())
        sealed_.push_back(std::move(f));
    }
    forgotten_.clear();
    dir_ = dir_ || dir;
    error_ = error;
    if (!error.empty()) retry_ = true;
    sealed.clear();
    cv_.notify_all();
  }
}

}  // namespace logship::spool
