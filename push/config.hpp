// logship-push's configuration: its options (command line or --config INI) and their checks.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "cli/agent.hpp"
#include "ship/batch_policy.hpp"
#include "ssh/options.hpp"

namespace logship::push {

struct Config {
  std::string source;
  std::string stream;
  std::string input;  // FIFO path, or "-" for stdin
  mode_t fifo_mode = 0620;
  std::optional<std::string> fifo_group;
  std::size_t max_line = 64 * 1024;  // bytes; longer lines are split and marked
  ssh::SessionOptions ssh;
  std::string remote_command;
  std::filesystem::path state_dir;
  std::uint64_t spool_max = 256ull << 20;
  std::chrono::milliseconds fsync_interval{1000};
  bool state_sync_before_send = false;  // --state-sync send
  ship::BatchPolicy policy;
  std::chrono::milliseconds retry_max{30'000};
  cli::StatusOptions status;
  std::chrono::milliseconds shutdown_grace{5000};
};

// Options of the agent itself (logship-push [options]).
void add_run_options(cli::OptionSet& set);
// Reads and checks them; throws cli::UsageError naming the option and the fix.
Config run_config(const cli::po::variables_map& vm);

// Files inside a state directory.
inline std::filesystem::path state_file(const std::filesystem::path& dir) {
  return dir / "push.state";
}
inline std::filesystem::path spool_dir(const std::filesystem::path& dir) {
  return dir / "spool";
}

}  // namespace logship::push
