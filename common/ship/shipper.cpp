#include "ship/shipper.hpp"

#include <spdlog/spdlog.h>

#include <limits>

#include "vault/batch_builder.hpp"

namespace logship::ship {

struct Shipper::Batch {
  InFlight inflight;
  std::string bytes;  // "\n" + begin line + payload lines + end line
  vault::SealedBatch sealed;
  unsigned attempts = 0;
  bool maybe_sent_before = false;  // restored after a restart: part of it may be in the vault
};

Shipper::Shipper(ShipperOptions options, spool::Spool& spool, PushStateFile& file, PushState state,
                 VaultLink& link, const Clock& clock)
    : opt_(std::move(options)),
      spool_(spool),
      file_(file),
      state_(std::move(state)),
      link_(link),
      clock_(clock),
      backoff_(opt_.backoff, clock) {
  last_batch_ = clock_.now();
  if (state_.seal.seq() > 0) status_.last_acked_seq = state_.seal.seq() - 1;
}

Shipper::~Shipper() = default;

void Shipper::on_input() {
  std::lock_guard lock(mu_);
  if (!pending_since_) {
    pending_since_ = clock_.now();
    cv_.notify_one();
  }
}

void Shipper::request_stop(SteadyTime deadline) {
  std::lock_guard lock(mu_);
  stopping_ = true;
  stop_deadline_ = deadline;
  cv_.notify_one();
}

ShipperStatus Shipper::status() const {
  std::lock_guard lock(mu_);
  ShipperStatus s = status_;
  s.connections = link_.connections();
  return s;
}

bool Shipper::wait_until(SteadyTime t) {
  std::unique_lock lock(mu_);
  const bool was_pending = pending_since_.has_value();
  cv_.wait_for(lock, t - clock_.now(),
               [&] { return stopping_ || (!was_pending && pending_since_.has_value()); });
  return !stopping_;
}

bool Shipper::persist() {
  if (auto st = file_.save(state_); !st) {
    spdlog::error("cannot save the push state: {}", st.error().message);
    return false;
  }
  return true;
}

void Shipper::run() {
  if (state_.inflight) rebuild_inflight();
  const std::uint64_t through = state_.inflight ? state_.inflight->last : state_.acked;
  if (spool_.next_id() - 1 > through) on_input();  // a backlog from before the start
  for (;;) {
    if (!batch_) {
      Decision d;
      {
        std::lock_guard lock(mu_);
        const auto now = clock_.now();
        if (stopping_ && (!pending_since_ || now >= stop_deadline_)) break;
        d = decide(opt_.policy, now, 0, pending_since_, last_batch_);
        if (stopping_) d.action = Decision::Action::send_lines;  // no lingering at exit
        status_.state = "idle";
      }
      if (d.action == Decision::Action::wait) {
        wait_until(d.wake);
        continue;
      }
      if (!cut_batch(d.action)) continue;
    }
    if (!backoff_.ready()) {
      wait_until(backoff_.next_deadline());
      std::lock_guard lock(mu_);
      if (stopping_ && clock_.now() >= stop_deadline_) break;
      continue;
    }
    attempt();
    std::lock_guard lock(mu_);
    if (stopping_ && clock_.now() >= stop_deadline_) break;
  }
  std::lock_guard lock(mu_);
  status_.state = "stopped";
}

bool Shipper::cut_batch(Decision::Action action) {
  const std::uint64_t next = spool_.next_id();
  std::optional<SteadyTime> since;
  {
    std::lock_guard lock(mu_);
    since = pending_since_;
    pending_since_.reset();
  }
  auto restore_pending = [&] {
    std::lock_guard lock(mu_);
    if (!pending_since_) pending_since_ = since ? since : clock_.now();
  };
  auto records = spool_.read(state_.acked, opt_.policy.max_bytes,
                             static_cast<std::size_t>(opt_.policy.max_lines), /*pin=*/true);
  if (!records) {
    note_failure(records.error());
    (void)backoff_.failed();
    restore_pending();
    return false;
  }
  InFlight f;
  f.time = std::chrono::floor<std::chrono::microseconds>(clock_.wall_now());
  if (records->empty()) {
    if (next - 1 > state_.acked) {  // everything after acked was lost: say so now
      f.last = next - 1;
      f.dropped = next - 1 - state_.acked;
    } else if (action == Decision::Action::send_heartbeat || since) {
      if (action != Decision::Action::send_heartbeat) return false;  // already sent
      f.last = state_.acked;
    } else {
      return false;
    }
  } else {
    f.first = records->front().id;
    f.last = records->back().id;
    f.dropped = f.first - state_.acked - 1;
    if (f.last < next - 1) restore_pending();  // a backlog remains: the next batch goes at once
  }
  state_.inflight = f;
  if (!persist()) {  // never send what could not be recorded: a resend must be identical
    state_.inflight.reset();
    (void)backoff_.failed();
    restore_pending();
    return false;
  }
  return build(f, *records);
}

bool Shipper::rebuild_inflight() {
  const InFlight f = *state_.inflight;
  std::vector<spool::Record> records;
  if (f.first != 0) {
    auto r = spool_.read(f.first - 1, std::numeric_limits<std::size_t>::max(),
                         static_cast<std::size_t>(f.last - f.first + 1), /*pin=*/true);
    if (r) records = std::move(*r);
    if (records.empty() || records.front().id != f.first || records.back().id != f.last ||
        records.size() != f.last - f.first + 1) {
      spdlog::error(
          "batch seq {} (spool records {}..{}) cannot be rebuilt exactly: the spool lost some of "
          "them; resending what remains, and logship-verify will report the difference",
          state_.seal.seq(), f.first, f.last);
    }
  }
  if (!build(f, records)) return false;
  batch_->maybe_sent_before = true;
  spdlog::info("resuming batch seq {} from the state file", state_.seal.seq());
  return true;
}

bool Shipper::build(const InFlight& f, const std::vector<spool::Record>& records) {
  vault::BatchHeader header{opt_.source, opt_.stream, f.time, f.dropped, {}};
  auto builder = vault::BatchBuilder::open(state_.seal, header);
  if (!builder) {
    spdlog::critical("cannot build a batch: {}", builder.error().message);
    std::abort();  // source/stream were validated at start-up: this is a bug
  }
  auto b = std::make_unique<Batch>();
  b->inflight = f;
  std::size_t size = 1 + builder->begin_line().size() + 256;  // separator, begin, end line
  for (const auto& r : records) size += r.data.size() + 16;   // newline, a possible marker
  b->bytes.reserve(size);  // exactly once: the batch must not exist twice while it grows
  b->bytes = "\n";
  b->bytes += builder->begin_line();
  for (const auto& r : records) {
    auto st =
        builder->add(r.data, r.partial ? vault::LineEnd::none : vault::LineEnd::newline, b->bytes);
    if (!st) spdlog::error("spool record {}: {}", r.id, st.error().message);
  }
  auto sealed = builder->seal(state_.seal);
  if (!sealed) {
    spdlog::critical("cannot seal batch seq {}: {}", state_.seal.seq(), sealed.error().message);
    std::abort();
  }
  b->bytes += sealed->end_line;
  b->sealed = std::move(*sealed);
  batch_ = std::move(b);
  return true;
}

void Shipper::attempt() {
  {
    std::lock_guard lock(mu_);
    status_.state = batch_->attempts ? "retrying" : "sending";
  }
  // The leading "\n" goes only with a resend: an interrupted attempt may have left a torn
  // line in the vault file, and the batch must start on a line of its own.
  std::string_view bytes = batch_->bytes;
  if (batch_->attempts == 0 && !batch_->maybe_sent_before) bytes.remove_prefix(1);
  ++batch_->attempts;
  auto st = link_.deliver(bytes);
  if (!st) {
    note_failure(st.error());
    (void)backoff_.failed();
    return;
  }
  const auto seq = batch_->sealed.seq;
  if (auto c = state_.seal.commit(batch_->sealed); !c) {
    spdlog::critical("cannot commit batch seq {}: {}", seq, c.error().message);
    std::abort();
  }
  state_.acked = batch_->inflight.last;
  state_.inflight.reset();
  const InFlight done = batch_->inflight;
  batch_.reset();
  // Under a backlog the next batch is cut now, so one state save records both the commit and
  // the next batch in flight. If the save fails, a restart resends the committed batch: an
  // identical, tolerated repeat.
  if (spool_.next_id() - 1 <= state_.acked || !cut_batch(Decision::Action::send_lines)) persist();
  if (auto r = spool_.release(state_.acked); !r)
    spdlog::warn("cannot free acknowledged spool segments: {}", r.error().message);
  const unsigned failures = backoff_.failures();
  backoff_.succeeded();
  last_batch_ = clock_.now();
  if (done.dropped)
    spdlog::warn("batch seq {} reports {} lines lost before it (spool full or local disk error)",
                 seq, done.dropped);
  std::lock_guard lock(mu_);
  if (!status_.last_error.empty() || failures)
    spdlog::info("vault reachable again: batch seq {} delivered after {} failed attempts", seq,
                 failures);
  status_.last_ack = clock_.wall_now();
  status_.last_acked_seq = seq;
  ++status_.batches;
  status_.dropped_sent += done.dropped;
  status_.last_error.clear();
  status_.last_error_kind.clear();
}

void Shipper::note_failure(const Error& e) {
  std::lock_guard lock(mu_);
  ++status_.failures;
  const std::string kind(to_string(e.kind));
  if (e.message != status_.last_error) {  // log once per change of state
    if (e.retryable())
      spdlog::warn("delivery failed, will retry: {}", e.message);
    else
      spdlog::error("delivery refused, will retry until fixed: {}", e.message);
  }
  status_.last_error = e.message;
  status_.last_error_kind = kind;
}

}  // namespace logship::ship
