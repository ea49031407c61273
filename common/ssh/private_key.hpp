// The client's private key: checked like OpenSSH checks it, loaded once, offered alone.
#pragma once

#include <filesystem>
#include <memory>

#include "util/result.hpp"

struct ssh_key_struct;  // libssh

namespace logship::ssh {

// Owns a libssh key.
struct KeyDeleter {
  void operator()(ssh_key_struct* key) const;
};
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyDeleter>;

// Loads an unencrypted private key file. Refuses (ErrorKind::config, naming the fix) a missing
// or unreadable file, one that group or others may access (like OpenSSH: "permissions 0644
// for KEY are too open; run chmod 600 KEY"), and one libssh cannot parse or that needs a
// passphrase.
Result<KeyPtr> load_private_key(const std::filesystem::path& path);

}  // namespace logship::ssh
