// BatchPolicy: when the push agent cuts the next batch. Pure, so it is table-tested.
// Under backlog batches leave at once and grow up to max_bytes; a trickle leaves after a
// short linger; with nothing to send a heartbeat leaves every `heartbeat`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "spool/run_index.hpp"
#include "util/clock.hpp"

namespace logship::ship {

struct BatchPolicy {
  std::uint64_t max_bytes = 64u << 20;          // bytes of payload per batch
  std::uint64_t max_lines = 1'000'000;          // lines per batch
  std::chrono::milliseconds linger{5};          // ms a first pending line may wait for company
  std::chrono::milliseconds heartbeat{60'000};  // ms of idleness before an empty batch
  // A batch that took every pending line stays open, on its channel, for the lines that follow
  // (written as they come, sealed together): every channel costs the vault a process start.
  // It closes once it is worth its channel (`open_worth` bytes of payload) and has been open
  // `open_for` or the input has paused `open_idle`; below that it stays open, whatever the
  // pauses, until it has been open `open_max`. So a steady stream is sealed every `open_for`,
  // and a trickle costs one channel per `open_max`. open_for 0: batches close at once.
  std::chrono::milliseconds open_for{250};
  std::chrono::milliseconds open_idle{50};
  std::uint64_t open_worth = 256u << 10;
  std::chrono::milliseconds open_max{10'000};
};

struct Decision {
  enum class Action { wait, send_lines, send_heartbeat } action = Action::wait;
  SteadyTime wake{};  // for wait: when to decide again (new input may come sooner)
};

// `pending_since`: when the oldest line not yet in the vault was read (nullopt: none pending);
// `last_batch`: when the last batch was committed (or the agent started).
Decision decide(const BatchPolicy& policy, SteadyTime now, std::uint64_t pending_bytes,
                std::optional<SteadyTime> pending_since, SteadyTime last_batch);

// When an open batch, open since `opened` and last grown at `last_line` to `payload` bytes, is
// due to close (when it is not full: a full batch closes at once).
SteadyTime open_batch_due(const BatchPolicy& policy, SteadyTime opened, SteadyTime last_line,
                          std::uint64_t payload);

// The batch size rule, the one place a batch's size is decided: the room left in a batch that
// holds `records` records with `bytes` of payload, up to max_lines and max_bytes. A batch takes
// the next record while room is left (and its first record always, however large), so it ends
// at the first record taken with max_bytes reached, or at max_lines.
spool::Room batch_room(const BatchPolicy& policy, std::uint64_t records, std::uint64_t bytes);

}  // namespace logship::ship
