// Strict host-key checking against one OpenSSH known_hosts file, with opt-in trust on first use.
#pragma once

#include <string>

#include "ssh/options.hpp"
#include "util/result.hpp"

struct ssh_session_struct;  // libssh

namespace logship::ssh {

// The key a server offered, as OpenSSH prints it.
struct OfferedKey {
  std::string type;         // e.g. "ssh-ed25519"
  std::string fingerprint;  // e.g. "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
};

// Checks the server key of a connected (not yet authenticated) session against
// options.known_hosts_file (hashed entries and "[host]:port" entries included).
// Unknown key: appended when options.accept_new_host_key, else ErrorKind::host_key_unknown.
// Different key: ErrorKind::host_key_changed. Each error is one line naming host:port, the
// offered fingerprint and the fix.
Result<void> verify_host_key(ssh_session_struct* session, const SessionOptions& options);

// The one-line messages (exposed for tests).
std::string unknown_host_key_message(const SessionOptions& options, const OfferedKey& key);
std::string changed_host_key_message(const SessionOptions& options, const OfferedKey& key);

}  // namespace logship::ssh
