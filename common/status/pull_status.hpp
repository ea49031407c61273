// What logship-pull reports, and the one place that turns it into the JSON status file and the
// Prometheus textfile (docs/PULL.md lists the keys and metrics; they are an interface).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "status/status.hpp"
#include "util/clock.hpp"

namespace logship::status {

// One followed file.
struct PulledFile {
  std::string remote, local;
  std::string state;              // following, draining, missing, unreadable, not-regular, ...
  std::string problem;            // the current problem, "" when none
  std::string fid;                // of the file followed, in hex
  std::uint64_t offset = 0;       // resumable remote offset (all bytes before it are local)
  std::uint64_t remote_size = 0;  // size seen at the last look
  std::uint64_t local_size = 0;
  std::uint64_t bytes = 0;            // remote bytes copied since start
  std::uint64_t rotations = 0;        // rename rotations (old file finished first)
  std::uint64_t truncations = 0;      // truncations without a copy found (bytes may be lost)
  std::uint64_t copytruncations = 0;  // truncations whose rest was read from the rotated copy
  std::uint64_t replaced = 0;         // the path named another file and the old one was not found
  std::string last_event;             // "rotated", "truncated", ...
  std::optional<WallTime> last_event_time;
  std::optional<WallTime> last_data;  // when bytes last arrived

  std::uint64_t behind() const { return remote_size > offset ? remote_size - offset : 0; }
};

struct PullStatus {
  std::string source;
  std::int64_t pid = 0;
  WallTime updated;
  std::string mode;    // sftp or tail
  std::string format;  // framed or raw
  std::string host;    // host:port
  bool connected = false;
  std::optional<WallTime> connected_since;    // of the current connection
  std::optional<WallTime> unreachable_since;  // first failure since the last good connection
  std::string last_error, last_error_kind;    // "" when none
  std::uint64_t connections = 0;              // made since start
  std::uint64_t failures = 0;                 // failed attempts and dropped connections since start
  std::vector<PulledFile> files;

  // The status file's object, one line.
  std::string json() const;
  // The textfile's samples: the host's labelled with source, each file's with its path too.
  std::vector<Metric> metrics() const;
};

}  // namespace logship::status
