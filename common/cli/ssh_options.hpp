// The options both agents take for their SSH peer (the vault for logship-push, the monitored
// host for logship-pull): declared and read in one place, with the words that name the peer.
#pragma once

#include "cli/cli.hpp"
#include "ssh/options.hpp"

namespace logship::cli {

struct SshPeer {
  const char* host_help;      // --host, e.g. "vault host"
  const char* port_help;      // --port, e.g. "vault sshd port"
  const char* user_help;      // --user, e.g. "account on the vault (default: ours)"
  const char* host_fix;       // a missing --host, e.g. "name the vault host"
  const char* host_key;       // e.g. "the vault's host key"
  const char* identity_help;  // --identity
  const char* identity_fix;   // a missing --identity
  const char* timeout_help;   // --timeout: what "does not answer" means for this peer
};

// --host --port --user --identity --known-hosts --accept-new-host-key --ciphers
// --connect-timeout --timeout
void add_ssh_options(OptionSet& set, const SshPeer& peer);
// Reads them back. UsageError (with the fix) for a missing host, identity or known_hosts file,
// a port out of range, or a timeout under 1 s.
ssh::SessionOptions ssh_options(const po::variables_map& vm, const SshPeer& peer);

}  // namespace logship::cli
