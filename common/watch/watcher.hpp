// logship-verify --follow: watches every stream of a vault as its files grow, in one process.
// Each round (every poll interval) reads what each stream's file gained (a bounded amount per
// stream, so one busy or hostile stream cannot hold the others up), reports findings as they
// are found, measures silence, journals the state and hands verified lines on (--emit).
// A re-verification from the start runs beside it on its own thread (--rescan-interval,
// SIGUSR1) and reports what changed in bytes already verified.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "util/clock.hpp"
#include "util/instance_lock.hpp"
#include "util/result.hpp"
#include "watch/alarm.hpp"
#include "watch/config.hpp"
#include "watch/emit.hpp"
#include "watch/journal.hpp"
#include "watch/stream.hpp"

namespace logship::watch {

struct WatchOptions {
  std::vector<StreamConfig> streams;
  std::filesystem::path state_dir;
  std::optional<std::filesystem::path> status_file, prometheus_file;
  std::optional<std::filesystem::path> emit;  // "-": stdout
  EmitFormat emit_format = EmitFormat::raw;
  std::optional<std::string> on_finding;
  std::chrono::seconds rescan_interval{std::chrono::hours(6)};  // 0: only on request
  std::chrono::milliseconds poll_interval{250};
  std::uint64_t read_budget = 16 << 20;  // bytes per stream per round
};

class Watcher {
 public:
  // Takes the state directory's lock, reads the keys, loads the journal and completes the
  // emit file. Errors name the cause and the fix.
  static Result<std::unique_ptr<Watcher>> start(WatchOptions options, const Clock& clock);
  ~Watcher();

  // One round over every stream; `interrupted` is asked between streams (a stop request: the
  // round ends early, what was read is kept).
  Result<void> round(const std::function<bool()>& interrupted = {});
  // When the next round is due: at once while a stream catches up, else after the interval.
  std::chrono::milliseconds poll_interval() const;
  // A re-verification of every stream from the start (SIGUSR1).
  void request_rescan();
  // The emit file is opened again (SIGHUP, after it was rotated).
  Result<void> reopen_emit();
  // The last round and a checkpoint (SIGTERM).
  Result<void> stop();

 private:
  Watcher(WatchOptions options, const Clock& clock);
  Result<void> load();
  void on_report(const WatchedStream& s, const vault::Finding& f);
  Result<void> commit_round();
  Result<void> write_status();
  void rescan_loop();

  WatchOptions opt_;
  const Clock& clock_;
  std::optional<InstanceLock> lock_;
  std::optional<Journal> journal_;
  std::optional<EmitFile> emit_;
  std::unique_ptr<Alarm> alarm_;
  std::vector<std::unique_ptr<WatchedStream>> streams_;
  std::map<std::string, std::string> records_;  // name -> latest record (the checkpoint)
  std::uint64_t next_round_ = 1;
  SteadyTime last_compact_{}, last_status_{}, last_rescan_{};
  bool emit_unsynced_ = false;  // lines written since the emit file was last synced

  // The re-verification thread: asks for the streams' files under mu_, verifies without it,
  // and leaves its findings for the next round.
  struct RescanJob {
    std::size_t stream;
    std::vector<std::filesystem::path> files;
    std::vector<UniqueFd> fds;  // opened when the job was made: a rotation meanwhile is harmless
    std::optional<std::uint64_t> live_limit;  // how much of the last file (the live one)
    vault::VerifyOptions options;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RescanJob> rescan_jobs_;
  std::vector<std::pair<std::size_t, vault::Finding>> rescan_found_;
  bool rescan_busy_ = false;
  bool stopping_ = false;
  std::thread rescanner_;
  std::uint64_t rescans_done_ = 0;
};

}  // namespace logship::watch
