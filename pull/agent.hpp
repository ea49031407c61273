// logship-pull's wiring: state directory and lock, the followers and their outputs, the
// Puller's loop, signals, and the status files.
#pragma once

#include "cli/agent.hpp"
#include "pull/config.hpp"

namespace logship::pull {

// Runs until SIGTERM/SIGINT; returns the process exit code.
int run_agent(const Config& config);

// `logship-pull init`, after K0 is made and its verification key file written: keeps what the
// agent needs of K0 in the new state directory `dir`. Throws to fail.
void keep_key(const std::filesystem::path& dir, const crypto::Digest& k0);

}  // namespace logship::pull
