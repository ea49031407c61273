// logship-push: ships a FIFO (or stdin) to the vault in acknowledged, sealed batches.
#include "cli/agent.hpp"
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

const cli::Init kInit{
    .description =
        "Creates the state directory (mode 0700), the spool and the sealing key K0, and writes\n"
        "the verification key to FILE (mode 0600, never over an existing file). Move FILE off the\n"
        "host: logship-verify --key needs it; the agent keeps only later keys.",
    .source_help = "source name for the key file's comment (default: host name)",
    .marker = push::state_file,
    .refusal =
        "already holds a push state; refusing to replace its sealing key (remove the directory "
        "first if you really mean to start a new stream)",
    .subdir = "",
    .key_of = "for source",
    .key_note =
        "Move this file OFF the monitored host (e.g. to the machine where you run\n"
        "logship-verify --key) and delete it there: whoever holds it can forge batches.",
    .advice =
        "  -> move it off this host now; logship-verify --key needs it, the agent does not.\n",
    .keep = push::keep_key};

const cli::Agent kAgent{
    "push", kInfo, push::add_run_options,
    [](const cli::po::variables_map& vm) { return push::run_agent(push::run_config(vm)); }, kInit};

}  // namespace

int main(int argc, char** argv) {
  return cli::agent_main(argc, argv, kAgent);
}
