// Recognising the forced commands that are safe for logging keys, as sh would run them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "authkeys/role.hpp"

namespace logship::authkeys {

struct CommandCheck {
  std::optional<Role> role;  // set when the command is one of the safe shapes
  std::string path;          // push, tail: the file, unquoted
  std::string problem;       // otherwise: what the command allows beyond logging
};

// Checks a forced command (after sshd's dequoting). Safe are exactly:
//   cat >> FILE                                      (push)
//   tail -F FILE                                     (tail)
//   /usr/lib/openssh/sftp-server -R [-e] [-l LEVEL] [-f FACILITY]   (pull; any absolute
//   path ending in /sftp-server), and internal-sftp -R with the same options
// where FILE is one sh word (plain, or single-quoted with '\'' for a quote) naming an absolute
// path that vault_path_problem accepts. Anything else (a second command, an expansion, a
// redirection that truncates, sftp-server without -R) is a problem naming what it allows.
CommandCheck check_forced_command(std::string_view command);

}  // namespace logship::authkeys
