// What logship-push reports, and the one place that turns it into the JSON status file and the
// Prometheus textfile (docs/PUSH.md lists the keys and metrics; they are an interface).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "status/status.hpp"
#include "util/clock.hpp"

namespace logship::status {

struct PushStatus {
  std::string source, stream;
  std::int64_t pid = 0;
  WallTime updated;
  std::string state;  // the shipper's: starting, idle, sending, retrying, stopped
  std::string input;  // "FIFO /run/x (1048576-byte buffer)" or "stdin"
  std::string vault;  // host:port
  std::optional<WallTime> last_ack;
  std::optional<std::uint64_t> last_acked_seq;
  std::uint64_t spool_bytes = 0;       // on disk, headers included
  std::uint64_t backlog_lines = 0;     // not yet acknowledged
  std::uint64_t dropped = 0;           // lost to a full spool or local disk since start
  std::uint64_t dropped_reported = 0;  // dropped= counts delivered since start
  std::uint64_t batches = 0;           // acknowledged since start
  std::uint64_t failures = 0;          // failed deliveries since start
  std::uint64_t connections = 0;       // SSH connections made since start
  std::string last_error;              // empty when the last delivery succeeded
  std::string last_error_kind;
  std::string spool_error;  // the latest local write failure, empty if none

  // The status file's object, one line.
  std::string json() const;
  // The textfile's samples, labelled with source and stream.
  std::vector<Metric> metrics() const;
};

}  // namespace logship::status
