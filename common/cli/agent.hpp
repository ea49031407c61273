// The shell every logship agent shares: `logship-NAME [options]` and `logship-NAME init`, the
// state directory's default, its instance lock and its creation, logging, and the exit codes.
// An agent says only what differs: its options, its run, and what init keeps of the key.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "cli/cli.hpp"
#include "crypto/sha256.hpp"
#include "status/status.hpp"
#include "util/instance_lock.hpp"

namespace logship::cli {

// `logship-NAME init`: what it says, and what it makes besides the verification key file.
struct Init {
  std::string description;  // for its --help
  std::string source_help;  // what its --source names
  // A file that only an initialised state directory holds.
  std::function<std::filesystem::path(const std::filesystem::path& dir)> marker;
  std::string refusal;   // logged after the directory's name when the marker is there
  std::string subdir;    // created inside the new directory, or empty
  std::string key_of;    // the key file's comment: "logship verification key (K0) KEY_OF SOURCE,
  std::string key_note;  // made TIME.", then these lines
  std::string advice;    // printed after the lines naming the directory and the key file
  // Keeps what the agent needs of K0 in the new directory; throws to fail.
  std::function<void(const std::filesystem::path& dir, const crypto::Digest& k0)> keep;
};

struct Agent {
  std::string name;  // "push": logship-push, state in .../logship/push
  ProgramInfo info;  // logship-NAME [options]
  std::function<void(OptionSet&)> add_run_options;
  std::function<int(const po::variables_map&)> run;  // until stopped; returns the exit code
  Init init;
};

// An agent's main(): `init` when it is the first argument, else the agent; --help and
// --version, logging set up, and an escaping exception turned into one line and an exit code.
// init refuses an initialised state directory (kExitUsage), creates it (mode 0700), makes the
// sealing key K0, writes the verification key file, lets the agent keep K0, and wipes it.
int agent_main(int argc, const char* const* argv, const Agent& agent);

// --status-file, --prometheus-file and --status-interval: where and how often an agent reports.
struct StatusOptions {
  status::StatusFiles files;
  std::chrono::milliseconds interval{5000};
};
void add_status_options(OptionSet& set);
// Reads them; throws UsageError for an interval under a second.
StatusOptions status_options(const po::variables_map& vm);

// $XDG_STATE_HOME/logship/NAME, else ~/.local/state/logship/NAME, else ./logship-NAME-state.
std::filesystem::path default_state_dir(const std::string& name);

// The instance lock of a state directory (its file "lock"). nullopt when another instance
// holds it: logged, and the agent exits kExitOk. Throws UsageError when it cannot be taken.
std::optional<InstanceLock> lock_state_dir(const std::filesystem::path& dir);

}  // namespace logship::cli
