#include "ssh/private_key.hpp"

#include <libssh/libssh.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace logship::ssh {

void KeyDeleter::operator()(ssh_key_struct* key) const {
  ssh_key_free(key);
}

Result<KeyPtr> load_private_key(const std::filesystem::path& path) {
  const std::string p = path.string();
  if (p.empty()) {
    return make_error(ErrorKind::config, "no identity file given; pass --identity FILE");
  }
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    return make_error(ErrorKind::config, "identity file " + p + ": " + std::strerror(errno) +
                                             "; create it with logship-keys new or fix the path");
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorKind::config, "identity file " + p + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return make_error(ErrorKind::config, std::string("permissions ") + mode + " for " + p +
                                             " are too open: a private key must not be "
                                             "accessible by others; run chmod 600 " +
                                             p);
  }
  ssh_key key = nullptr;
  const int rc = ssh_pki_import_privkey_file(p.c_str(), nullptr, nullptr, nullptr, &key);
  if (rc != SSH_OK || key == nullptr) {
    return make_error(ErrorKind::config,
                      "cannot load private key " + p +
                          ": not a readable, unencrypted OpenSSH/PEM private key (keys with a "
                          "passphrase are not supported)");
  }
  return KeyPtr(key);
}

}  // namespace logship::ssh
