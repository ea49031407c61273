// The push agent's wiring: input::Intake → Spool on this thread (never waiting on the
// network), the Shipper stepped by its clock on a sender thread, in the agent loop of common/cli,
// and the status files.
#pragma once

#include "cli/agent.hpp"
#include "push/config.hpp"

namespace logship::push {

// Runs until SIGTERM/SIGINT (or end of stdin); returns the process exit code.
int run_agent(const Config& config);

// `logship-push init`, after K0 is made and its verification key file written: keeps what the
// agent needs of K0 in the new state directory `dir`. Throws to fail.
void keep_key(const std::filesystem::path& dir, const crypto::Digest& k0);

}  // namespace logship::push
