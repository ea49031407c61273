#include "push/config.hpp"

#include <algorithm>
#include <cstdlib>

#include "cli/agent.hpp"
#include "cli/ssh_options.hpp"

namespace logship::push {

namespace po = cli::po;

namespace {

const cli::SshPeer kVault{
    "vault host",
    "vault sshd port",
    "account on the vault (default: ours)",
    "name the vault host",
    "the vault's host key",
    "private key for the vault (mode 0600; made by logship-keys new --role push)",
    "give the private key made by `logship-keys new --role push`",
    "a vault that neither takes nor sends a byte for this long while it owes an answer (an "
    "acknowledgement, a channel, room for data) is dropped and reconnected; a slow link that "
    "still moves data is waited for"};

}  // namespace

void add_run_options(cli::OptionSet& set) {
  // clang-format off
  set.options.add_options()
    ("source", po::value<std::string>()->value_name("NAME"),
     "source name written into every batch (default: this host's name)")
    ("stream", po::value<std::string>()->default_value("log")->value_name("NAME"),
     "stream name written into every batch, e.g. auth or audit")
    ("input", po::value<std::string>()->value_name("PATH|-"),
     "FIFO that syslog or auditd writes (created if missing), or - for stdin")
    ("fifo-mode", po::value<std::string>()->default_value("0620")->value_name("OCTAL"),
     "mode of a FIFO that logship-push creates")
    ("fifo-group", po::value<std::string>()->value_name("GROUP"),
     "group of a FIFO that logship-push creates (the writer's group, e.g. adm)")
    ("max-line", po::value<std::string>()->default_value("64K")->value_name("BYTES"),
     "longer input lines are split into marked fragments (never dropped)");
  cli::add_ssh_options(set, kVault);
  set.options.add_options()
    ("remote-command", po::value<std::string>()->value_name("CMD"),
     "command sent to the vault (default: cat >> logship-SOURCE.log); the vault's forced "
     "command=\"cat >> FILE\" wins")
    ("state-dir", po::value<std::string>()->value_name("DIR"),
     "state, spool and lock (default: $XDG_STATE_HOME/logship/push)")
    ("spool-max", po::value<std::string>()->default_value("256M")->value_name("BYTES"),
     "spool size on disk; when full, the oldest unsent lines are dropped and counted")
    ("fsync-interval", po::value<int>()->default_value(1000)->value_name("MS"),
     "fdatasync the spool at most this often (0: after every write); see SPOOL.md")
    ("state-sync", po::value<std::string>()->default_value("seal")->value_name("WHEN"),
     "seal: the push state is synced in the background and a batch's end line waits for it "
     "(a busy disk delays seals, not lines); send: each state record is synced before the "
     "bytes it describes leave (a power loss then never tears a batch; see PUSH.md)")
    ("batch-max-bytes", po::value<std::string>()->default_value("64M")->value_name("BYTES"),
     "largest batch payload; batches grow to this under backlog (streamed: memory does not "
     "grow with it)")
    ("linger", po::value<int>()->default_value(5)->value_name("MS"),
     "how long a first line waits for others before its batch leaves")
    ("batch-open", po::value<int>()->default_value(250)->value_name("MS"),
     "a batch that took every pending line stays open for the lines that follow, written as "
     "they come and sealed together: this long, or until the input pauses, once it holds "
     "--batch-open-bytes (0: close at once)")
    ("batch-open-bytes", po::value<std::string>()->default_value("256K")->value_name("BYTES"),
     "an open batch holding less stays open, whatever the pauses, up to --batch-open-max: "
     "at a trickle an agent costs the vault one channel per --batch-open-max")
    ("batch-open-max", po::value<int>()->default_value(10000)->value_name("MS"),
     "the longest a batch stays open (its lines are in the vault file, not sealed yet)")
    ("heartbeat", po::value<int>()->default_value(60)->value_name("SECONDS"),
     "an empty batch after this long without one, so the vault sees we are alive")
    ("retry-max", po::value<int>()->default_value(30)->value_name("SECONDS"),
     "longest wait between delivery attempts (capped exponential backoff with jitter)");
  cli::add_status_options(set);
  set.options.add_options()
    ("shutdown-grace", po::value<int>()->default_value(5)->value_name("SECONDS"),
     "on SIGTERM, keep sending pending lines this long before exiting (they stay spooled)");
  // clang-format on
}

Config run_config(const po::variables_map& vm) {
  Config c;
  c.source = cli::optional_string(vm, "source").value_or(cli::host_name());
  c.stream = vm["stream"].as<std::string>();
  if (c.source.empty() || c.stream.empty())
    throw cli::UsageError("--source and --stream must not be empty");
  c.input =
      cli::required_string(vm, "input", "give the FIFO path syslog writes to, or - for stdin");
  {
    const auto m = vm["fifo-mode"].as<std::string>();
    char* end = nullptr;
    const long mode = std::strtol(m.c_str(), &end, 8);
    if (m.empty() || *end != '\0' || mode < 0 || mode > 0777)
      throw cli::UsageError("--fifo-mode '" + m + "' is not an octal mode like 0620");
    c.fifo_mode = static_cast<mode_t>(mode);
  }
  c.fifo_group = cli::optional_string(vm, "fifo-group");
  c.max_line = cli::parse_size(vm["max-line"].as<std::string>(), "max-line");
  if (c.max_line < 256 || c.max_line > (8u << 20))
    throw cli::UsageError("--max-line must be between 256 bytes and 8M");

  c.ssh = cli::ssh_options(vm, kVault);
  c.remote_command =
      cli::optional_string(vm, "remote-command").value_or("cat >> logship-" + c.source + ".log");

  c.state_dir =
      cli::optional_string(vm, "state-dir").value_or(cli::default_state_dir("push").string());
  c.spool_max = cli::parse_size(vm["spool-max"].as<std::string>(), "spool-max");
  if (c.spool_max < (1u << 20)) throw cli::UsageError("--spool-max must be at least 1M");
  c.fsync_interval = std::chrono::milliseconds(cli::int_at_least(vm, "fsync-interval", 0));
  const auto state_sync = vm["state-sync"].as<std::string>();
  if (state_sync != "seal" && state_sync != "send")
    throw cli::UsageError("--state-sync must be seal or send, not '" + state_sync + "'");
  c.state_sync_before_send = state_sync == "send";
  c.policy.max_bytes = cli::parse_size(vm["batch-max-bytes"].as<std::string>(), "batch-max-bytes");
  if (c.policy.max_bytes < 4096 || c.policy.max_bytes > (64u << 20))
    throw cli::UsageError("--batch-max-bytes must be between 4K and 64M");
  c.policy.linger = std::chrono::milliseconds(cli::int_at_least(vm, "linger", 0));
  c.policy.open_for = std::chrono::milliseconds(cli::int_at_least(vm, "batch-open", 0));
  c.policy.open_worth =
      cli::parse_size(vm["batch-open-bytes"].as<std::string>(), "batch-open-bytes");
  c.policy.open_max = std::chrono::milliseconds(cli::int_at_least(vm, "batch-open-max", 0));
  if (vm["batch-open-max"].defaulted())
    c.policy.open_max = std::max(c.policy.open_max, c.policy.open_for);
  if (c.policy.open_max < c.policy.open_for)
    throw cli::UsageError("--batch-open-max must be at least --batch-open");
  // Its lines stay unsealed in the vault while it is open; logship-verify takes a final batch
  // open for longer than 120 s for a torn one.
  if (c.policy.open_max > std::chrono::seconds(60))
    throw cli::UsageError(
        std::string(vm["batch-open-max"].defaulted() ? "--batch-open" : "--batch-open-max") +
        " must be at most 60000 ms: an open batch's lines are not sealed yet, and "
        "logship-verify reports one open for over 120 s as torn");
  c.policy.heartbeat = std::chrono::seconds(cli::int_at_least(vm, "heartbeat", 1));
  c.retry_max = std::chrono::seconds(cli::int_at_least(vm, "retry-max", 1));
  c.status = cli::status_options(vm);
  c.shutdown_grace = std::chrono::seconds(cli::int_at_least(vm, "shutdown-grace", 0));
  return c;
}

}  // namespace logship::push
