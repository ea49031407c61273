// A Shipper's attempt: the batch streamed to the vault, grown while open, closed and sealed.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "ship/shipper.hpp"
#include "ship/shipper_batch.hpp"

namespace logship::ship {

namespace {
constexpr std::size_t kPiece = 256u << 10;  // bytes of vault lines handed to the link at once
}  // namespace

Result<void> Shipper::close_open(Batch& b) {
  InFlight& f = b.inflight;
  if (b.maybe_sent_before) {
    // A process before this one may have left it in the vault, grown past `last` by an unknown
    // amount: take every record there is now (within the batch size), once; it is then closed.
    const auto planned = plan(spool::Cursor{f.first - 1});
    if (!planned) return planned.error();
    if (planned->first == f.first && planned->last > f.last) f.last = planned->last;
  } else if (b.attempts > 1) {
    // An attempt of ours failed: what it may have left in the vault ends at written_through.
    f.last = std::max(f.last, b.written_through);
  }
  f.open = false;
  state_.inflight = f;
  if (!persist()) return make_error(ErrorKind::io, "cannot record the batch in flight");
  return {};
}

void Shipper::add_slice(vault::BatchBuilder& builder) {
  pieces_.clear();
  for (const auto& r : slice_.records)
    pieces_.push_back({r.data, r.partial ? vault::LineEnd::none : vault::LineEnd::newline});
  if (auto st = builder.add_all(pieces_, out_); !st)
    spdlog::error("spool records {}..{}: {}", slice_.records.front().id, slice_.records.back().id,
                  st.error().message);
}

Result<void> Shipper::begin(Batch& b) {
  InFlight& f = b.inflight;
  if (f.open && (b.attempts > 1 || b.maybe_sent_before)) {
    if (auto st = close_open(b); !st) return st;
  }
  vault::BatchHeader header{opt_.source, opt_.stream, f.time, f.dropped, {}};
  auto builder = vault::BatchBuilder::open(state_.seal, header);
  if (!builder) {
    spdlog::critical("cannot build a batch: {}", builder.error().message);
    std::abort();  // source/stream were validated at start-up: this is a bug
  }
  b.builder.emplace(std::move(*builder));
  b.cursor = b.start;
  b.expect = f.first;
  b.payload = b.lines = 0;
  b.complete = true;
  if (auto st = link_.open(); !st) return st;
  out_.clear();
  out_.reserve(kPiece + (64u << 10));
  // The leading "\n" goes only with a resend: an interrupted attempt may have left a torn
  // line in the vault file, and the batch must start on a line of its own.
  if (b.attempts > 1 || b.maybe_sent_before) out_ = "\n";
  out_ += b.builder->begin_line();
  while (f.first != 0 && b.cursor.after < f.last) {
    if (auto st = spool_.read_slice(b.cursor, f.last, std::numeric_limits<std::size_t>::max(),
                                    std::numeric_limits<std::size_t>::max(), slice_, !b.verified,
                                    /*pin=*/false);
        !st) {
      link_.reset();  // the vault keeps a torn batch; the resend starts on a line of its own
      return st;
    }
    if (slice_.records.empty()) break;
    if (stop_due()) {  // a long batch on a slow link must not hold up the exit
      link_.reset();
      return make_error(ErrorKind::timeout, "stopping: the shutdown grace ran out mid-batch");
    }
    for (const auto& r : slice_.records) {
      b.complete = b.complete && r.id == b.expect;
      b.expect = r.id + 1;
      b.payload += r.data.size();
      ++b.lines;
    }
    add_slice(*b.builder);
    if (out_.size() >= kPiece) {
      if (auto st = link_.write(out_); !st) return st;
      out_.clear();
    }
  }
  if (f.open) {
    // What is there goes out now: the vault file shows it at once, and ticks add the rest.
    b.written_through = std::max(b.written_through, b.expect - 1);
    if (auto st = link_.write(out_); !st) return st;
    out_.clear();
    b.growing = true;
    b.opened = b.last_line = clock_.now();
  }
  return {};
}

Result<bool> Shipper::write_following(Batch& b) {
  const auto& p = opt_.policy;
  // The size rule of plan(), so that a resend of this batch takes at least what it sent.
  for (spool::Room room = batch_room(p, b.lines, b.payload); room.left();
       room = batch_room(p, b.lines, b.payload)) {
    {
      std::lock_guard lock(mu_);
      pending_since_.reset();  // lines spooled from now on are announced again
    }
    const spool::Cursor before = b.cursor;
    if (auto st = spool_.read_slice(b.cursor, std::numeric_limits<std::uint64_t>::max(),
                                    static_cast<std::size_t>(room.bytes),
                                    static_cast<std::size_t>(room.records), slice_,
                                    /*verify=*/true, /*pin=*/true);
        !st) {
      link_.reset();
      return st.error();
    }
    if (slice_.records.empty()) break;
    if (slice_.records.front().id != b.expect) {  // a hole: the next batch counts it
      b.cursor = before;
      return true;
    }
    for (const auto& r : slice_.records) {
      b.expect = r.id + 1;
      b.payload += r.data.size();
      ++b.lines;
    }
    add_slice(*b.builder);
    b.last_line = clock_.now();
    b.written_through = std::max(b.written_through, b.expect - 1);
    if (auto st = link_.write(out_); !st) return st.error();
    out_.clear();
  }
  if (!batch_room(p, b.lines, b.payload).left()) return true;
  const bool settled = file_.sync_settled(b.recorded);
  std::lock_guard lock(mu_);
  const SteadyTime due_at = open_batch_due(p, b.opened, b.last_line, b.payload);
  const auto now = clock_.now();
  const bool due = stopping_ || now >= due_at;
  // Its end line waits for its record on the disk (end()): until the sync has settled it stays
  // open and takes the lines that come, so a slow fdatasync delays the seal, not the lines. For
  // kRecordWait at most: an unsealed tail stays bounded (verify calls one open for 120 s torn),
  // and a stalled disk then holds the end line in end().
  b.awaiting_record = due && !stopping_ && !settled && now < due_at + kRecordWait;
  return due && !b.awaiting_record;
}

void Shipper::grow() {
  Batch& b = *batch_;
  auto closing = write_following(b);
  if (!closing) return fail(closing.error());
  if (!*closing) return;
  b.growing = false;
  const std::uint64_t next = spool_.next_id();
  {
    std::lock_guard lock(mu_);
    if (!pending_since_ && next - 1 > b.cursor.after) pending_since_ = clock_.now();
  }
  b.inflight.last = b.cursor.after;
  // Recorded closed before its end line is sent.
  if (auto st = close_open(b); !st) return fail(st.error());
  if (auto st = end(b); !st) return fail(st.error());
}

Result<void> Shipper::end(Batch& b) {
  // Its lines went out while its record was being synced; its seal waits for the disk.
  if (auto st = file_.durable(b.recorded); !st) {
    link_.reset();
    return st;
  }
  const InFlight& f = b.inflight;
  if (f.first != 0 && b.expect != f.last + 1) b.complete = false;
  if (!b.complete && !b.incomplete_logged) {
    b.incomplete_logged = true;
    spdlog::error(
        "batch seq {} (spool records {}..{}) cannot be rebuilt exactly: the spool lost some of "
        "them; sending what remains, and logship-verify will report the difference",
        state_.seal.seq(), f.first, f.last);
  }
  auto s = b.builder->seal(state_.seal);
  b.builder.reset();
  if (!s) {
    spdlog::critical("cannot seal batch seq {}: {}", state_.seal.seq(), s.error().message);
    std::abort();
  }
  out_ += s->end_line;
  if (auto st = link_.write(out_); !st) return st;
  out_.clear();
  if (auto st = link_.finish(); !st) return st;
  commit(*s);
  return {};
}

void Shipper::attempt() {
  {
    std::lock_guard lock(mu_);
    status_.state = batch_->attempts ? "retrying" : "sending";
  }
  ++batch_->attempts;
  if (auto st = begin(*batch_); !st) return fail(st.error());
  if (batch_->growing) return;  // the ticks to come write the lines that follow, then end it
  if (auto st = end(*batch_); !st) return fail(st.error());
}

void Shipper::fail(const Error& e) {
  batch_->growing = false;
  batch_->builder.reset();
  note_failure(e);
  (void)backoff_.failed();
}

}  // namespace logship::ship
