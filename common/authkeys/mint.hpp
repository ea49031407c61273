// Minting a dedicated ed25519 key pair with libssh, in the formats OpenSSH reads.
#pragma once

#include <string>

#include "util/result.hpp"

namespace logship::authkeys {

struct KeyPair {
  std::string private_text;  // "-----BEGIN OPENSSH PRIVATE KEY-----...", unencrypted
  std::string type;          // "ssh-ed25519"
  std::string public_base64;
  std::string fingerprint;  // "SHA256:...", as ssh-keygen -l prints it
};

// A fresh ed25519 pair (no passphrase: the agents run unattended). The private text is
// imported back before it is returned, so libssh is known to load what gets written.
Result<KeyPair> mint_ed25519();

}  // namespace logship::authkeys
