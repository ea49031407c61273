#include "pull/config.hpp"

#include <cstdlib>
#include <set>

#include "authkeys/role.hpp"
#include "cli/agent.hpp"
#include "cli/ssh_options.hpp"
#include "crypto/sha256.hpp"
#include "follow/rotated_names.hpp"

namespace logship::pull {

namespace po = cli::po;

std::filesystem::path checkpoint_file(const std::filesystem::path& dir, const FollowSpec& f) {
  std::string name;
  for (char c : f.local.filename().string())
    name +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  const auto h = crypto::to_hex(crypto::sha256(f.remote + '\0' + f.local.string()));
  return dir / "files" / (name.substr(0, 64) + "-" + h.substr(0, 12) + ".ckpt");
}

namespace {

const cli::SshPeer kHost{
    "the monitored host",
    "its sshd port",
    "account there (default: ours)",
    "name the monitored host",
    "the host's key",
    "private key (mode 0600; made by logship-keys new --role pull, or --role tail)",
    "give the private key made by `logship-keys new --role pull`",
    "a host that neither takes nor sends a byte for this long while a request waits is "
    "dropped and reconnected; a slow link that still moves data is waited for"};

}  // namespace

void add_run_options(cli::OptionSet& set) {
  // clang-format off
  set.options.add_options()
    ("follow", po::value<std::vector<std::string>>()->value_name("REMOTE=LOCAL"),
     "follow the file REMOTE (absolute path on the host) into the local file LOCAL; repeat for "
     "more files (in a config file: one `follow = REMOTE=LOCAL` line each)")
    ("mode", po::value<std::string>()->default_value("sftp")->value_name("sftp|tail"),
     "sftp: resumable and rotation-safe, with a read-only SFTP key; tail: the classic forced "
     "`tail -F FILE` (loses what is written while disconnected; see PULL.md)")
    ("format", po::value<std::string>()->default_value("framed")->value_name("framed|raw"),
     "framed: vault format v1 batches (tamper-evident, verify with logship-verify); raw: a "
     "byte-exact copy")
    ("source", po::value<std::string>()->value_name("NAME"),
     "source name written into every batch (default: --host)");
  cli::add_ssh_options(set, kHost);
  set.options.add_options()
    ("state-dir", po::value<std::string>()->value_name("DIR"),
     "checkpoints, seal states and lock (default: $XDG_STATE_HOME/logship/pull)")
    ("poll", po::value<int>()->default_value(500)->value_name("MS"),
     "how often each file is looked at (one round trip per file and poll; a file being written "
     "is read again at once)")
    ("heartbeat", po::value<int>()->default_value(60)->value_name("SECONDS"),
     "framed: an empty batch per file after this long without one, so the copy shows we are alive")
    ("rotated-name", po::value<std::vector<std::string>>()->value_name("PATTERN"),
     "where a rotated copy of FILE may be, '{}' standing for FILE, strftime conversions for the "
     "day (today and yesterday); repeatable (default: {}.1 and {}-%Y%m%d)")
    ("tail-command",
     po::value<std::string>()->default_value(std::string(authkeys::kTailCommand) + " {}")
         ->value_name("CMD"),
     "tail mode: the command sent, '{}' standing for the quoted path (a forced command wins)")
    ("max-line", po::value<std::string>()->default_value("64K")->value_name("BYTES"),
     "framed: longer lines are split into marked fragments (never dropped)")
    ("batch-max-bytes", po::value<std::string>()->default_value("1M")->value_name("BYTES"),
     "framed: largest batch")
    ("checkpoint-interval", po::value<int>()->default_value(1000)->value_name("MS"),
     "fsync the copies and save the checkpoints at most this often (and at every rotation)")
    ("retry-max", po::value<int>()->default_value(30)->value_name("SECONDS"),
     "longest wait between connection attempts (capped exponential backoff with jitter)");
  cli::add_status_options(set);
  // clang-format on
}

namespace {

FollowSpec parse_follow(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw cli::UsageError("--follow '" + text +
                          "': write REMOTE=LOCAL, e.g. "
                          "/var/log/auth.log=/srv/vault/web1/auth.log");
  FollowSpec f{text.substr(0, eq), text.substr(eq + 1)};
  if (f.remote.front() != '/')
    throw cli::UsageError("--follow '" + text + "': the remote path must be absolute");
  return f;
}

}  // namespace

Config run_config(const po::variables_map& vm) {
  Config c;
  if (!vm.count("follow"))
    throw cli::UsageError("missing --follow REMOTE=LOCAL: name at least one file to follow");
  std::set<std::string> remotes, locals;
  for (const auto& text : vm["follow"].as<std::vector<std::string>>()) {
    auto f = parse_follow(text);
    if (!locals.insert(std::filesystem::absolute(f.local).lexically_normal().string()).second)
      throw cli::UsageError("--follow: " + f.local.string() + " is the copy of two files");
    if (!remotes.insert(f.remote).second)
      throw cli::UsageError("--follow: " + f.remote + " is followed twice");
    c.follow.push_back(std::move(f));
  }
  const auto mode = vm["mode"].as<std::string>();
  if (mode != "sftp" && mode != "tail")
    throw cli::UsageError("--mode '" + mode + "': use sftp or tail");
  c.tail_mode = mode == "tail";
  const auto format = vm["format"].as<std::string>();
  if (format != "framed" && format != "raw")
    throw cli::UsageError("--format '" + format + "': use framed or raw");
  c.format = format == "raw" ? follow::Format::raw : follow::Format::framed;
  c.tail_command = vm["tail-command"].as<std::string>();
  if (c.tail_command.find("{}") == std::string::npos)
    throw cli::UsageError("--tail-command must contain {} for the remote path");
  if (vm.count("rotated-name")) {
    c.rotated_patterns = vm["rotated-name"].as<std::vector<std::string>>();
    for (const auto& p : c.rotated_patterns)
      if (!follow::valid_rotated_pattern(p))
        throw cli::UsageError("--rotated-name '" + p + "' must contain {} exactly once");
  } else {
    c.rotated_patterns = follow::default_rotated_patterns();
  }
  c.max_line = cli::parse_size(vm["max-line"].as<std::string>(), "max-line");
  if (c.max_line < 256 || c.max_line > (8u << 20))
    throw cli::UsageError("--max-line must be between 256 bytes and 8M");
  c.batch_max = cli::parse_size(vm["batch-max-bytes"].as<std::string>(), "batch-max-bytes");
  if (c.batch_max < 4096 || c.batch_max > (64u << 20))
    throw cli::UsageError("--batch-max-bytes must be between 4K and 64M");

  auto& ssh = c.puller.ssh;
  ssh = cli::ssh_options(vm, kHost);
  c.source = cli::optional_string(vm, "source").value_or(ssh.host);
  if (c.source.empty()) throw cli::UsageError("--source must not be empty");

  c.puller.sftp = !c.tail_mode;
  c.puller.keepalive = ssh.op_timeout;  // tail mode: a silent link is pinged this often
  c.puller.poll = std::chrono::milliseconds(cli::int_at_least(vm, "poll", 10));
  c.puller.heartbeat = std::chrono::seconds(cli::int_at_least(vm, "heartbeat", 1));
  c.puller.checkpoint_interval =
      std::chrono::milliseconds(cli::int_at_least(vm, "checkpoint-interval", 0));
  c.puller.backoff.cap = std::chrono::seconds(cli::int_at_least(vm, "retry-max", 1));
  c.puller.backoff.base = std::min(c.puller.backoff.base, c.puller.backoff.cap);
  c.state_dir =
      cli::optional_string(vm, "state-dir").value_or(cli::default_state_dir("pull").string());
  c.status = cli::status_options(vm);
  return c;
}

}  // namespace logship::pull
