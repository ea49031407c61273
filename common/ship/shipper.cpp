#include "ship/shipper.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "ship/shipper_batch.hpp"
#include "vault/batch_builder.hpp"

namespace logship::ship {

namespace {
// The longest idle wait before the link is given a turn (VaultLink::idle): well under the
// vault's ClientAliveInterval (scripts/vault/sshd_config-logship.conf).
constexpr std::chrono::seconds kLinkIdle{5};
}  // namespace

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
  next_idle_ = last_batch_ + kLinkIdle;
  if (state_.seal.seq() > 0) status_.last_acked_seq = state_.seal.seq() - 1;
  link_.set_interrupt([this] { return stop_due(); });  // the grace's end ends any wait
  if (state_.inflight) rebuild_inflight();
  const std::uint64_t through = state_.inflight ? state_.inflight->last : state_.acked;
  if (spool_.next_id() - 1 > through) on_input();  // a backlog from before the start
}

Shipper::~Shipper() {
  link_.set_interrupt(nullptr);
}

bool Shipper::on_input() {
  std::lock_guard lock(mu_);
  if (pending_since_) return false;
  pending_since_ = clock_.now();
  return true;
}

void Shipper::request_stop(SteadyTime deadline) {
  std::lock_guard lock(mu_);
  stopping_ = true;
  stop_deadline_ = deadline;
}

ShipperStatus Shipper::status() const {
  std::lock_guard lock(mu_);
  ShipperStatus s = status_;
  s.connections = link_.connections();
  return s;
}

bool Shipper::stop_due() const {
  std::lock_guard lock(mu_);
  return stopping_ && clock_.now() >= stop_deadline_;
}

void Shipper::finish_if_stop_due() {
  if (!stop_due()) return;
  std::lock_guard lock(mu_);
  finished_ = true;
  status_.state = "stopped";
}

bool Shipper::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}

std::optional<std::uint64_t> Shipper::persist() {
  auto g = file_.record(state_);
  if (!g) {
    spdlog::error("cannot save the push state: {}", g.error().message);
    return std::nullopt;
  }
  return *g;
}

std::optional<Decision> Shipper::decide_now() {
  std::lock_guard lock(mu_);
  const auto now = clock_.now();
  if (stopping_ && (!pending_since_ || now >= stop_deadline_)) {
    finished_ = true;
    status_.state = "stopped";
    return std::nullopt;
  }
  Decision d = decide(opt_.policy, now, 0, pending_since_, last_batch_);
  if (stopping_) d.action = Decision::Action::send_lines;  // no lingering at exit
  status_.state = "idle";
  return d;
}

void Shipper::tick() {
  if (finished()) return;
  if (batch_ && batch_->growing) {
    grow();
    return finish_if_stop_due();
  }
  if (!batch_) {
    const auto d = decide_now();
    if (!d) return;
    if (d->action == Decision::Action::wait) {
      const auto now = clock_.now();
      if (now >= next_idle_) {  // keeps an idle connection answering the vault
        link_.idle();
        next_idle_ = now + kLinkIdle;
      }
      return;
    }
    if (!cut_batch(d->action)) return;
  }
  if (backoff_.ready() && !stop_due()) attempt();  // none begins once the grace is over
  finish_if_stop_due();
}

SteadyTime Shipper::next_deadline() const {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  if (finished_) return SteadyTime::max();
  if (batch_ && batch_->growing) {
    if (stopping_ || pending_since_) return now;
    const SteadyTime due_at =
        open_batch_due(opt_.policy, batch_->opened, batch_->last_line, batch_->payload);
    // Waiting for its record's sync, which wakes the sender when it settles (push/agent.cpp).
    return batch_->awaiting_record ? due_at + kRecordWait : due_at;
  }
  if (batch_) {
    const SteadyTime retry = backoff_.next_deadline();
    return stopping_ ? std::min(retry, stop_deadline_) : retry;
  }
  if (stopping_) return now;
  const Decision d = decide(opt_.policy, now, 0, pending_since_, last_batch_);
  if (d.action != Decision::Action::wait) return now;
  return std::min(d.wake, next_idle_);
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
  // The records after acked, without a hole, up to the policy's size, pinned. Only their ids
  // are kept: the batch is read, slice by slice, as it is sent.
  if (read_pos_.after != state_.acked) read_pos_ = spool::Cursor{state_.acked};
  const auto planned = plan(read_pos_);
  if (!planned) {
    note_failure(planned.error());
    (void)backoff_.failed();
    restore_pending();
    return false;
  }
  InFlight f;
  f.time = std::chrono::floor<std::chrono::microseconds>(clock_.wall_now());
  if (planned->first == 0) {
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
    f.first = planned->first;
    f.last = planned->last;
    f.dropped = planned->first - state_.acked - 1;
    if (f.last < next - 1) restore_pending();  // a backlog remains: the next batch goes at once
    std::lock_guard lock(mu_);
    f.open = planned->reached_end && opt_.policy.open_for.count() > 0 && !stopping_ &&
             action == Decision::Action::send_lines;
  }
  state_.inflight = f;
  const auto recorded = persist();
  if (!recorded) {  // never send what could not be recorded: a resend must be identical
    state_.inflight.reset();
    (void)backoff_.failed();
    restore_pending();
    return false;
  }
  batch_ = std::make_unique<Batch>();
  batch_->recorded = *recorded;
  batch_->inflight = f;
  batch_->start = read_pos_;
  batch_->verified = true;
  return true;
}

Result<spool::Plan> Shipper::plan(spool::Cursor c) {
  const spool::SizeRule rule = [this](std::uint64_t records, std::uint64_t bytes) {
    return batch_room(opt_.policy, records, bytes);
  };
  // Records this process spooled are planned from memory; older ones are read and checked.
  auto planned = spool_.plan(c, rule);
  if (!planned) return planned.error();
  if (*planned) return **planned;
  spool::Plan p;
  std::uint64_t bytes = 0, lines = 0;
  for (spool::Room room = rule(0, 0); p.first == 0 || room.left(); room = rule(lines, bytes)) {
    auto st = spool_.read_slice(c, std::numeric_limits<std::uint64_t>::max(),
                                static_cast<std::size_t>(room.bytes),
                                static_cast<std::size_t>(room.records), slice_,
                                /*verify=*/true, /*pin=*/true);
    if (!st) return st.error();
    const auto& records = slice_.records;
    p.reached_end = records.empty();
    if (records.empty() || (p.first != 0 && records.front().id != p.last + 1)) break;
    if (p.first == 0) p.first = records.front().id;
    p.last = records.back().id;
    lines += records.size();
    for (const auto& r : records) bytes += r.data.size();
  }
  return p;
}

void Shipper::rebuild_inflight() {
  const InFlight f = *state_.inflight;
  batch_ = std::make_unique<Batch>();
  batch_->inflight = f;
  batch_->start = spool::Cursor{f.first ? f.first - 1 : state_.acked};
  batch_->maybe_sent_before = true;
  spdlog::info("resuming batch seq {} from the state file", state_.seal.seq());
}

void Shipper::commit(const vault::SealedBatch& sealed) {
  const auto seq = sealed.seq;
  if (auto c = state_.seal.commit(sealed); !c) {
    spdlog::critical("cannot commit batch seq {}: {}", seq, c.error().message);
    std::abort();
  }
  state_.acked = batch_->inflight.last;
  state_.inflight.reset();
  const InFlight done = batch_->inflight;
  if (batch_->cursor.after == state_.acked) read_pos_ = batch_->cursor;
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
