// TCP connection set-up with a deadline: name resolution and connect(2) both bounded in time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/result.hpp"

namespace logship::ssh {

// Resolves `host` and connects to the first address that accepts, before `deadline` on `clock`.
// The socket is returned in blocking mode with TCP_NODELAY set.
// Errors: network (DNS failure, refused, unreachable; names host:port), timeout (also when
// `interrupted`, asked every kInterruptCheck, returns true).
Result<UniqueFd> tcp_connect(const std::string& host, std::uint16_t port, const Clock& clock,
                             SteadyTime deadline, const std::function<bool()>& interrupted = {});

}  // namespace logship::ssh
