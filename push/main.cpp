// logship-push: ships a FIFO (or stdin) to the vault in acknowledged, sealed batches.
#include <cstring>

#include "cli/cli.hpp"
#include "push/agent.hpp"
#include "push/config.hpp"

namespace {

using namespace logship;

const cli::ProgramInfo kInfo{
    "logship-push",
    "logship-push [options]\n       logship-push init --state-dir DIR --key-out FILE [--source "
    "NAME]",
    "Reads lines from a FIFO that syslog or auditd writes (or from stdin), keeps them in a\n"
    "durable spool, and ships them to the vault over SSH in sealed batches appended with the\n"
    "vault's forced command=\"cat >> FILE\". A batch is forgotten only after the vault's cat\n"
    "exited 0. The FIFO is drained whatever the network does: when the spool is full the\n"
    "oldest unsent lines are dropped, and the count is written into the stream.\n"
    "Run `logship-push init` once first; it writes the verification key to move off the host.",
    "Signals: SIGTERM/SIGINT stop reading, deliver for --shutdown-grace, keep the rest spooled,\n"
    "exit 0. SIGHUP is ignored. A second instance on the same --state-dir exits 0 at once.\n\n"
    "Exit codes: 0 stopped normally or already running; 1 runtime failure; 2 bad option or\n"
    "config (the message names it).\n\n"
    "Example:\n"
    "  logship-push init --state-dir ~/.local/state/logship/push --key-out ~/web1.key\n"
    "  logship-push --input /run/logship/auth.fifo --stream auth --host vault.example.net \\\n"
    "      --user logvault --identity ~/.ssh/logship_push --known-hosts "
    "~/.ssh/logship_known_hosts\n"};

const cli::ProgramInfo kInitInfo{
    "logship-push init", "logship-push init --state-dir DIR --key-out FILE [--source NAME]",
    "Creates the state directory (mode 0700), the spool and the sealing key K0, and writes\n"
    "the verification key to FILE (mode 0600, never over an existing file). Move FILE off the\n"
    "host: logship-verify --key needs it; the agent keeps only later keys.",
    "Exit codes: 0 done; 2 the directory is already initialised, or a bad option.\n"};

int init_main(int argc, const char* const* argv) {
  cli::OptionSet set;
  set.options.add_options()("state-dir", cli::po::value<std::string>()->value_name("DIR"),
                            "state directory (default: $XDG_STATE_HOME/logship/push)")(
      "key-out", cli::po::value<std::string>()->value_name("FILE"),
      "where to write the verification key")(
      "source", cli::po::value<std::string>()->value_name("NAME"),
      "source name for the key file's comment (default: host name)");
  auto vm = cli::parse(argc, argv, kInitInfo, set);
  if (!vm) return cli::kExitOk;
  cli::setup_logging("logship-push", (*vm)["log-level"].as<std::string>());
  if (!vm->count("key-out"))
    throw cli::UsageError("missing --key-out FILE for the verification key");
  const std::string dir = vm->count("state-dir") ? (*vm)["state-dir"].as<std::string>()
                                                 : push::default_state_dir().string();
  const std::string source =
      vm->count("source") ? (*vm)["source"].as<std::string>() : cli::host_name();
  return push::init_state(dir, (*vm)["key-out"].as<std::string>(), source);
}

int run_main(int argc, const char* const* argv) {
  cli::OptionSet set;
  push::add_run_options(set);
  auto vm = cli::parse(argc, argv, kInfo, set);
  if (!vm) return cli::kExitOk;
  cli::setup_logging("logship-push", (*vm)["log-level"].as<std::string>());
  return push::run_agent(push::run_config(*vm));
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run(kInfo, [&] {
    if (argc > 1 && std::strcmp(argv[1], "init") == 0) return init_main(argc - 1, argv + 1);
    return run_main(argc, argv);
  });
}
