#include "ship/batch_policy.hpp"

#include <algorithm>

namespace logship::ship {

Decision decide(const BatchPolicy& p, SteadyTime now, std::uint64_t pending_bytes,
                std::optional<SteadyTime> pending_since, SteadyTime last_batch) {
  using A = Decision::Action;
  if (pending_since) {
    const SteadyTime due = *pending_since + p.linger;
    if (pending_bytes >= p.max_bytes || now >= due) return {A::send_lines, now};
    return {A::wait, due};
  }
  const SteadyTime beat = last_batch + p.heartbeat;
  if (now >= beat) return {A::send_heartbeat, now};
  return {A::wait, beat};
}

SteadyTime open_batch_due(const BatchPolicy& p, SteadyTime opened, SteadyTime last_line,
                          std::uint64_t payload) {
  if (payload >= p.open_worth) return std::min(opened + p.open_for, last_line + p.open_idle);
  return opened + std::max(p.open_for, p.open_max);
}

spool::Room batch_room(const BatchPolicy& p, std::uint64_t records, std::uint64_t bytes) {
  return {p.max_lines - std::min(records, p.max_lines), p.max_bytes - std::min(bytes, p.max_bytes)};
}

}  // namespace logship::ship
