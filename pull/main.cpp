// logship-pull: follows files on a monitored host over SSH into local copies, like
// `tail -F --retry`, resumable and rotation-safe.
#include "cli/agent.hpp"
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

const cli::Init kInit{
    .description =
        "Creates the state directory (mode 0700) and the genesis key, and writes it to FILE\n"
        "(mode 0600, never over an existing file) as the verification key. Each followed file's\n"
        "stream gets its own key, derived from the genesis key, which then evolves (the old value\n"
        "erased): the state directory cannot reseal a stream that started before it was read.\n"
        "logship-verify --key FILE checks them all.",
    .source_help = "the monitored host, for the key file's comment (default: this host's name)",
    .marker = pull::key_state_file,
    .refusal =
        "already holds a pull key; refusing to replace it (remove the directory first if you "
        "really mean to start new streams)",
    .subdir = "files",
    .key_of = "of the files pulled from",
    .key_note =
        "Keep this file where you run logship-verify --key, away from the copies:\n"
        "whoever holds it can forge batches.",
    .advice = "",
    .keep = pull::keep_key};

const cli::Agent kAgent{
    "pull", kInfo, pull::add_run_options,
    [](const cli::po::variables_map& vm) { return pull::run_agent(pull::run_config(vm)); }, kInit};

}  // namespace

int main(int argc, char** argv) {
  return cli::agent_main(argc, argv, kAgent);
}
