#include "push/agent.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <array>
#include <thread>

#include "cli/signals.hpp"
#include "input/fifo.hpp"
#include "ship/shipper.hpp"
#include "spool/spool.hpp"
#include "status/status.hpp"
#include "util/instance_lock.hpp"
#include "vault/format.hpp"
#include "vault/key_file.hpp"
#include "vault/line_splitter.hpp"

namespace logship::push {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kReadChunk = 256 * 1024;   // bytes per read(2) of the input
constexpr std::size_t kMaxBurst = 16u << 20;     // bytes read before looking at signals
constexpr std::chrono::milliseconds kTick{250};  // longest sleep of the input loop

std::string iso(WallTime t) {
  return vault::format_time(std::chrono::floor<std::chrono::microseconds>(t));
}

// Writes the JSON status file and the Prometheus textfile, if configured.
void write_status(const Config& c, const ship::Shipper& shipper, const spool::Spool& spool,
                  const std::string& input, const SystemClock& clock) {
  const auto s = shipper.status();
  const auto sp = spool.stats();
  if (c.status_file) {
    status::JsonObject o;
    o.add("program", "logship-push").add("source", c.source).add("stream", c.stream);
    o.add("pid", static_cast<std::int64_t>(::getpid())).add("updated", iso(clock.wall_now()));
    o.add("state", s.state).add("input", input).add("vault", c.ssh.endpoint());
    if (s.last_ack)
      o.add("last_ack", iso(*s.last_ack));
    else
      o.add_null("last_ack");
    if (s.last_acked_seq)
      o.add("last_acked_seq", *s.last_acked_seq);
    else
      o.add_null("last_acked_seq");
    o.add("spool_bytes", sp.disk_bytes).add("backlog_lines", sp.pending_records);
    o.add("dropped", sp.dropped_records).add("dropped_reported", s.dropped_sent);
    o.add("batches", s.batches).add("failures", s.failures);
    o.add("reconnects", s.connections ? s.connections - 1 : 0);
    if (s.last_error.empty())
      o.add_null("last_error");
    else
      o.add("last_error", s.last_error);
    if (s.last_error_kind.empty())
      o.add_null("last_error_kind");
    else
      o.add("last_error_kind", s.last_error_kind);
    if (sp.last_write_error.empty())
      o.add_null("spool_error");
    else
      o.add("spool_error", sp.last_write_error);
    if (auto st = status::write_status_file(*c.status_file, o.str() + "\n"); !st)
      spdlog::warn("status file: {}", st.error().message);
  }
  if (c.prometheus_file) {
    const std::vector<std::pair<std::string, std::string>> l = {{"source", c.source},
                                                                {"stream", c.stream}};
    const double last_ack =
        s.last_ack ? std::chrono::duration<double>(s.last_ack->time_since_epoch()).count() : 0;
    std::vector<status::Metric> m = {
        {"logship_push_up", "1 while the last delivery succeeded.", "gauge",
         s.last_error.empty() ? 1.0 : 0.0, l},
        {"logship_push_last_ack_timestamp_seconds", "Time of the last acknowledged batch.", "gauge",
         last_ack, l},
        {"logship_push_last_acked_seq", "Sequence number of the last acknowledged batch.", "gauge",
         s.last_acked_seq ? static_cast<double>(*s.last_acked_seq) : -1.0, l},
        {"logship_push_spool_bytes",
         "Spool bytes on disk (acknowledged data in the current segment included).", "gauge",
         static_cast<double>(sp.disk_bytes), l},
        {"logship_push_backlog_lines", "Lines not yet acknowledged by the vault.", "gauge",
         static_cast<double>(sp.pending_records), l},
        {"logship_push_dropped_lines_total",
         "Lines lost to a full spool or local disk since start.", "counter",
         static_cast<double>(sp.dropped_records), l},
        {"logship_push_batches_total", "Batches acknowledged since start.", "counter",
         static_cast<double>(s.batches), l},
        {"logship_push_failures_total", "Failed deliveries since start.", "counter",
         static_cast<double>(s.failures), l},
        {"logship_push_connections_total", "SSH connections made since start.", "counter",
         static_cast<double>(s.connections), l},
    };
    if (auto st = status::write_status_file(*c.prometheus_file, status::prometheus_text(m)); !st)
      spdlog::warn("prometheus file: {}", st.error().message);
  }
}

}  // namespace

int init_state(const fs::path& dir, const fs::path& key_out, const std::string& source) {
  if (fs::exists(state_file(dir))) {
    spdlog::error(
        "{} already holds a push state; refusing to replace its sealing key "
        "(remove the directory first if you really mean to start a new stream)",
        dir.string());
    return cli::kExitUsage;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw cli::UsageError("cannot create state directory " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  auto k0 = vault::generate_key();
  if (!k0) throw std::runtime_error(k0.error().message);
  const std::string comment =
      "logship verification key (K0) for source " + source + ", made " +
      iso(SystemClock().wall_now()) +
      ".\nMove this file OFF the monitored host (e.g. to the machine where you run\n"
      "logship-verify --key) and delete it there: whoever holds it can forge batches.";
  if (auto st = vault::write_key_file(key_out, *k0, comment); !st)
    throw cli::UsageError(st.error().message);
  auto file = ship::PushStateFile::open(state_file(dir));
  if (!file) throw std::runtime_error(file.error().message);
  if (auto st = file->save(ship::PushState{0, std::nullopt, vault::SealState::initial(*k0)}); !st)
    throw std::runtime_error(st.error().message);
  SystemClock clock;
  auto sp = spool::Spool::open({spool_dir(dir)}, clock);
  if (!sp) throw std::runtime_error(sp.error().message);
  crypto::wipe(*k0);
  std::printf(
      "initialised %s\nverification key written to %s\n"
      "  -> move it off this host now; logship-verify --key needs it, the agent does not.\n",
      dir.c_str(), key_out.c_str());
  return cli::kExitOk;
}

int run_agent(const Config& c) {
  SystemClock clock;
  if (!fs::exists(state_file(c.state_dir)))
    throw cli::UsageError("state directory " + c.state_dir.string() +
                          " is not initialised; run: logship-push init --state-dir " +
                          c.state_dir.string() + " --key-out FILE");
  pid_t holder = 0;
  auto lock = InstanceLock::acquire(lock_file(c.state_dir), &holder);
  if (!lock) throw cli::UsageError(lock.error().message);
  if (!lock->has_value()) {
    spdlog::info("already running (pid {}) for state directory {}; nothing to do", holder,
                 c.state_dir.string());
    return cli::kExitOk;
  }

  auto file = ship::PushStateFile::open(state_file(c.state_dir));
  if (!file) throw std::runtime_error(file.error().message);
  auto loaded = file->load();
  if (!loaded) throw std::runtime_error(loaded.error().message);
  if (!loaded->has_value())
    throw cli::UsageError("empty state file in " + c.state_dir.string() +
                          "; run logship-push init");
  ship::PushState state = std::move(**loaded);

  spool::Options so;
  so.dir = spool_dir(c.state_dir);
  so.max_bytes = c.spool_max;
  so.fsync_interval = c.fsync_interval;
  spool::Recovery recovery;
  auto sp = spool::Spool::open(so, clock, &recovery);
  if (!sp) throw std::runtime_error(sp.error().message);
  spool::Spool& spool = **sp;
  for (const auto& p : recovery.problems) spdlog::warn("{}", p);
  if (auto st = spool.release(state.acked); !st) throw std::runtime_error(st.error().message);
  // The batch in flight must survive a full spool; an open one may have grown on the wire past
  // its recorded last record, and its resend takes all of those again.
  if (state.inflight) spool.pin(state.inflight->open ? spool.next_id() - 1 : state.inflight->last);

  if (auto st = ssh::validate(c.ssh); !st) throw cli::UsageError(st.error().message);

  auto input =
      c.input == "-" ? input::open_stdin() : input::open_fifo({c.input, c.fifo_mode, c.fifo_group});
  if (!input) throw cli::UsageError(input.error().message);

  // before the sender starts, so that it inherits the mask (the spool's own thread blocks all)
  UniqueFd sigfd = cli::block_agent_signals();
  if (!sigfd.valid()) throw std::runtime_error("signalfd failed");

  ship::SshVaultLink link(c.ssh, c.remote_command);
  Backoff::Policy backoff;
  backoff.cap = c.retry_max;
  backoff.base = std::min(backoff.base, c.retry_max);
  ship::Shipper shipper({c.source, c.stream, c.policy, backoff}, spool, *file, std::move(state),
                        link, clock);
  std::thread sender([&] { shipper.run(); });
  spdlog::info("reading {}, shipping to {} as source {} stream {}", input->description,
               c.ssh.endpoint(), c.source, c.stream);

  std::string last_spool_error;
  vault::LineSplitter splitter(c.max_line);
  spool::Spool::Appender* appender = nullptr;  // the lines of one read(2) go in under one lock
  const vault::LineSplitter::Emit to_spool = [&](std::string_view line, vault::LineEnd end) {
    const bool partial = end == vault::LineEnd::none;
    if (auto st = appender ? appender->append(line, partial) : spool.append(line, partial);
        !st && st.error().message != last_spool_error) {
      last_spool_error = st.error().message;
      spdlog::error("spool write failed, lines are being lost and counted: {}", last_spool_error);
    }
  };
  std::string buf(kReadChunk, '\0');
  auto next_status = clock.now();
  bool input_open = true, stop = false;
  while (!stop) {
    std::array<pollfd, 2> fds{
        {{input_open ? input->read_fd.get() : -1, POLLIN, 0}, {sigfd.get(), POLLIN, 0}}};
    const auto wait = std::min<std::chrono::milliseconds>(
        kTick, std::chrono::ceil<std::chrono::milliseconds>(next_status - clock.now()));
    ::poll(fds.data(), fds.size(), static_cast<int>(std::max<std::int64_t>(0, wait.count())));

    if (input_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      std::size_t burst = 0;
      while (burst < kMaxBurst) {
        const ssize_t n = ::read(input->read_fd.get(), buf.data(), buf.size());
        if (n > 0) {
          spool::Spool::Appender locked(spool);
          appender = &locked;
          splitter.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)), to_spool);
          appender = nullptr;
          burst += static_cast<std::size_t>(n);
          continue;
        }
        if (n == 0) {  // only stdin ends: we hold a write end of our FIFO
          spdlog::info("end of input; delivering what is pending");
          splitter.flush(to_spool);
          input_open = false;
          stop = true;
        } else if (errno != EAGAIN && errno != EINTR) {
          spdlog::error("reading input: {}", std::strerror(errno));
        }
        break;
      }
      if (auto st = spool.flush(); !st && st.error().message != last_spool_error) {
        last_spool_error = st.error().message;
        spdlog::error("spool write failed, lines are being lost and counted: {}", last_spool_error);
      }
      if (burst) shipper.on_input();
    }
    if (fds[1].revents & POLLIN) cli::read_agent_signals(sigfd.get(), stop);
    if (clock.now() >= next_status) {
      (void)spool.flush();  // lets the fsync interval run while input is quiet
      write_status(c, shipper, spool, input->description, clock);
      next_status = clock.now() + c.status_interval;
    }
  }

  // Stop reading; whatever was read is in the spool. Deliver what the grace allows.
  splitter.flush(to_spool);
  if (auto st = spool.sync(); !st) spdlog::error("spool: {}", st.error().message);
  shipper.on_input();
  shipper.request_stop(clock.now() + c.shutdown_grace);
  sender.join();
  const auto left = spool.stats().pending_records;
  if (left) spdlog::info("{} lines stay in the spool for the next start", left);
  write_status(c, shipper, spool, input->description, clock);
  return cli::kExitOk;
}

}  // namespace logship::push
