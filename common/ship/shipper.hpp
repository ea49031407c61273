// Shipper: the push agent's sending side, run on its own thread. It cuts batches from the
// spool (BatchPolicy), records each in the state file before sending it, streams it through
// a VaultLink in slices (read from the spool, escaped, hashed, written: memory does not grow
// with the batch), and only on acknowledgement commits it: seal key evolved, spool released.
// Any failure sends the same batch again after backoff, forever. Heartbeats when idle.
#pragma once

#include <condition_variable>
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

  // The loop; returns after request_stop() once nothing is pending or the grace has passed.
  void run();
  // New lines are in the spool (called by the input side; cheap, never blocks for long).
  void on_input();
  // Stop: keep sending what is pending until `deadline`, then return from run().
  void request_stop(SteadyTime deadline);

  ShipperStatus status() const;

 private:
  struct Batch;
  bool cut_batch(Decision::Action action);  // plans batch_ from the spool; false: nothing
  void rebuild_inflight();                  // batch_ again from the state's inflight
  void attempt();                           // one delivery of batch_
  Status stream(Batch& batch, vault::SealedBatch& sealed);  // its bytes, through link_
  // The records after cursor `c` that the next batch takes (batch_room()), pinned.
  Result<spool::Plan> plan(spool::Cursor c);
  // An open batch takes the records that follow as they come (written at once), until
  // policy.open_for has passed, it is full, a hole, or a stop; then close_open().
  Status extend(Batch& batch, vault::BatchBuilder& builder, spool::Cursor& c, std::uint64_t& expect,
                std::uint64_t payload, std::uint64_t lines);
  // Records an open batch closed (after a first attempt: grown to every record there is now).
  Status close_open(Batch& batch);
  void add_slice(vault::BatchBuilder& builder);  // slice_'s records, framed, into out_
  void note_failure(const Error& e);
  bool wait_until(SteadyTime t);  // false when woken by stop
  bool stop_due() const;          // stopping, and the grace has passed
  bool persist();

  ShipperOptions opt_;
  spool::Spool& spool_;
  PushStateFile& file_;
  PushState state_;
  VaultLink& link_;
  const Clock& clock_;
  Backoff backoff_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<SteadyTime> pending_since_;  // oldest line not yet cut into a batch
  bool stopping_ = false;
  SteadyTime stop_deadline_{};
  ShipperStatus status_;

  std::unique_ptr<Batch> batch_;  // the batch in flight, if any
  SteadyTime last_batch_{};
  spool::Cursor read_pos_;  // after state_.acked: where the next batch starts
  spool::Slice slice_;      // records read, reused
  std::vector<vault::BatchBuilder::Piece> pieces_;  // slice_'s records as payload pieces
  std::string out_;                                 // vault bytes not yet written, reused
};

}  // namespace logship::ship
