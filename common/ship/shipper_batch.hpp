// The batch a Shipper has in flight and the attempt under way: shared by shipper.cpp (cutting,
// committing) and shipper_attempt.cpp (streaming it to the vault). Internal to common/ship.
#pragma once

#include <cstdint>
#include <optional>

#include "ship/push_state.hpp"
#include "ship/shipper.hpp"
#include "spool/spool.hpp"
#include "util/clock.hpp"
#include "vault/batch_builder.hpp"

namespace logship::ship {

// The longest an open batch due to close stays open for its record's sync (beyond, its end line
// waits in Shipper::end()).
inline constexpr std::chrono::seconds kRecordWait{10};

struct Shipper::Batch {
  InFlight inflight;
  spool::Cursor start;  // where its first record is read from
  unsigned attempts = 0;
  bool maybe_sent_before = false;  // restored after a restart: part of it may be in the vault
  bool verified = false;           // its records' checksums were checked when it was planned
  bool incomplete_logged = false;
  // The generation of the state record that recorded it: on the disk before its end line is
  // sent, so that no batch is sealed in the vault without its record surviving a power loss.
  std::uint64_t recorded = 0;
  // The last record an attempt of this process handed to the link (0: none): an open batch
  // that failed is resent with exactly the records up to here, whatever came since, so a
  // resend is never larger than what its attempt may have left in the vault.
  std::uint64_t written_through = 0;

  // The attempt under way.
  std::optional<vault::BatchBuilder> builder;
  spool::Cursor cursor;  // after the last record read
  std::uint64_t expect = 0, payload = 0, lines = 0;
  bool complete = true;          // every record from first on was found, in order
  bool growing = false;          // open on the wire: ticks write the lines that follow
  bool awaiting_record = false;  // due to close, but its record's sync has not settled yet
  SteadyTime opened{}, last_line{};
};

}  // namespace logship::ship
