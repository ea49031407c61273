// The three things a logging key may do on the vault (or on a monitored host), and the
// authorized_keys line that confines a key to one of them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logship::authkeys {

enum class Role {
  push,  // logship-push appends to one vault file: cat >> 'PATH'
  pull,  // logship-pull reads over SFTP, read-only: /usr/lib/openssh/sftp-server -R
  tail,  // logship-pull --mode tail follows one file: tail -F 'PATH'
};

std::optional<Role> parse_role(std::string_view name);  // "push", "pull", "tail"
std::string_view to_string(Role role);

// The read-only SFTP server every pull entry runs (Debian's path).
inline constexpr std::string_view kSftpServer = "/usr/lib/openssh/sftp-server";
// The command a tail entry runs, before the shell-quoted path (logship-pull --mode tail sends
// the same by default).
inline constexpr std::string_view kTailCommand = "tail -F";

// The forced command for `role`, with `path` (checked by vault_path_problem; unused for
// pull) single-quoted for sh: cat >> '/srv/vault/web1.log'.
std::string forced_command(Role role, std::string_view path);

// Everything an authorized_keys entry for a logging key is made of.
struct EntrySpec {
  Role role = Role::push;
  std::string path;               // the file (push, tail); empty for pull
  std::vector<std::string> from;  // addresses/CIDRs for from=; empty: no from= (any source)
  std::string key_type;           // "ssh-ed25519"
  std::string key_base64;         // the public key blob
  std::string comment;            // checked by comment_problem
};

// restrict,from="A,B",command="FORCED" TYPE BASE64 COMMENT
std::string authorized_keys_line(const EntrySpec& spec);

// The default comment: "logship ROLE SOURCE", then `extra` if not empty.
std::string default_comment(Role role, std::string_view source, std::string_view extra);

// Why `text` cannot be a key comment (a line break would start a new entry; other control
// characters hide text from a reviewer), or nullopt.
std::optional<std::string> comment_problem(std::string_view text);

}  // namespace logship::authkeys
