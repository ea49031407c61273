#include "push/agent.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <optional>
#include <thread>

#include "cli/agent_loop.hpp"
#include "input/intake.hpp"
#include "ship/shipper.hpp"
#include "spool/spool.hpp"
#include "status/publisher.hpp"
#include "status/push_status.hpp"
#include "util/wakeup.hpp"

namespace logship::push {

namespace fs = std::filesystem;

namespace {

constexpr std::chrono::milliseconds kTick{250};  // longest sleep of the input loop

// The intake's lines go into the spool, those of one read(2) under one lock.
class SpoolSink final : public input::LineSink {
 public:
  explicit SpoolSink(spool::Spool& spool) : spool_(spool) {}
  void begin_read() override { locked_.emplace(spool_); }
  Result<void> append(std::string_view piece, bool partial) override {
    return locked_->append(piece, partial);
  }
  // The spool's lock is held for the whole read: no call through the interface per line.
  Result<void> append_all(std::span<const vault::BatchBuilder::Piece> pieces) override {
    return input::append_each(pieces, [this](std::string_view bytes, bool partial) {
      return locked_->append(bytes, partial);
    });
  }
  void end_read() override { locked_.reset(); }
  Result<void> flush() override { return spool_.flush(); }
  std::uint64_t next_id() const override { return spool_.next_id(); }

 private:
  spool::Spool& spool_;
  std::optional<spool::Spool::Appender> locked_;
};

// Hands the JSON status and the Prometheus text, if configured, to the publisher.
void write_status(status::Publisher& publisher, const Config& c, const ship::Shipper& shipper,
                  const spool::Spool& spool, const std::string& input, const SystemClock& clock) {
  publisher.publish([&] {
    const auto s = shipper.status();
    const auto sp = spool.stats();
    return status::PushStatus{.source = c.source,
                              .stream = c.stream,
                              .pid = ::getpid(),
                              .updated = clock.wall_now(),
                              .state = s.state,
                              .input = input,
                              .vault = c.ssh.endpoint(),
                              .last_ack = s.last_ack,
                              .last_acked_seq = s.last_acked_seq,
                              .spool_bytes = sp.disk_bytes,
                              .backlog_lines = sp.pending_records,
                              .dropped = sp.dropped_records,
                              .dropped_reported = s.dropped_sent,
                              .batches = s.batches,
                              .failures = s.failures,
                              .connections = s.connections,
                              .last_error = s.last_error,
                              .last_error_kind = s.last_error_kind,
                              .spool_error = sp.last_write_error};
  });
}

}  // namespace

void keep_key(const fs::path& dir, const crypto::Digest& k0) {
  auto file = ship::PushStateFile::open(state_file(dir));
  if (!file) throw std::runtime_error(file.error().message);
  if (auto st = file->save(ship::PushState{0, std::nullopt, vault::SealState::initial(k0)}); !st)
    throw std::runtime_error(st.error().message);
  SystemClock clock;
  auto sp = spool::Spool::open({spool_dir(dir)}, clock);
  if (!sp) throw std::runtime_error(sp.error().message);
}

int run_agent(const Config& c) {
  SystemClock clock;
  Wakeup wake;  // wakes the sender; outlives the state file, whose sync thread rings it
  if (!fs::exists(state_file(c.state_dir)))
    throw cli::UsageError("state directory " + c.state_dir.string() +
                          " is not initialised; run: logship-push init --state-dir " +
                          c.state_dir.string() + " --key-out FILE");
  const auto lock = cli::lock_state_dir(c.state_dir);
  if (!lock) return cli::kExitOk;

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
  SpoolSink sink(spool);
  // What the previous run took from the FIFO and did not spool (killed) is spooled first.
  auto landing = input::Landing::open(c.state_dir);
  if (!landing)
    spdlog::error("{}; reading the input into memory: a kill can lose the lines of one read",
                  landing.error().message);
  input::Intake intake(std::move(*input), sink, c.max_line, landing ? landing->get() : nullptr);

  // before the sender starts, so that it inherits the mask (the spool's own thread blocks all)
  cli::AgentLoop loop(clock, c.status.interval);
  // The status files are written on a thread of their own: never by the thread reading the FIFO.
  status::Publisher publisher(c.status.files);

  ssh::SessionOptions session = c.ssh;
  session.clock = &clock;  // every deadline is measured on the agent's clock
  ship::SshVaultLink link(session, c.remote_command);
  Backoff::Policy backoff;
  backoff.cap = c.retry_max;
  backoff.base = std::min(backoff.base, c.retry_max);
  // --state-sync seal: the sender writes the state at each batch and waits for the disk only
  // before an end line, so a busy disk delays a batch's seal, not its lines. With send, every
  // record is synced as it is written (PUSH.md, Delivery).
  if (!c.state_sync_before_send) file->sync_in_background([&wake] { wake.notify(); });
  ship::Shipper shipper({c.source, c.stream, c.policy, backoff}, spool, *file, std::move(state),
                        link, clock);
  // The sender: the shipper stepped by the clock, on its own thread, so that a slow vault never
  // holds up the reading of the FIFO.
  std::thread sender([&] {
    for (shipper.tick(); !shipper.finished(); shipper.tick())
      wake.wait_until(shipper.next_deadline());
  });
  spdlog::info("reading {}, shipping to {} as source {} stream {}", intake.description(),
               c.ssh.endpoint(), c.source, c.stream);

  while (!loop.stopping()) {
    if (loop.wait(intake.fd(), clock.now() + kTick)) {
      if (intake.drain() && shipper.on_input()) wake.notify();
      if (intake.ended()) loop.stop();
    }
    if (loop.status_due()) {
      (void)spool.flush();  // lets the fsync interval run while input is quiet
      write_status(publisher, c, shipper, spool, intake.description(), clock);
    }
  }

  // Stop reading; whatever was read is in the spool. Deliver what the grace allows.
  intake.finish();
  if (auto st = spool.sync(); !st) spdlog::error("spool: {}", st.error().message);
  shipper.on_input();
  shipper.request_stop(clock.now() + c.shutdown_grace);
  wake.notify();
  sender.join();
  const auto left = spool.stats().pending_records;
  if (left) spdlog::info("{} lines stay in the spool for the next start", left);
  write_status(publisher, c, shipper, spool, intake.description(), clock);
  return cli::kExitOk;
}

}  // namespace logship::push
