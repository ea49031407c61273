#include "follow/threaded_output.hpp"

namespace logship::follow {

namespace {

OutputOptions same_path(const Output& o) {
  OutputOptions r;
  r.path = o.path();
  return r;
}

}  // namespace

OutputThread::OutputThread(std::size_t max_queued, std::size_t chunk)
    : max_queued_(std::max<std::size_t>(1, max_queued)),
      chunk_(std::max<std::size_t>(1, chunk)),
      thread_([this] { run(); }) {}

OutputThread::~OutputThread() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  work_.notify_all();
  thread_.join();
}

std::size_t OutputThread::queued_bytes() {
  std::lock_guard<std::mutex> l(mu_);
  return queued_bytes_;
}

void OutputThread::run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    work_.wait(l, [&] { return !jobs_.empty() || stop_; });
    if (jobs_.empty()) return;  // stopping, nothing queued
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    const ThreadedOutput* o = job.owner;
    const bool failed = o->error_.has_value();  // then the calls after the failure are dropped
    l.unlock();
    Status st;
    if (!failed) st = job.flush ? o->inner_->flush() : o->inner_->append(job.bytes);
    l.lock();
    if (!st && !o->error_) o->error_ = st.error();
    queued_bytes_ -= job.bytes.size();
    ++o->done_;
    if (spare_.size() < kSpareBuffers && job.bytes.capacity() > 0) {
      job.bytes.clear();
      spare_.push_back(std::move(job.bytes));
    }
    done_.notify_all();
  }
}

ThreadedOutput::ThreadedOutput(std::unique_ptr<Output> inner, OutputThread& thread,
                               const Clock& clock)
    : Output(same_path(*inner), clock), inner_(std::move(inner)), thread_(thread) {
  origin_ = inner_->origin();
  size_ = inner_->size();
}

ThreadedOutput::~ThreadedOutput() {
  (void)settle();
}

std::unique_lock<std::mutex> ThreadedOutput::settle() const {
  (void)hand_over(false);  // (a failure is this output's error_, returned by drain())
  std::unique_lock<std::mutex> l(thread_.mu_);
  thread_.done_.wait(l, [&] { return done_ == queued_; });
  return l;
}

Status ThreadedOutput::hand_over(bool flush) const {
  if (chunk_.empty() && !flush) return {};
  std::unique_lock<std::mutex> l(thread_.mu_);
  if (error_) {
    chunk_.clear();  // dropped: after the failure
    return *error_;
  }
  const std::size_t n = chunk_.size();
  // Room for these bytes (a chunk larger than the whole queue waits for an empty queue).
  thread_.done_.wait(l, [&] {
    return thread_.queued_bytes_ == 0 || thread_.queued_bytes_ + n <= thread_.max_queued_;
  });
  if (n > 0) {
    thread_.queued_bytes_ += n;
    thread_.jobs_.push_back(OutputThread::Job{this, std::move(chunk_), false});
    ++queued_;
    chunk_.clear();
    if (!thread_.spare_.empty()) {
      chunk_ = std::move(thread_.spare_.back());
      thread_.spare_.pop_back();
    }
  }
  if (flush) {
    thread_.jobs_.push_back(OutputThread::Job{this, {}, true});
    ++queued_;
  }
  l.unlock();
  thread_.work_.notify_one();
  return {};
}

Status ThreadedOutput::append(std::string_view bytes) {
  {
    std::lock_guard<std::mutex> l(thread_.mu_);
    if (error_) return *error_;
  }
  while (!bytes.empty()) {
    if (chunk_.capacity() < thread_.chunk_) chunk_.reserve(thread_.chunk_);
    const auto n = std::min(bytes.size(), thread_.chunk_ - std::min(thread_.chunk_, chunk_.size()));
    chunk_.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    origin_.offset += n;
    if (chunk_.size() >= thread_.chunk_)
      if (auto st = hand_over(false); !st) return st;
  }
  return {};
}

Status ThreadedOutput::flush() {
  return hand_over(true);
}

Status ThreadedOutput::drain() {
  auto l = settle();
  if (error_) return *error_;
  return {};
}

Result<Checkpoint> ThreadedOutput::recover(const std::optional<Checkpoint>& c,
                                           std::vector<std::string>& notes) {
  {
    auto l = settle();
    error_.reset();
  }
  auto r = inner_->recover(c, notes);
  origin_ = inner_->origin();
  return r;
}

Status ThreadedOutput::set_origin(Origin origin) {
  if (auto st = drain(); !st) return st;
  auto st = inner_->set_origin(std::move(origin));
  origin_ = inner_->origin();
  return st;
}

Status ThreadedOutput::finish() {
  if (auto st = drain(); !st) return st;
  return inner_->finish();
}

Status ThreadedOutput::mark(const std::vector<vault::Field>& fields) {
  if (auto st = drain(); !st) return st;
  return inner_->mark(fields);
}

std::uint64_t ThreadedOutput::resumable_offset() const {
  auto l = settle();
  return inner_->resumable_offset();
}

std::uint64_t ThreadedOutput::pending() const {
  auto l = settle();
  return inner_->pending();
}

std::uint64_t ThreadedOutput::size() const {
  auto l = settle();
  return inner_->size();
}

SteadyTime ThreadedOutput::last_write() const {
  std::lock_guard<std::mutex> l(thread_.mu_);
  return done_ == queued_ && chunk_.empty() ? inner_->last_write() : clock_.now();
}

std::string ThreadedOutput::seal_record() const {
  auto l = settle();
  return inner_->seal_record();
}

}  // namespace logship::follow
