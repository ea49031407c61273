// logship-keys: mints locked-down logging keys, and lints authorized_keys files. All logic
// lives in common/authkeys; this file only wires options to it.
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "keys/new_command.hpp"

namespace {

using namespace logship;
namespace po = cli::po;

const cli::ProgramInfo kInfo{
    "logship-keys",
    "logship-keys new --role push|pull|tail [--path PATH] --from CIDR[,CIDR] --out KEYFILE\n"
    "                 [--source NAME] [--comment TEXT] [--force]",
    "new: mints a dedicated ed25519 key pair for one logging role, writes KEYFILE (private,\n"
    "0600, never over an existing file without --force) and KEYFILE.pub, and prints on stdout\n"
    "the authorized_keys line that confines the key to that role on the SSH server:\n"
    "  push  restrict,from=\"...\",command=\"cat >> 'PATH'\"                  (on the vault)\n"
    "  pull  restrict,from=\"...\",command=\"/usr/lib/openssh/sftp-server -R\"  (on the host)\n"
    "  tail  restrict,from=\"...\",command=\"tail -F 'PATH'\"                  (on the host)\n"
    "The key has no passphrase (the agents run unattended); OpenSSH and libssh both load it.\n"
    "The server account's shell must be a POSIX sh (sh, dash, bash): PATH is single-quoted.",
    "Exit codes: 0 done; 1 runtime failure; 2 bad option or refused input (the message names\n"
    "it and the fix).\n\n"
    "Examples:\n"
    "  logship-keys new --role push --path /srv/vault/web1/auth.log --from 192.0.2.10 \\\n"
    "      --source web1 --out ~/.ssh/logship_push >> vault-authorized_keys.new\n"
    "  logship-keys new --role pull --from 192.0.2.50 --source web1 --out ~/.ssh/logship_pull\n"
    "See docs/KEYS.md.\n"};

}  // namespace

int main(int argc, char** argv) {
  return cli::run(kInfo, [&] {
    cli::OptionSet set;
    set.options.add(keys::new_options());
    set.hidden.add_options()("subcommand", po::value<std::string>(), "new")(
        "operand", po::value<std::vector<std::string>>(), "operands");
    set.positional.add("subcommand", 1).add("operand", -1);
    auto vm = cli::parse(argc, argv, kInfo, set);
    if (!vm) return static_cast<int>(cli::kExitOk);
    cli::setup_logging(kInfo.name, (*vm)["log-level"].as<std::string>());
    const auto sub = cli::optional_string(*vm, "subcommand").value_or("");
    if (sub.empty()) throw cli::UsageError("missing subcommand: new (see logship-keys --help)");
    if (vm->count("operand"))
      throw cli::UsageError("unexpected argument '" +
                            (*vm)["operand"].as<std::vector<std::string>>().front() + "'");
    if (sub == "new") return keys::run_new(*vm);
    throw cli::UsageError("unknown subcommand '" + sub + "'; use new (see logship-keys --help)");
  });
}
