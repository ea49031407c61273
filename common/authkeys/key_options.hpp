// What the options of an authorized_keys entry allow, read as sshd's sshauthopt_parse reads
// them (auth-options.c, OpenSSH 9): comma-separated, names case-insensitive, values in double
// quotes (\" inside them is a quote), applied left to right (`restrict,pty` allows a pty).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace logship::authkeys {

struct KeyOptions {
  // Permissions, as sshd leaves them after all options (all on without `restrict`).
  bool pty = true;
  bool port_forwarding = true;
  bool agent_forwarding = true;
  bool x11_forwarding = true;
  bool user_rc = true;

  bool restrict = false;  // `restrict` was given (re-enabling flags may follow it)
  bool cert_authority = false;
  bool no_touch_required = false;
  bool verify_required = false;
  std::optional<std::string> command;     // dequoted
  std::optional<std::string> from;        // dequoted
  std::optional<std::string> principals;  // dequoted
  std::optional<std::string> tunnel;
  std::vector<std::string> expiry_times;
  std::vector<std::string> environment;  // NAME=value
  std::vector<std::string> permitopen;
  std::vector<std::string> permitlisten;
};

// Parses the option text of a line (AuthorizedLine::options). The error (kind data) is the
// reason sshd refuses the whole entry, e.g. `unknown key option "no-port-fowarding"`.
Result<KeyOptions> parse_key_options(std::string_view text);

// An expiry-time value as sshd reads it (YYYYMMDD[HHMM[SS]], UTC with a trailing Z, else
// local time) in seconds since the epoch; nullopt when sshd would refuse it.
std::optional<std::int64_t> expiry_time(std::string_view text);

}  // namespace logship::authkeys
