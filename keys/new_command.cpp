#include "keys/new_command.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

#include "authkeys/from_list.hpp"
#include "authkeys/key_files.hpp"
#include "authkeys/mint.hpp"
#include "authkeys/quoting.hpp"
#include "authkeys/role.hpp"

namespace logship::keys {

namespace po = cli::po;
using namespace authkeys;

po::options_description new_options() {
  po::options_description o("Options of `new`");
  o.add_options()(
      "role", po::value<std::string>()->value_name("ROLE"),
      "what the key may do: push (append to --path: exec flock -w 20 'PATH' cat >> 'PATH'), "
      "pull (read-only SFTP: /usr/lib/openssh/sftp-server -R) or tail (follow --path: "
      "tail -F 'PATH')")(
      "path", po::value<std::string>()->value_name("PATH"),
      "push, tail: the absolute path of the file on the SSH server (printable ASCII; no '.' or "
      "'..' component); it is single-quoted for the shell. Not for pull")(
      "from", po::value<std::string>()->value_name("CIDR[,CIDR]"),
      "the client addresses allowed to use the key, for from=: IPv4/IPv6 addresses or CIDR "
      "networks (no host names, no wildcards). Required unless --any-source")(
      "any-source", po::bool_switch(),
      "leave from= out: the key works from any address (lint still reports it)")(
      "out", po::value<std::string>()->value_name("KEYFILE"),
      "where to write the private key (0600); the public key goes to KEYFILE.pub (0644). The "
      "directory must not be writable by group or others")(
      "force", po::bool_switch(), "replace an existing KEYFILE and KEYFILE.pub")(
      "source", po::value<std::string>()->value_name("NAME"),
      "the monitored host the key is for, named in the comment (default: this host's name)")(
      "comment", po::value<std::string>()->value_name("TEXT"),
      "more text for the key's comment, after \"logship ROLE SOURCE\"");
  return o;
}

int run_new(const po::variables_map& vm) {
  const auto role_name =
      cli::required_string(vm, "role", "give --role push, --role pull or --role tail");
  const auto role = parse_role(role_name);
  if (!role) throw cli::UsageError("unknown --role '" + role_name + "'; use push, pull or tail");

  std::string path;
  if (*role == Role::pull) {
    if (vm.count("path"))
      throw cli::UsageError(
          "--path does not apply to --role pull: sftp-server -R serves every file the vault "
          "account can read; drop --path, or use --role tail to confine a key to one file");
  } else {
    path = cli::required_string(vm, "path", "give the absolute path of the file the key may use");
    if (auto why = vault_path_problem(path)) throw cli::UsageError("--path: " + *why);
  }

  std::vector<std::string> from;
  const bool any_source = vm["any-source"].as<bool>();
  if (vm.count("from")) {
    if (any_source) throw cli::UsageError("--from and --any-source contradict; give one");
    auto parsed = parse_from_list(vm["from"].as<std::string>());
    if (!parsed) throw cli::UsageError(parsed.error().message);
    from = std::move(*parsed);
  } else if (!any_source) {
    throw cli::UsageError(
        "missing --from CIDR[,CIDR]: the addresses the key may be used from; give the "
        "source's address (or --any-source to allow every address, which lint reports)");
  }

  const std::string out =
      cli::required_string(vm, "out", "give the file to write the private key to");
  const auto source = vm.count("source") ? vm["source"].as<std::string>() : cli::host_name();
  const auto extra = cli::optional_string(vm, "comment").value_or("");
  if (source.empty() || source.find_first_of(" \t") != std::string::npos)
    throw cli::UsageError("--source must be one word, the monitored host's name");
  const std::string comment = default_comment(*role, source, extra);
  if (auto why = comment_problem(comment)) throw cli::UsageError("--comment/--source: " + *why);

  const bool force = vm["force"].as<bool>();
  if (auto st = check_key_destination(out, force); !st) throw cli::UsageError(st.error().message);
  auto pair = mint_ed25519();
  if (!pair) throw std::runtime_error(pair.error().message);
  const std::string pub_line = pair->type + " " + pair->public_base64 + " " + comment + "\n";
  if (auto st = write_key_files(out, pair->private_text, pub_line, force); !st) {
    if (st.error().kind == ErrorKind::config) throw cli::UsageError(st.error().message);
    throw std::runtime_error(st.error().message);
  }

  EntrySpec spec{*role, path, from, pair->type, pair->public_base64, comment};
  std::cout << authorized_keys_line(spec) << "\n" << std::flush;
  spdlog::info(
      "wrote {} (private, 0600) and {} ({}); append the line printed on stdout to the "
      "server account's authorized_keys",
      out, public_key_path(out).string(), pair->fingerprint);
  if (from.empty())
    spdlog::warn("no from= restriction (--any-source): the key works from every address");
  return cli::kExitOk;
}

}  // namespace logship::keys
