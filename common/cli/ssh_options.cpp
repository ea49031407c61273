#include "cli/ssh_options.hpp"

namespace logship::cli {

void add_ssh_options(OptionSet& set, const SshPeer& peer) {
  const std::string host_key = peer.host_key;
  // clang-format off
  set.options.add_options()
    ("host", po::value<std::string>()->value_name("HOST"), peer.host_help)
    ("port", po::value<int>()->default_value(22)->value_name("PORT"), peer.port_help)
    ("user", po::value<std::string>()->value_name("USER"), peer.user_help)
    ("identity", po::value<std::string>()->value_name("FILE"), peer.identity_help)
    ("known-hosts", po::value<std::string>()->value_name("FILE"),
     ("OpenSSH known_hosts file holding " + host_key).c_str())
    ("accept-new-host-key", po::bool_switch(),
     ("trust and record " + host_key + " if known_hosts has none (first use only)").c_str())
    ("ciphers", po::value<std::string>()->value_name("LIST"),
     "SSH ciphers in order of preference, e.g. aes128-gcm@openssh.com,chacha20-poly1305@openssh.com"
     " (default: AES-GCM first on a CPU with AES instructions, else libssh's order)")
    ("connect-timeout", po::value<int>()->default_value(10)->value_name("SECONDS"),
     "the TCP connection must be made within this, and the SSH handshake and "
     "authentication must not stall for longer (a slow link that still moves data is waited "
     "for)")
    ("timeout", po::value<int>()->default_value(30)->value_name("SECONDS"), peer.timeout_help);
  // clang-format on
}

ssh::SessionOptions ssh_options(const po::variables_map& vm, const SshPeer& peer) {
  ssh::SessionOptions s;
  s.host = required_string(vm, "host", peer.host_fix);
  const int port = vm["port"].as<int>();
  if (port < 1 || port > 65535) throw UsageError("--port must be 1..65535");
  s.port = static_cast<std::uint16_t>(port);
  s.user = optional_string(vm, "user").value_or("");
  s.identity_file = required_string(vm, "identity", peer.identity_fix);
  s.known_hosts_file = required_string(
      vm, "known-hosts",
      ("give a known_hosts file holding " + std::string(peer.host_key) + " (ssh-keyscan)").c_str());
  s.accept_new_host_key = vm["accept-new-host-key"].as<bool>();
  s.ciphers = optional_string(vm, "ciphers").value_or("");
  s.connect_timeout = std::chrono::seconds(int_at_least(vm, "connect-timeout", 1));
  s.op_timeout = std::chrono::seconds(int_at_least(vm, "timeout", 1));
  return s;
}

}  // namespace logship::cli
