// One stream watched by logship-verify --follow: its files (the rotated ones, then the live
// one followed as it grows), its live verifier, silence measured on the watcher's clock, and
// the checkpoint it resumes from. Findings go to the watcher through `Report`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "crypto/sha256.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/result.hpp"
#include "vault/findings.hpp"
#include "vault/verifier.hpp"
#include "watch/config.hpp"
#include "watch/emit.hpp"
#include "watch/stream_record.hpp"

namespace logship::watch {

// What a stream is doing.
enum class StreamPhase { waiting, following };
std::string_view to_string(StreamPhase p);

// What the status file and the metrics show of a stream.
struct StreamView {
  std::string name;
  std::filesystem::path file;
  StreamPhase phase = StreamPhase::waiting;
  bool has_batches = false;
  std::uint64_t last_seq = 0;
  vault::VaultTime last_batch_time{};  // the sender's time= of the last batch
  WallTime last_seen{};                // when the watcher last saw a new batch
  std::chrono::seconds silence{0};     // since then
  bool silent = false;                 // a silence finding stands
  std::uint64_t bytes_verified = 0;
  std::map<std::string, std::uint64_t> findings;  // by kind
  std::uint64_t infos = 0;
};

class WatchedStream {
 public:
  using Report = std::function<void(const WatchedStream&, const vault::Finding&)>;

  // `emit_format`: null when nothing is emitted.
  WatchedStream(StreamConfig config, const crypto::Digest& key, Report report,
                const EmitFormat* emit_format, const Clock& clock);
  ~WatchedStream();

  // Goes on from a checkpoint (call before the first poll).
  void restore(StreamRecord record);
  // The first n bytes of lines it emits are in the emit file already (see journal.hpp).
  void skip_emitted(std::uint64_t n) {
    if (emit_) emit_->skip(n);
  }

  // One look: opens the file once it exists, follows rotation, notices truncation and
  // replacement, reads what was appended (at most `budget` bytes), measures silence.
  void poll(std::uint64_t budget);

  // Whether the checkpoint changed since record() was last taken.
  bool dirty() const { return dirty_; }
  // The checkpoint (as of the last settled point) and the emitted bytes it covers.
  StreamRecord record();
  // Emitted bytes covered by the checkpoint: the watcher hands them on, then take_emitted().
  std::string_view emitted() const;
  void take_emitted();

  const StreamConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  StreamView view() const;
  // The files of the stream so far, oldest first, and how much of the last one is verified
  // (a re-verification from the start stops there).
  std::vector<std::filesystem::path> files() const;
  std::uint64_t live_offset() const { return verifier_ ? verifier_->live_offset() : 0; }
  // The last look stopped at its budget with much more to read (catching up).
  bool backlog() const { return backlog_; }

  // How its files are verified (key included).
  vault::VerifyOptions options() const;

  // A finding of a re-verification from the start: reported unless it was reported before.
  void rescan_finding(const vault::Finding& f);

 private:
  void report(vault::Finding f);
  void from_verifier(const vault::Finding& f);
  void remember(const std::string& key);
  void start_fresh();
  bool open_live(std::uint64_t start);
  void finish_live(const std::filesystem::path& name, bool keep);
  std::optional<std::filesystem::path> rotated_name() const;
  // The live file's size when the path still names it; nullopt otherwise (then handled).
  std::optional<std::uint64_t> check_file();
  void look(std::uint64_t budget);
  void refresh_last();
  void settled();
  void check_silence();
  std::chrono::seconds quiet_for() const;
  void arm();
  std::unique_ptr<vault::Verifier> new_verifier();

  StreamConfig config_;
  crypto::Digest key_;
  Report report_;
  const Clock& clock_;
  std::unique_ptr<EmitBuffer> emit_;
  std::unique_ptr<vault::Verifier> verifier_;
  StreamPhase phase_ = StreamPhase::waiting;
  UniqueFd live_fd_;  // the live file, for its identity and link count
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool read_failing_ = false;
  bool complained_ = false;   // about a live path that is not a regular file
  SteadyTime last_growth_{};  // when the live file last gave new lines
  SteadyTime last_look_{};
  std::uint64_t last_size_ = UINT64_MAX;   // the live file's size at the last read
  bool read_more_ = false;                 // the last read found bytes: read again
  bool backlog_ = false;                   // and stopped well before the end of the file
  std::optional<std::uint64_t> last_seq_;  // of the last batch (status)
  vault::VaultTime last_batch_time_{};
  std::optional<SteadyTime> missing_since_;  // the live path vanished while followed
  StreamRecord saved_;                       // the checkpoint as of the last settled point
  std::size_t emit_ready_ = 0;               // emitted bytes covered by saved_
  std::vector<std::string> since_state_;     // keys of the verifier's findings since saved_
  std::vector<std::string> suppress_;        // reported before a restart: not again
  std::uint64_t batches_seen_ = 0;
  std::uint64_t bytes_before_ = 0;
  WallTime last_seen_;           // when the last new batch was seen (shown, kept)
  SteadyTime last_seen_steady_;  // the same on the monotonic clock (silence is measured on it)
  bool silent_ = false;
  std::map<std::string, std::uint64_t> findings_;
  std::uint64_t infos_ = 0;
  bool dirty_ = true;
  std::vector<std::filesystem::path> done_files_;  // rotated files verified, oldest first
  std::vector<std::string> known_;                 // finding keys reported, oldest first
  static constexpr std::size_t kKnownKept = 1024;
};

}  // namespace logship::watch
