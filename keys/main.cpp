// logship-keys: mints locked-down logging keys, and lints authorized_keys files. All logic
// lives in common/authkeys; this file only wires options to it.
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "keys/lint_command.hpp"
#include "keys/new_command.hpp"

namespace {

using namespace logship;
namespace po = cli::po;

const cli::ProgramInfo kInfo{
    "logship-keys",
    "logship-keys new --role push|pull|tail [--path PATH] --from CIDR[,CIDR] --out KEYFILE\n"
    "                 [--source NAME] [--comment TEXT] [--force]\n"
    "       logship-keys lint [--json] [--allow-missing-from] FILE...",
    "new: mints a dedicated ed25519 key pair for one logging role, writes KEYFILE (private,\n"
    "0600, never over an existing file without --force) and KEYFILE.pub, and prints on stdout\n"
    "the authorized_keys line that confines the key to that role on the SSH server:\n"
    "  push  restrict,from=\"...\",command=\"exec flock -w 20 'PATH' cat >> 'PATH'\" (on the "
    "vault)\n"
    "  pull  restrict,from=\"...\",command=\"/usr/lib/openssh/sftp-server -R\"  (on the host)\n"
    "  tail  restrict,from=\"...\",command=\"tail -F 'PATH'\"                  (on the host)\n"
    "The key has no passphrase (the agents run unattended); OpenSSH and libssh both load it.\n"
    "The server account's shell must be a POSIX sh (sh, dash, bash): PATH is single-quoted.\n\n"
    "lint: reads authorized_keys FILEs (\"-\": stdin) as sshd reads them and reports, per\n"
    "entry, everything it grants beyond logging: no restrict (or a pty, port, agent or X11\n"
    "forwarding left on), no command= or a command other than the three above (or\n"
    "internal-sftp -R), no from= or a from= that matches too much (*, wide networks, host\n"
    "names), cert-authority, environment=, tunnel=, DSA and short RSA keys, a key listed\n"
    "twice, and entries sshd refuses. Output: FILE:LINE: CODE: what it grants [key]; fix: ...",
    "Exit codes: new: 0 done, 1 runtime failure, 2 bad option or refused input (the message\n"
    "names it and the fix). lint: 0 no findings, 1 findings, 2 unreadable file or bad option.\n\n"
    "Examples:\n"
    "  logship-keys new --role push --path /srv/vault/web1/auth.log --from 192.0.2.10 \\\n"
    "      --source web1 --out ~/.ssh/logship_push >> vault-authorized_keys.new\n"
    "  logship-keys new --role pull --from 192.0.2.50 --source web1 --out ~/.ssh/logship_pull\n"
    "  logship-keys lint ~logvault/.ssh/authorized_keys\n"
    "See KEYS.md.\n"};

// An option of the other subcommand is a mistake, not something to ignore silently.
void reject(const po::variables_map& vm, const po::options_description& other, const char* sub) {
  for (const auto& opt : other.options()) {
    const auto& name = opt->long_name();
    if (!vm.count(name) || vm[name].defaulted()) continue;
    if (const auto* flag = boost::any_cast<bool>(&vm[name].value()); flag && !*flag) continue;
    throw cli::UsageError("--" + name + " is an option of `logship-keys " + sub + "`");
  }
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run(kInfo, [&] {
    cli::OptionSet set{""};  // the options come in two groups, captioned by subcommand
    set.options.add(keys::new_options()).add(keys::lint_options());
    set.hidden.add_options()("subcommand", po::value<std::string>(), "new")(
        "operand", po::value<std::vector<std::string>>(), "operands");
    set.positional.add("subcommand", 1).add("operand", -1);
    auto vm = cli::parse(argc, argv, kInfo, set);
    if (!vm) return static_cast<int>(cli::kExitOk);
    cli::setup_logging(kInfo.name, (*vm)["log-level"].as<std::string>());
    const auto sub = cli::optional_string(*vm, "subcommand").value_or("");
    if (sub.empty())
      throw cli::UsageError("missing subcommand: new or lint (see logship-keys --help)");
    const auto operands = vm->count("operand") ? (*vm)["operand"].as<std::vector<std::string>>()
                                               : std::vector<std::string>{};
    if (sub == "new") {
      if (!operands.empty())
        throw cli::UsageError("unexpected argument '" + operands.front() + "' after new");
      reject(*vm, keys::lint_options(), "lint");
      return keys::run_new(*vm);
    }
    if (sub == "lint") {
      reject(*vm, keys::new_options(), "new");
      return keys::run_lint(*vm, operands);
    }
    throw cli::UsageError("unknown subcommand '" + sub +
                          "'; use new or lint (see logship-keys --help)");
  });
}
