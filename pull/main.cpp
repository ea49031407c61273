// logship-pull: follows files on a monitored host over SSH into local copies, like
// `tail -F --retry`, resumable and rotation-safe.
#include <cstring>

#include "cli/cli.hpp"
#include "pull/agent.hpp"
#include "pull/config.hpp"

namespace {

using namespace logship;

const cli::ProgramInfo kInfo{
    "logship-pull",
    "logship-pull [options] --host HOST --follow REMOTE=LOCAL...\n"
    "       logship-pull init --state-dir DIR --key-out FILE [--source NAME]",
    "Runs on the vault. Follows files on one monitored host over SFTP with a read-only key\n"
    "(command=\"/usr/lib/openssh/sftp-server -R\") and writes local copies: vault format v1\n"
    "batches (default) or byte-exact raw copies. Resumable from checkpoints after a crash or an\n"
    "outage; rename rotation, copytruncate, truncation, deletion and re-creation lose nothing\n"
    "that is still on the host, and are recorded. --mode tail runs a forced `tail -F` instead\n"
    "(the classic setup: it loses what is written while disconnected).\n"
    "Run `logship-pull init` once first for framed output; see PULL.md.",
    "Signals: SIGTERM/SIGINT save the checkpoints, close the files and exit 0. SIGHUP is\n"
    "ignored. A second instance on the same --state-dir exits 0 at once.\n\n"
    "Exit codes: 0 stopped normally or already running; 1 runtime failure; 2 bad option or\n"
    "config (the message names it).\n\n"
    "Example:\n"
    "  logship-pull init --state-dir ~/.local/state/logship/pull-web1 --key-out ~/web1-pull.key\n"
    "  logship-pull --host web1.example.net --user logreader --identity ~/.ssh/logship_pull \\\n"
    "      --known-hosts ~/.ssh/logship_known_hosts --state-dir ~/.local/state/logship/pull-web1 "
    "\\\n"
    "      --follow /var/log/auth.log=/srv/vault/web1/auth.log\n"};

const cli::ProgramInfo kInitInfo{
    "logship-pull init", "logship-pull init --state-dir DIR --key-out FILE [--source NAME]",
    "Creates the state directory (mode 0700) and the genesis key, and writes it to FILE\n"
    "(mode 0600, never over an existing file) as the verification key. Each followed file's\n"
    "stream gets its own key, derived from the genesis key, which then evolves (the old value\n"
    "erased): the state directory cannot reseal a stream that started before it was read.\n"
    "logship-verify --key FILE checks them all.",
    "Exit codes: 0 done; 2 the directory is already initialised, or a bad option.\n"};

int init_main(int argc, const char* const* argv) {
  cli::OptionSet set;
  set.options.add_options()("state-dir", cli::po::value<std::string>()->value_name("DIR"),
                            "state directory (default: $XDG_STATE_HOME/logship/pull)")(
      "key-out", cli::po::value<std::string>()->value_name("FILE"),
      "where to write the verification key")(
      "source", cli::po::value<std::string>()->value_name("NAME"),
      "the monitored host, for the key file's comment (default: this host's name)");
  auto vm = cli::parse(argc, argv, kInitInfo, set);
  if (!vm) return cli::kExitOk;
  cli::setup_logging("logship-pull", (*vm)["log-level"].as<std::string>());
  if (!vm->count("key-out"))
    throw cli::UsageError("missing --key-out FILE for the verification key");
  const std::string dir = vm->count("state-dir") ? (*vm)["state-dir"].as<std::string>()
                                                 : pull::default_state_dir().string();
  const std::string source =
      vm->count("source") ? (*vm)["source"].as<std::string>() : cli::host_name();
  return pull::init_state(dir, (*vm)["key-out"].as<std::string>(), source);
}

int run_main(int argc, const char* const* argv) {
  cli::OptionSet set;
  pull::add_run_options(set);
  auto vm = cli::parse(argc, argv, kInfo, set);
  if (!vm) return cli::kExitOk;
  cli::setup_logging("logship-pull", (*vm)["log-level"].as<std::string>());
  return pull::run_agent(pull::run_config(*vm));
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run(kInfo, [&] {
    if (argc > 1 && std::strcmp(argv[1], "init") == 0) return init_main(argc - 1, argv + 1);
    return run_main(argc, argv);
  });
}
