// What logship-pull reports, and the one place that turns it into the JSON status file and the
// Prometheus textfile (docs/PULL.md lists the keys and metrics; they are an interface).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "follow/follower.hpp"
#include "status/status.hpp"
#include "util/clock.hpp"

namespace logship::follow {

using status::Metric;

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
  std::vector<FileStatus> files;              // as Puller::files() gives them

  // The status file's object, one line.
  std::string json() const;
  // The textfile's samples: the host's labelled with source, each file's with its path too.
  std::vector<Metric> metrics() const;
};

}  // namespace logship::follow
