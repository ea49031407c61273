// The push agent's wiring: input → LineSplitter → Spool on this thread (never waiting on the
// network), Shipper on its own thread, signals, and the status files.
#pragma once

#include "push/config.hpp"

namespace logship::push {

// Runs until SIGTERM/SIGINT (or end of stdin); returns the process exit code.
int run_agent(const Config& config);

// `logship-push init`: creates the state directory, spool and sealing key K0, and writes the
// verification key to `key_out`. Returns the exit code.
int init_state(const std::filesystem::path& state_dir, const std::filesystem::path& key_out,
               const std::string& source);

}  // namespace logship::push
