#include "ssh/host_key.hpp"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "ssh/private_key.hpp"
#include "util/files.hpp"

namespace logship::ssh {

namespace {

// The name known_hosts uses for the vault: "host" on port 22, "[host]:port" otherwise.
std::string known_hosts_name(const SessionOptions& o) {
  return o.port == 22 ? o.host : "[" + o.host + "]:" + std::to_string(o.port);
}

// "ssh-keyscan -p 2222 host" or "ssh-keyscan host".
std::string keyscan_command(const SessionOptions& o) {
  return "ssh-keyscan " + (o.port == 22 ? std::string() : "-p " + std::to_string(o.port) + " ") +
         o.host;
}

// Where the vault keeps the public half of a key of this type.
std::string vault_host_key_path(const std::string& type) {
  std::string name = "ed25519";
  if (type.find("rsa") != std::string::npos) name = "rsa";
  if (type.find("ecdsa") != std::string::npos) name = "ecdsa";
  return "/etc/ssh/ssh_host_" + name + "_key.pub";
}

Result<OfferedKey> offered_key(ssh_session session) {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(session, &raw) != SSH_OK || raw == nullptr) {
    return make_error(ErrorKind::protocol,
                      std::string("server sent no usable host key: ") + ssh_get_error(session));
  }
  KeyPtr key(raw);
  unsigned char* hash = nullptr;
  size_t hash_len = 0;
  if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len) != 0) {
    return make_error(ErrorKind::protocol, "cannot hash the server's host key");
  }
  char* fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len);
  ssh_clean_pubkey_hash(&hash);
  if (fp == nullptr) return make_error(ErrorKind::protocol, "cannot format the host key hash");
  OfferedKey out{ssh_key_type_to_char(ssh_key_type(key.get())), fp};
  ssh_string_free_char(fp);
  return out;
}

// Appends the session's host key to the known_hosts file (created 0644 if missing).
Result<void> append_known_host(ssh_session session, const SessionOptions& o) {
  char* entry = nullptr;
  if (ssh_session_export_known_hosts_entry(session, &entry) != SSH_OK || entry == nullptr) {
    return make_error(ErrorKind::protocol,
                      std::string("cannot format known_hosts entry: ") + ssh_get_error(session));
  }
  std::string line(entry);
  ssh_string_free_char(entry);
  if (line.empty() || line.back() != '\n') line += '\n';
  const auto& path = o.known_hosts_file;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return make_error(ErrorKind::io, errno_message("open", path));
  if (auto st = write_all(fd.get(), line, path); !st) return st;
  if (::fsync(fd.get()) != 0) return make_error(ErrorKind::io, errno_message("fsync", path));
  return {};
}

}  // namespace

std::string unknown_host_key_message(const SessionOptions& o, const OfferedKey& key) {
  return "host key of " + o.endpoint() + " is not known (" + key.type + " " + key.fingerprint +
         " is not in " + o.known_hosts_file.string() + "); compare it with `ssh-keygen -lf " +
         vault_host_key_path(key.type) + "` run on the vault, then add it with `" +
         keyscan_command(o) + " >> " + o.known_hosts_file.string() +
         "` or connect once with --accept-new-host-key";
}

std::string changed_host_key_message(const SessionOptions& o, const OfferedKey& key) {
  return "HOST KEY CHANGED for " + o.endpoint() + ": it offered " + key.type + " " +
         key.fingerprint + ", which differs from the key in " + o.known_hosts_file.string() +
         "; the vault's key may have been replaced, or someone is intercepting the connection; "
         "check the fingerprint with `ssh-keygen -lf " +
         vault_host_key_path(key.type) +
         "` on the vault, then remove the old entry with `ssh-keygen -R '" + known_hosts_name(o) +
         "' -f " + o.known_hosts_file.string() + "`";
}

Result<void> verify_host_key(ssh_session_struct* session, const SessionOptions& o) {
  auto key = offered_key(session);
  if (!key) return key.error();
  const ssh_known_hosts_e state = ssh_session_is_known_server(session);
  switch (state) {
    case SSH_KNOWN_HOSTS_OK:
      return {};
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:  // only keys of another type are known: treat as changed
      return make_error(ErrorKind::host_key_changed, changed_host_key_message(o, *key));
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
      if (o.accept_new_host_key) return append_known_host(session, o);
      return make_error(ErrorKind::host_key_unknown, unknown_host_key_message(o, *key));
    case SSH_KNOWN_HOSTS_ERROR:
      break;
  }
  return make_error(ErrorKind::config, "cannot check the host key of " + o.endpoint() +
                                           " against " + o.known_hosts_file.string() + ": " +
                                           ssh_get_error(session));
}

}  // namespace logship::ssh
