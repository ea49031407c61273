// SessionOptions: where the vault is, who we are there, and how long we wait for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "util/clock.hpp"
#include "util/result.hpp"

namespace logship::ssh {

struct SessionOptions {
  std::string host;                        // name or address of the vault
  std::uint16_t port = 22;                 // TCP port of its sshd
  std::string user;                        // login name there; empty: the local user's name
  std::filesystem::path identity_file;     // private key; the only credential ever offered
  std::filesystem::path known_hosts_file;  // OpenSSH known_hosts (hashed entries allowed)
  bool accept_new_host_key = false;        // explicit trust on first use: append unknown keys
  std::chrono::milliseconds connect_timeout{10'000};  // ms; TCP + handshake + authentication
  std::chrono::milliseconds op_timeout{30'000};       // ms; liveness: the peer must answer within
  std::string ciphers;                  // e.g. "aes128-gcm@openssh.com"; empty: default_ciphers()
  std::uint64_t rekey_after_bytes = 0;  // bytes; renegotiate keys this often; 0: default
  // Asked about every kInterruptCheck (50 ms) during every wait, connecting and SFTP replies
  // included; once true it ends the wait at once (ErrorKind::timeout, "interrupted"): an
  // agent told to stop does not sit out a connect or liveness timeout first. Empty: never.
  // Session::set_interrupt replaces it on a live session.
  std::function<bool()> interrupted;
  // The time every deadline of the session is measured on (it must outlive the session). The
  // waits themselves are poll(2) on the socket, so a clock other than the system's only makes
  // sense in a test that injects a fault at a precise time.
  const Clock* clock = &system_clock();

  // "host:port", as every message names the vault.
  std::string endpoint() const { return host + ":" + std::to_string(port); }
};

// The cipher order offered when none is configured. Where the CPU has AES and carry-less
// multiply instructions (`hardware_aes`): libssh's default ciphers with AES-GCM first, cheaper
// there than ChaCha20-Poly1305, above all for the vault's sshd (docs/SSH.md, Ciphers); both
// are AEAD ciphers OpenSSH offers by default. Elsewhere empty: libssh's own order, ChaCha20
// first, the faster one without AES instructions.
std::string default_ciphers(bool hardware_aes);
// Whether this CPU has those instructions (x86-64: AES-NI and PCLMULQDQ; false elsewhere).
bool has_hardware_aes();

// Checks the options without touching the network: ErrorKind::config with the fix.
Result<void> validate(const SessionOptions& options);

}  // namespace logship::ssh
