// Recognising the forced commands that are safe for logging keys, as sh would run them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "authkeys/role.hpp"

namespace logship::authkeys {

// The lock wait of the push command logship mints: an earlier appender still running after
// this long makes the new attempt fail (exit 1, sent again later), never hang.
inline constexpr int kFlockWaitSeconds = 20;

struct CommandCheck {
  std::optional<Role> role;  // set when the command is one of the safe shapes
  std::string path;          // push, tail: the file, unquoted
  bool serialised = false;   // push: appenders to the file wait for each other (flock)
  std::string problem;       // otherwise: what the command allows beyond logging
};

// Checks a forced command (after sshd's dequoting). Safe are exactly:
//   flock -w SECONDS FILE cat >> FILE                (push, serialised: a new appender starts
//                                                     only once the previous one has exited;
//                                                     SECONDS 1..3600, FILE the same twice;
//                                                     flock may be /usr/bin/flock)
//   cat >> FILE                                      (push)
//   tail -F FILE                                     (tail)
//   /usr/lib/openssh/sftp-server -R [-e] [-l LEVEL] [-f FACILITY]   (pull; any absolute
//   path ending in /sftp-server), and internal-sftp -R with the same options
// where FILE is one sh word (plain, or single-quoted with '\'' for a quote) naming an absolute
// path that vault_path_problem accepts. Anything else (a second command, an expansion, a
// redirection that truncates, sftp-server without -R) is a problem naming what it allows.
CommandCheck check_forced_command(std::string_view command);

}  // namespace logship::authkeys
