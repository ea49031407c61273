// Shipper: the push agent's sending side. It cuts batches from the spool (BatchPolicy), records
// each in the state file before sending it, streams it through a VaultLink in slices (read
// from the spool, escaped, hashed, written: memory does not grow with the batch), and only on
// acknowledgement commits it: seal key evolved, spool released. Any failure sends the same
// batch again after backoff, forever. Heartbeats when idle.
//
// It is stepped by its clock, like follow::Puller: tick() does what is due, next_deadline()
// says when to call it again, and the program's wiring owns the thread and the waiting. An
// open batch is a state between ticks: its channel stays open and each tick writes the lines
// that came since.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ship/batch_policy.hpp"
#include "ship/push_state.hpp"
#include "ship/vault_link.hpp"
#include "spool/spool.hpp"
#include "util/backoff.hpp"
#include "util/clock.hpp"
#include "vault/batch_builder.hpp"
#include "vault/seal.hpp"

namespace logship::ship {

struct ShipperOptions {
  std::string source;  // src= of every batch
  std::string stream;  // stream= of every batch
  BatchPolicy policy;
  Backoff::Policy backoff;
};

// What the status file shows.
struct ShipperStatus {
  std::string state = "starting";  // starting, idle, sending, retrying, stopped
  std::optional<WallTime> last_ack;
  std::optional<std::uint64_t> last_acked_seq;
  std::uint64_t batches = 0;       // acknowledged since start
  std::uint64_t dropped_sent = 0;  // dropped= counts delivered since start
  std::uint64_t failures = 0;      // failed deliveries since start
  std::uint64_t connections = 0;
  std::string last_error;  // empty when the last delivery succeeded
  std::string last_error_kind;
};

class Shipper {
 public:
  Shipper(ShipperOptions options, spool::Spool& spool, PushStateFile& file, PushState state,
          VaultLink& link, const Clock& clock);
  ~Shipper();

  // Does what is due now: cuts a batch, sends it, writes the lines that joined an open batch,
  // closes it, or sends a heartbeat. Network operations block, within the link's deadlines and
  // the stop's grace. Called on one thread only (the sender's), with next_deadline().
  void tick();
  // When tick() has something to do next (now or earlier: at once; max(): finished).
  SteadyTime next_deadline() const;
  // After request_stop(): nothing is pending, or the grace has passed. tick() does no more.
  bool finished() const;

  // From any thread. New lines are in the spool; true when the sender should be woken for
  // them (the first lines since the last batch was cut), false when it already knows.
  bool on_input();
  // From any thread. Stop: keep sending what is pending until `deadline`, then finish.
  // Wake the sender after it.
  void request_stop(SteadyTime deadline);

  ShipperStatus status() const;

 private:
  struct Batch;
  std::optional<Decision> decide_now();     // nullopt: stopping and done (finished_ is set)
  bool cut_batch(Decision::Action action);  // plans batch_ from the spool; false: nothing
  void rebuild_inflight();                  // batch_ again from the state's inflight
  void attempt();                           // one delivery of batch_, up to its end or open
  void grow();                              // the open batch_: the lines that came, or its end
  // An attempt's first part: the link opened, the begin line and the planned records written.
  Result<void> begin(Batch& batch);
  // The lines that follow an open batch, written as they come. True: it is to close now
  // (open_batch_due() has come, it is full, a hole, or a stop).
  Result<bool> write_following(Batch& batch);
  // An attempt's last part: the end line written and acknowledged; then the commit.
  Result<void> end(Batch& batch);
  void commit(const vault::SealedBatch& sealed);
  void fail(const Error& e);  // the attempt failed: the same batch again after backoff
  // The records after cursor `c` that the next batch takes (batch_room()), pinned.
  Result<spool::Plan> plan(spool::Cursor c);
  // Records an open batch closed (after a first attempt: grown to every record there is now).
  Result<void> close_open(Batch& batch);
  void add_slice(vault::BatchBuilder& builder);  // slice_'s records, framed, into out_
  void note_failure(const Error& e);
  bool stop_due() const;  // stopping, and the grace has passed
  void finish_if_stop_due();
  // The state recorded (the page cache: safe from a crash of the process at once, on the disk
  // soon); its generation, nullopt when it could not be written.
  std::optional<std::uint64_t> persist();

  ShipperOptions opt_;
  spool::Spool& spool_;
  PushStateFile& file_;
  PushState state_;
  VaultLink& link_;
  const Clock& clock_;
  Backoff backoff_;

  mutable std::mutex mu_;                    // guards what the input side shares: the next four
  std::optional<SteadyTime> pending_since_;  // oldest line not yet cut into a batch
  bool stopping_ = false;
  SteadyTime stop_deadline_{};
  ShipperStatus status_;

  bool finished_ = false;
  std::unique_ptr<Batch> batch_;  // the batch in flight, if any
  SteadyTime last_batch_{};
  SteadyTime next_idle_{};  // when the link is given its next turn (VaultLink::idle)
  spool::Cursor read_pos_;  // after state_.acked: where the next batch starts
  spool::Slice slice_;      // records read, reused
  std::vector<vault::BatchBuilder::Piece> pieces_;  // slice_'s records as payload pieces
  std::string out_;                                 // vault bytes not yet written, reused
};

}  // namespace logship::ship
