// logship-pull's wiring: state directory and lock, the followers and their outputs, the
// Puller's loop, signals, and the status files.
#pragma once

#include "pull/config.hpp"

namespace logship::pull {

// Runs until SIGTERM/SIGINT; returns the process exit code.
int run_agent(const Config& config);

// `logship-pull init`: creates the state directory and the sealing key K0, and writes the
// verification key to `key_out`. Returns the exit code.
int init_state(const std::filesystem::path& state_dir, const std::filesystem::path& key_out,
               const std::string& source);

}  // namespace logship::pull
