// InstanceLock: at most one agent per state directory (cron may start one every minute).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>

#include "util/files.hpp"
#include "util/result.hpp"

namespace logship {

class InstanceLock {
 public:
  // Takes an exclusive lock on `path` (created 0600) and writes our pid into it. Returns
  // nullopt when another live process holds it; `holder` then receives that process's pid.
  static Result<std::optional<InstanceLock>> acquire(const std::filesystem::path& path,
                                                     pid_t* holder = nullptr);

 private:
  explicit InstanceLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // the lock lives as long as this descriptor
};

}  // namespace logship
