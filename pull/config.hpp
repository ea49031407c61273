// logship-pull's configuration: its options (command line or --config INI) and their checks.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "authkeys/quoting.hpp"
#include "cli/agent.hpp"
#include "follow/output.hpp"
#include "follow/puller.hpp"

namespace logship::pull {

// One --follow REMOTE=LOCAL.
struct FollowSpec {
  std::string remote;           // absolute path on the monitored host
  std::filesystem::path local;  // the local copy
};

struct Config {
  std::string source;  // src= of the batches: the monitored host
  std::vector<FollowSpec> follow;
  bool tail_mode = false;
  follow::Format format = follow::Format::framed;
  std::string tail_command;  // with "{}" for the remote path (shell-quoted)
  std::vector<std::string> rotated_patterns;
  std::size_t max_line = 64 * 1024;
  std::size_t batch_max = 1u << 20;
  follow::PullerOptions puller;
  std::filesystem::path state_dir;
  cli::StatusOptions status;
};

void add_run_options(cli::OptionSet& set);
// Reads and checks them; throws cli::UsageError naming the option and the fix.
Config run_config(const cli::po::variables_map& vm);

// Files inside a state directory.
inline std::filesystem::path key_state_file(const std::filesystem::path& dir) {
  return dir / "genesis.seal";  // K0 for streams that start later (SealState record, seq 0)
}
// The checkpoint of one followed file: named after the local copy, plus a hash of the pair.
std::filesystem::path checkpoint_file(const std::filesystem::path& dir, const FollowSpec& f);

// `path` quoted for a POSIX shell (the remote command line): as in a forced command.
using authkeys::shell_quote;

}  // namespace logship::pull
