#include "util/backoff.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace logship {

namespace {
Backoff::Rng default_rng() {
  std::random_device rd;
  auto gen = std::make_shared<std::mt19937_64>((std::uint64_t{rd()} << 32) ^ rd());
  return [gen] { return (*gen)(); };
}
}  // namespace

Backoff::Backoff(Policy policy, const Clock& clock, Rng rng)
    : policy_(policy), clock_(clock), rng_(rng ? std::move(rng) : default_rng()) {}

Backoff::Duration Backoff::failed() {
  ++failures_;
  // base * 2^(failures-1), saturating at cap without overflowing.
  std::int64_t ceiling = policy_.base.count();
  for (unsigned i = 1; i < failures_ && ceiling < policy_.cap.count(); ++i) ceiling *= 2;
  ceiling = std::clamp<std::int64_t>(ceiling, 0, policy_.cap.count());
  const auto jitter = static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(ceiling + 1));
  const Duration delay = policy_.floor + Duration(jitter);
  next_attempt_ = clock_.now() + delay;
  return delay;
}

void Backoff::succeeded() {
  failures_ = 0;
  next_attempt_ = SteadyTime{};
}

}  // namespace logship
