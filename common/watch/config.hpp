// The streams one logship-verify --follow process watches: one from the command line, or many
// from a streams file (--streams FILE), one section per stream:
//
//   [web1-auth]                              the stream's name (status, metrics, alarms)
//   file = /srv/logship/web1/auth.log        the live file, followed as it grows
//   rotated = /srv/logship/web1/auth.log-*   its rotated files (glob; default FILE-*)
//   key = /etc/logship/keys/web1.key         verification key (logship-key v1)
//   max-silence = 180                        seconds without a batch before `silence`
//   expect-start = yes                       the first batch must be seq 0
//
// Lines starting with '#' or ';' are comments. docs/WATCH.md has the details.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace logship::watch {

struct StreamConfig {
  std::string name;
  std::filesystem::path file;
  std::string rotated;  // glob
  // The files before `file` to verify first, oldest first (given on the command line); when
  // empty, those `rotated` matches.
  std::vector<std::filesystem::path> earlier;
  std::filesystem::path key;
  std::optional<std::chrono::seconds> max_silence;
  bool expect_start = false;
};

// Reads a streams file; errors (ErrorKind::config) name the file, the line and the fix.
Result<std::vector<StreamConfig>> read_streams(const std::filesystem::path& path);

// The default glob of rotated files: FILE-* (logrotate's dateext, as scripts/vault sets it).
std::string default_rotated(const std::filesystem::path& file);

// The files matching a glob, sorted by name (dateext names sort oldest first).
std::vector<std::filesystem::path> rotated_files(const std::string& glob);

}  // namespace logship::watch
