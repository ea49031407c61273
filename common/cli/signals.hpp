// Signals of a long-running agent: SIGTERM/SIGINT stop it, SIGHUP is logged and ignored,
// SIGPIPE is ignored. Read through a signalfd in the agent's poll loop.
#pragma once

#include "util/files.hpp"

namespace logship::cli {

// Blocks SIGTERM, SIGINT and SIGHUP for this thread and every thread started after it, ignores
// SIGPIPE, and returns a non-blocking signalfd that reads them. Call before starting threads.
UniqueFd block_agent_signals();

// Reads the pending signals from `sigfd`; sets `stop` once SIGTERM or SIGINT arrived (logged
// once), logs SIGHUP. Returns `stop`.
bool read_agent_signals(int sigfd, bool& stop);

}  // namespace logship::cli
