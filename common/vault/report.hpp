// How verification results are shown: the --json summary, and messages made safe to print
// (a vault file is untrusted input; its bytes must not reach a terminal raw).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vault/findings.hpp"

namespace logship::vault {

// Bytes outside printable ASCII become \xNN, and a backslash becomes \\.
std::string printable(std::string_view bytes);

// The --json document: totals, per-stream summaries, findings and infos (as given; `omitted`
// says how many were not kept), and "ok".
std::string to_json(const Summary& summary, const std::vector<Finding>& findings,
                    const std::vector<Finding>& infos, std::uint64_t omitted);

}  // namespace logship::vault
