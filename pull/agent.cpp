#include "pull/agent.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "cli/signals.hpp"
#include "follow/genesis.hpp"
#include "follow/sftp_follower.hpp"
#include "follow/tail_follower.hpp"
#include "status/status.hpp"
#include "util/instance_lock.hpp"
#include "util/slot_file.hpp"
#include "vault/format.hpp"
#include "vault/key_file.hpp"
#include "vault/seal.hpp"

namespace logship::pull {

namespace fs = std::filesystem;

namespace {

std::string iso(WallTime t) {
  return vault::format_time(std::chrono::floor<std::chrono::microseconds>(t));
}

void add_time(status::JsonObject& o, const char* key, const std::optional<WallTime>& t) {
  if (t)
    o.add(key, iso(*t));
  else
    o.add_null(key);
}

double seconds(const std::optional<WallTime>& t) {
  return t ? std::chrono::duration<double>(t->time_since_epoch()).count() : 0.0;
}

void write_status(const Config& c, const follow::Puller& puller, const Clock& clock) {
  const auto& h = puller.host();
  const auto files = puller.files();
  if (c.status_file) {
    status::JsonObject o;
    o.add("program", "logship-pull").add("source", c.source);
    o.add("pid", static_cast<std::int64_t>(::getpid())).add("updated", iso(clock.wall_now()));
    o.add("mode", c.tail_mode ? "tail" : "sftp");
    o.add("format", c.format == follow::Format::raw ? "raw" : "framed");
    o.add("host", h.endpoint);
    o.add("state",
          h.connected ? "connected" : (h.unreachable_since ? "unreachable" : "connecting"));
    add_time(o, "connected_since", h.connected_since);
    add_time(o, "unreachable_since", h.unreachable_since);
    if (h.last_error.empty()) {
      o.add_null("last_error").add_null("last_error_kind");
    } else {
      o.add("last_error", h.last_error).add("last_error_kind", h.last_error_kind);
    }
    o.add("connections", h.connections).add("failures", h.failures);
    std::string arr = "[";
    for (const auto& f : files) {
      status::JsonObject j;
      j.add("remote", f.remote).add("local", f.local).add("state", follow::to_string(f.state));
      if (f.problem.empty())
        j.add_null("problem");
      else
        j.add("problem", f.problem);
      j.add("fid", follow::generation_hex(f.generation)).add("offset", f.offset);
      j.add("remote_size", f.remote_size);
      j.add("behind_bytes", f.remote_size > f.offset ? f.remote_size - f.offset : std::uint64_t{0});
      j.add("local_size", f.local_size).add("bytes", f.bytes);
      j.add("rotations", f.rotations).add("truncations", f.truncations);
      j.add("copytruncations", f.copytruncations).add("replaced", f.replaced);
      if (!f.last_event)
        j.add_null("last_event");
      else
        j.add("last_event", follow::to_string(*f.last_event));
      add_time(j, "last_event_time", f.last_event_time);
      add_time(j, "last_data", f.last_data);
      if (arr.size() > 1) arr += ",";
      arr += j.str();
    }
    o.add_raw("files", arr + "]");
    if (auto st = status::write_status_file(*c.status_file, o.str() + "\n"); !st)
      spdlog::warn("status file: {}", st.error().message);
  }
  if (c.prometheus_file) {
    const std::vector<std::pair<std::string, std::string>> l = {{"source", c.source}};
    std::vector<status::Metric> m = {
        {"logship_pull_up", "1 while connected to the monitored host.", "gauge",
         h.connected ? 1.0 : 0.0, l},
        {"logship_pull_unreachable_since_seconds",
         "Since when the host is unreachable (0 while it is reachable).", "gauge",
         seconds(h.unreachable_since), l},
        {"logship_pull_connections_total", "SSH connections made since start.", "counter",
         static_cast<double>(h.connections), l},
        {"logship_pull_failures_total", "Failed connection attempts and lost connections.",
         "counter", static_cast<double>(h.failures), l},
    };
    for (const auto& f : files) {
      auto fl = l;
      fl.emplace_back("file", f.remote);
      auto add = [&](const char* name, const char* help, const char* type, double v) {
        m.push_back({name, help, type, v, fl});
      };
      add("logship_pull_file_following", "1 while the file is followed normally.", "gauge",
          f.state == follow::FileState::following ? 1.0 : 0.0);
      add("logship_pull_file_offset_bytes", "Remote offset copied durably.", "gauge",
          static_cast<double>(f.offset));
      add("logship_pull_file_behind_bytes", "Remote bytes not yet copied (at the last look).",
          "gauge", static_cast<double>(f.remote_size > f.offset ? f.remote_size - f.offset : 0));
      add("logship_pull_file_bytes_total", "Remote bytes copied since start.", "counter",
          static_cast<double>(f.bytes));
      add("logship_pull_file_rotations_total", "Rotations handled (old file finished).", "counter",
          static_cast<double>(f.rotations));
      add("logship_pull_file_truncations_total",
          "Truncations without a rotated copy (lines may be lost).", "counter",
          static_cast<double>(f.truncations));
      add("logship_pull_file_copytruncations_total",
          "Truncations whose rest was read from the rotated copy.", "counter",
          static_cast<double>(f.copytruncations));
      add("logship_pull_file_replaced_total",
          "Times the path named another file and the old one was not found.", "counter",
          static_cast<double>(f.replaced));
      add("logship_pull_file_last_data_timestamp_seconds", "When bytes last arrived.", "gauge",
          seconds(f.last_data));
    }
    if (auto st = status::write_status_file(*c.prometheus_file, status::prometheus_text(m)); !st)
      spdlog::warn("prometheus file: {}", st.error().message);
  }
}

}  // namespace

int init_state(const fs::path& dir, const fs::path& key_out, const std::string& source) {
  if (fs::exists(key_state_file(dir))) {
    spdlog::error(
        "{} already holds a pull key; refusing to replace it (remove the directory "
        "first if you really mean to start new streams)",
        dir.string());
    return cli::kExitUsage;
  }
  std::error_code ec;
  fs::create_directories(dir / "files", ec);
  if (ec)
    throw cli::UsageError("cannot create state directory " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  auto k0 = vault::generate_key();
  if (!k0) throw std::runtime_error(k0.error().message);
  const std::string comment =
      "logship verification key (K0) of the files pulled from " + source + ", made " +
      iso(SystemClock().wall_now()) +
      ".\nKeep this file where you run logship-verify --key, away from the copies:\n"
      "whoever holds it can forge batches.";
  if (auto st = vault::write_key_file(key_out, *k0, comment); !st)
    throw cli::UsageError(st.error().message);
  auto st = follow::GenesisKey::create(key_state_file(dir), *k0);
  crypto::wipe(*k0);
  if (!st) throw std::runtime_error(st.error().message);
  std::printf("initialised %s\nverification key written to %s\n", dir.c_str(), key_out.c_str());
  return cli::kExitOk;
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
  pid_t holder = 0;
  auto lock = InstanceLock::acquire(lock_file(c.state_dir), &holder);
  if (!lock) throw cli::UsageError(lock.error().message);
  if (!lock->has_value()) {
    spdlog::info("already running (pid {}) for state directory {}; nothing to do", holder,
                 c.state_dir.string());
    return cli::kExitOk;
  }
  if (auto st = ssh::validate(c.puller.ssh); !st) throw cli::UsageError(st.error().message);
  if (c.format == follow::Format::framed) {
    auto key = follow::GenesisKey::open(key_state_file(c.state_dir));
    if (!key) throw cli::UsageError(key.error().message);
    genesis.emplace(std::move(*key));
  }

  UniqueFd sigfd =
      cli::block_agent_signals();  // before the Syncer's thread starts: it inherits the mask
  if (!sigfd.valid()) throw std::runtime_error("signalfd failed");
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
  follow::Puller puller(c.puller, std::move(followers), clock);
  auto started = puller.start();
  if (!started) {
    if (started.error().kind == ErrorKind::config) throw cli::UsageError(started.error().message);
    throw std::runtime_error(started.error().message);
  }

  spdlog::info("following {} file(s) on {} ({} mode, {} output) as source {}", c.follow.size(),
               c.puller.ssh.endpoint(), c.tail_mode ? "tail" : "sftp",
               c.format == follow::Format::raw ? "raw" : "framed", c.source);

  bool stop = false;
  auto stopping = [&] { return cli::read_agent_signals(sigfd.get(), stop); };
  auto next_status = clock.now();
  while (!stopping()) {
    puller.tick(stopping);
    if (clock.now() >= next_status) {
      write_status(c, puller, clock);
      next_status = clock.now() + c.status_interval;
    }
    const auto next = std::min(puller.next_deadline(), next_status);
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - clock.now());
    pollfd p{sigfd.get(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 1000)));
  }
  puller.shutdown();
  write_status(c, puller, clock);
  return cli::kExitOk;
}

}  // namespace logship::pull
