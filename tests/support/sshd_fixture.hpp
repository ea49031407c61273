// SshdFixture: a private OpenSSH sshd on 127.0.0.1 for integration tests, in its own temporary
// directory, on a port the kernel picked, with fault controls. It runs as the current user
// (root or not) and accepts key logins for that user only. Throws std::runtime_error when it
// cannot be set up. Tears down only what it started.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/process_tree.hpp"

namespace logship::test {

// A client key pair made with ssh-keygen (private file mode 0600).
struct ClientKey {
  std::filesystem::path private_key;
  std::string public_line;  // "ssh-ed25519 AAAA... comment"
};

// The authorized_keys options of a real vault, per role (FILE is a path on the vault).
// restrict,command="exec flock -w W F cat >> F", as logship-keys mints it but for the wait W (1 s:
// below the tests' --timeout 3)
std::string push_key_options(const std::filesystem::path& file, int lock_wait_seconds = 1);
std::string pull_key_options();  // restrict,command="/usr/lib/openssh/sftp-server -R"
std::string tail_key_options(const std::filesystem::path& file);  // restrict,command="tail -F F"

class SshdFixture {
 public:
  static constexpr std::chrono::seconds kStartTimeout{10};  // until sshd listens

  SshdFixture();  // temp dir, host key, a default client key, sshd_config; not started
  ~SshdFixture();
  SshdFixture(const SshdFixture&) = delete;
  SshdFixture& operator=(const SshdFixture&) = delete;

  void start();    // on a kernel-chosen free port (retried on collision), or the previous port
  void stop();     // stops the listener only; live connections go on, as with a real sshd
  void restart();  // stop, then start on the same port
  bool running() const { return pid_ > 0; }

  const std::string& user() const { return user_; }
  std::uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path known_hosts() const { return dir_ / "known_hosts"; }
  std::filesystem::path authorized_keys() const { return dir_ / "authorized_keys"; }
  std::filesystem::path host_key() const { return dir_ / "host_ed25519"; }
  std::filesystem::path log_file() const { return dir_ / "sshd.log"; }
  std::string log() const;  // the server's log so far (LogLevel VERBOSE)

  const ClientKey& client_key() const { return client_key_; }  // "client", not yet authorized
  ClientKey make_client_key(const std::string& name);          // another pair in dir()
  // Appends "OPTIONS KEY" to authorized_keys (options may be empty).
  void add_authorized_key(const std::string& options, const ClientKey& key);

  // Writes known_hosts with the current host key for "[127.0.0.1]:PORT"; hashed: ssh-keygen -H.
  void write_known_hosts(bool hashed = false);
  std::string host_key_fingerprint() const;  // "SHA256:...", as ssh-keygen -lf prints it
  void replace_host_key();                   // new host key, server restarted on the same port

  // Fault controls on the per-connection processes (the listener's descendants).
  void cut_connections();     // SIGKILL them: clients see the connection drop
  void freeze_connections();  // SIGSTOP them: sockets stay open, nobody answers
  void thaw_connections();    // SIGCONT them
  // Processes started for this server: the listener's descendants (orphans are adopted by
  // it: it is a child subreaper) and connections that outlived a stop().
  std::vector<ProcessInfo> processes() const;

 private:
  void write_config() const;
  bool try_start(std::uint16_t port);  // false on a bind collision
  std::vector<ProcessInfo> connection_processes() const;
  void await_state(const std::vector<ProcessInfo>& targets, bool stopped) const;

  std::string user_;
  std::filesystem::path dir_;
  ClientKey client_key_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::vector<pid_t> orphan_roots_;  // connections that outlived a stopped listener
  std::vector<pid_t> frozen_;        // stopped by freeze_connections(), until thawed
  std::size_t log_offset_ = 0;       // where the current listener's log starts
};

}  // namespace logship::test
