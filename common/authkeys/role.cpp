#include "authkeys/role.hpp"

#include "authkeys/command.hpp"
#include "authkeys/quoting.hpp"

namespace logship::authkeys {

std::optional<Role> parse_role(std::string_view name) {
  if (name == "push") return Role::push;
  if (name == "pull") return Role::pull;
  if (name == "tail") return Role::tail;
  return std::nullopt;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::push:
      return "push";
    case Role::pull:
      return "pull";
    case Role::tail:
      return "tail";
  }
  return "?";
}

std::string forced_command(Role role, std::string_view path) {
  switch (role) {
    case Role::push:
      // Serialised: an interrupted attempt's `cat`, still draining its pipe, can never write
      // into the middle of the resend (DESIGN.md, "Acknowledged batches"). `exec`: the shell
      // becomes flock instead of forking it, a process less for every batch.
      return "exec flock -w " + std::to_string(kFlockWaitSeconds) + " " + shell_quote(path) +
             " cat >> " + shell_quote(path);
    case Role::pull:
      return std::string(kSftpServer) + " -R";
    case Role::tail:
      return std::string(kTailCommand) + " " + shell_quote(path);
  }
  return {};
}

std::string authorized_keys_line(const EntrySpec& spec) {
  std::string line = "restrict";
  if (!spec.from.empty()) {
    line += ",from=\"";
    for (std::size_t i = 0; i < spec.from.size(); ++i) {
      if (i > 0) line += ',';
      line += sshd_quote(spec.from[i]);
    }
    line += '"';
  }
  line += ",command=\"" + sshd_quote(forced_command(spec.role, spec.path)) + "\" ";
  line += spec.key_type + " " + spec.key_base64;
  if (!spec.comment.empty()) line += " " + spec.comment;
  return line;
}

std::string default_comment(Role role, std::string_view source, std::string_view extra) {
  std::string c = "logship " + std::string(to_string(role)) + " " + std::string(source);
  if (!extra.empty()) c += " " + std::string(extra);
  return c;
}

std::optional<std::string> comment_problem(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n' || c == '\r')
      return "the comment contains a line break, which would start a new authorized_keys entry";
    if (c < 0x20 || c == 0x7f)
      return "the comment contains a control character, which hides text from a reviewer on a "
             "terminal";
  }
  return std::nullopt;
}

}  // namespace logship::authkeys
