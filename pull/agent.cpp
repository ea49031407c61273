#include "pull/agent.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "cli/agent_loop.hpp"
#include "follow/genesis.hpp"
#include "follow/pull_status.hpp"
#include "follow/sftp_follower.hpp"
#include "follow/tail_follower.hpp"
#include "status/publisher.hpp"

namespace logship::pull {

namespace fs = std::filesystem;

namespace {

// Writes the JSON status file and the Prometheus textfile, if configured.
void write_status(status::Publisher& publisher, const Config& c, const follow::Puller& puller,
                  const Clock& clock) {
  publisher.publish([&] {
    const auto& h = puller.host();
    return follow::PullStatus{.source = c.source,
                              .pid = ::getpid(),
                              .updated = clock.wall_now(),
                              .mode = c.tail_mode ? "tail" : "sftp",
                              .format = c.format == follow::Format::raw ? "raw" : "framed",
                              .host = h.endpoint,
                              .connected = h.connected,
                              .connected_since = h.connected_since,
                              .unreachable_since = h.unreachable_since,
                              .last_error = h.last_error,
                              .last_error_kind = h.last_error_kind,
                              .connections = h.connections,
                              .failures = h.failures,
                              .files = puller.files()};
  });
}

}  // namespace

void keep_key(const fs::path& dir, const crypto::Digest& k0) {
  if (auto st = follow::GenesisKey::create(key_state_file(dir), k0); !st)
    throw std::runtime_error(st.error().message);
}

int run_agent(const Config& c) {
  SystemClock clock;
  std::optional<follow::GenesisKey> genesis;  // framed: where new streams take their K_0
  if (c.format == follow::Format::framed) {
    if (!fs::exists(key_state_file(c.state_dir)))
      throw cli::UsageError("state directory " + c.state_dir.string() +
                            " is not initialised for framed output; run: logship-pull init "
                            "--state-dir " +
                            c.state_dir.string() + " --key-out FILE");
  }
  std::error_code ec;
  fs::create_directories(c.state_dir / "files", ec);
  if (ec)
    throw cli::UsageError("cannot create state directory " + c.state_dir.string() + ": " +
                          ec.message());
  const auto lock = cli::lock_state_dir(c.state_dir);
  if (!lock) return cli::kExitOk;
  if (auto st = ssh::validate(c.puller.ssh); !st) throw cli::UsageError(st.error().message);
  if (c.format == follow::Format::framed) {
    auto key = follow::GenesisKey::open(key_state_file(c.state_dir));
    if (!key) throw cli::UsageError(key.error().message);
    genesis.emplace(std::move(*key));
  }

  cli::AgentLoop loop(clock, c.status.interval);  // before the Syncer's thread: it inherits
  status::Publisher publisher(c.status.files);    // writes the status files on its own thread
                                                  // the signal mask
  follow::Syncer syncer;  // outlives the followers, which wait for it when destroyed
  std::vector<std::unique_ptr<follow::Follower>> followers;
  for (const auto& f : c.follow) {
    follow::OutputOptions oo;
    oo.path = f.local;
    oo.format = c.format;
    oo.source = c.source;
    oo.stream = f.remote;
    oo.max_line = c.max_line;
    oo.max_batch = c.batch_max;
    if (genesis)
      oo.start_stream = [&genesis, src = c.source, stream = f.remote] {
        return genesis->start_stream(src, stream);
      };
    auto out = follow::Output::open(oo, clock);
    if (!out) throw cli::UsageError(out.error().message);
    auto ckpt = follow::CheckpointFile::open(checkpoint_file(c.state_dir, f));
    if (!ckpt) throw std::runtime_error(ckpt.error().message);
    if (c.tail_mode) {
      std::string cmd = c.tail_command;
      cmd.replace(cmd.find("{}"), 2, shell_quote(f.remote));
      followers.push_back(std::make_unique<follow::TailFollower>(
          follow::TailFollowOptions{f.remote, cmd, c.puller.ssh.op_timeout}, std::move(*out),
          std::move(*ckpt), syncer, clock));
    } else {
      follow::SftpFollowOptions so;
      so.remote = f.remote;
      so.rotated_patterns = c.rotated_patterns;
      so.poll = c.puller.poll;
      followers.push_back(std::make_unique<follow::SftpFollower>(std::move(so), std::move(*out),
                                                                 std::move(*ckpt), syncer, clock));
    }
  }
  follow::PullerOptions po = c.puller;
  po.ssh.clock = &clock;  // every deadline is measured on the agent's clock
  follow::Puller puller(std::move(po), std::move(followers), clock);
  auto started = puller.start();
  if (!started) {
    if (started.error().kind == ErrorKind::config) throw cli::UsageError(started.error().message);
    throw std::runtime_error(started.error().message);
  }

  spdlog::info("following {} file(s) on {} ({} mode, {} output) as source {}", c.follow.size(),
               c.puller.ssh.endpoint(), c.tail_mode ? "tail" : "sftp",
               c.format == follow::Format::raw ? "raw" : "framed", c.source);

  auto stopping = [&] { return loop.stopping(); };
  while (!stopping()) {
    puller.tick(stopping);
    if (loop.status_due()) write_status(publisher, c, puller, clock);
    loop.wait(-1, puller.next_deadline());
  }
  puller.shutdown();
  write_status(publisher, c, puller, clock);
  return cli::kExitOk;
}

}  // namespace logship::pull
