// Where a rotated copy of a followed file may be: logrotate's FILE.1 and FILE-YYYYMMDD by
// default, or patterns of the administrator's. Used after a copytruncate, and when the file was
// rotated while nobody watched, to read the rest of the old file. Pure.
#pragma once

#include <string>
#include <vector>

#include "util/clock.hpp"

namespace logship::follow {

// The default patterns: "{}.1" and "{}-%Y%m%d" (logrotate without and with dateext).
std::vector<std::string> default_rotated_patterns();

// The candidate paths for `path`: in each pattern "{}" stands for the path; strftime
// conversions (%Y, %m, %d, %H ...) are expanded for the day of `now` and the day before, in
// UTC and in local time (the host's zone may differ from ours). In pattern order, without
// duplicates or the path itself.
std::vector<std::string> rotated_names(const std::string& path,
                                       const std::vector<std::string>& patterns, WallTime now);

// Whether a pattern is usable: it holds "{}" exactly once.
bool valid_rotated_pattern(const std::string& pattern);

}  // namespace logship::follow
