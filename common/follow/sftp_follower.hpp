// SftpFollower: follows one remote file over SFTP like `tail -F --retry`, resumable and
// rotation-safe (docs/PULL.md). Each look is one round trip: the stat of the path, the fstat and
// first bytes of the file held open (has it been truncated?) and the first reads from the offset
// are asked for together; classify() then decides whether the path still names the held file,
// and the read goes on to EOF (pipelined) or is dropped:
//  - rename rotation / delete + create: the held file is read to its end once the new one has
//    data (the writer has moved on), then the new one is read from 0;
//  - truncation / copytruncate: the rest is read from the rotated copy when one with the same
//    identity exists (patterns), then the file is read again from 0; the event is recorded;
//  - missing, unreadable, a directory, a dangling symlink: the state, logged once per change.
// A new file generation is checkpointed before any of its bytes are written. Between full looks
// (at most a poll interval apart while the file changes), and while the path looks quiet, a
// short look asks only for the stat, the bytes just before the offset (they must still be the
// ones copied: else a full look) and the reads.
// The host is reached through RemoteFiles (SftpFiles in the agent; tests use an in-memory one).
// sftp_follower.cpp holds the looks, sftp_generation.cpp the generations, reads and checkpoints.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "follow/classify.hpp"
#include "follow/follower_base.hpp"
#include "follow/remote_files.hpp"

namespace logship::follow {

struct SftpFollowOptions {
  std::string remote;                             // the followed path on the monitored host
  std::vector<std::string> rotated_patterns;      // where rotated copies are (rotated_names.hpp)
  std::chrono::milliseconds poll{500};            // ms; a full look at least this often
  std::uint64_t burst = 16u << 20;                // bytes read per poll before others get a turn
  std::chrono::milliseconds partial_wait{5'000};  // ms; then an incomplete line is a fragment
  ssh::ReadTuning tuning;                         // READs in flight
};

class SftpFollower final : public FollowerBase {
 public:
  SftpFollower(SftpFollowOptions options, std::unique_ptr<Output> output, CheckpointFile file,
               Syncer& syncer, const Clock& clock);

  Result<void> start() override;
  void ask(Link& link) override;
  Result<void> poll(Link& link) override;
  void disconnected() override;
  bool busy() const override { return busy_; }
  bool active() const override { return got_data_; }
  Result<void> checkpoint(bool wait) override;
  Result<void> heartbeat(std::chrono::seconds interval,
                         const std::vector<vault::Field>& fields) override;
  void ask_close(Link& link) override;
  Result<void> close(Link& link, SteadyTime deadline) override;
  FileStatus status() const override;

 private:
  // The stat of the path asked for in `stat` (problems as Kind; a missing path is lstat'ed).
  RemoteResult<Stat> path_attrs(RemoteFiles& files, RemoteFiles::Asked& stat);
  RemoteResult<Stat> look(RemoteFiles& files);  // stat of the path, now
  RemoteResult<std::string> head(RemoteFiles& files, const ssh::SftpFile& f);  // first bytes
  // Asks for the bytes just before the offset (none at 0); see tail_.
  RemoteFiles::Asked ask_tail(RemoteFiles& files, const ssh::SftpFile& f);
  // A read of `f` from the output's origin offset, its first READs asked for now.
  std::unique_ptr<RemoteRead> ask_reads(RemoteFiles& files, const ssh::SftpFile& f, bool ahead);
  // Opens the followed path into `f` and reads its first bytes into `start`. When the open is
  // refused (a problem of the file), `f` stays empty; other errors are returned.
  RemoteStatus open_with_head(RemoteFiles& files, std::optional<ssh::SftpFile>& f,
                              std::string& start);
  RemoteStatus open_path(RemoteFiles& files);    // no file held: the first look
  RemoteStatus follow_held(RemoteFiles& files);  // a file is held open: a full look
  // The requests of one look at the held file, asked for together.
  struct Look {
    bool full = false;  // else a short look (see the top of this file)
    SteadyTime asked{};
    RemoteFiles::Asked stat, fstat, head, tail;
    std::unique_ptr<RemoteRead> reads;
  };
  bool wants_full_look() const;
  // `ahead`: asked for before other files' turns (its reads begin with one READ).
  Look ask_look(RemoteFiles& files, bool full, bool ahead);
  // A short look; `done` false: a full look is needed (what it asked for is dropped).
  RemoteStatus short_look(RemoteFiles& files, Look& look, bool& done);
  // Reads f from the output's origin offset to EOF (at most a burst unless `unlimited`),
  // going on with `started` if given (its READs asked for from that offset).
  RemoteStatus read_to_eof(RemoteFiles& files, const ssh::SftpFile& f, bool unlimited,
                           RemoteRead* started = nullptr);
  void appended(std::string_view bytes);  // bookkeeping of bytes handed to the output
  // Reads the rest of the current generation from a rotated copy; the copy's path, or "".
  RemoteResult<std::string> finish_from_copy(RemoteFiles& files);
  // Ends the current generation and starts one on `file` (first bytes `start`) at offset 0.
  RemoteStatus start_generation(RemoteFiles& files, ssh::SftpFile file, std::string_view start,
                                FileEvent event, const std::string& copy);
  Result<void> save(bool wait);         // sync + checkpoint (Syncer), when anything changed
  Result<void> local(Result<void> st);  // notes a failure of the local output
  void fail_locally(const Error& e);    // the output failed: start again from the checkpoint
  void restore_output();                // ... which is this
  void path_absent(const Stat& a);
  void close_handle(RemoteFiles& files, std::optional<ssh::SftpFile>& f);

  SftpFollowOptions options_;
  std::uint64_t generation_ = 0;       // the file followed (0: none yet)
  FileIdentity identity_;              // its identity
  std::optional<ssh::SftpFile> held_;  // the file followed, open
  RemoteFiles::Asked closing_;         // its close, asked for at exit
  std::optional<Look> look_;           // the next look, asked for ahead (ask())
  // The path at the last full look that found everything read, and since when it looks so.
  // SFTP times are whole seconds: a file rewritten to the same size within the second of its
  // last change looks the same to a stat. So a stat alone is trusted (a quiet look) only once
  // a full look asked for kMtimeGranularity after the first one's answer came found it
  // unchanged (that second was over on the host, however long the round trips took).
  struct QuietPath {
    Stat attrs;
    SteadyTime since{};
    bool trusted = false;
  };
  static constexpr std::chrono::milliseconds kMtimeGranularity{1500};  // ms, with a margin
  std::optional<QuietPath> last_path_;
  bool draining_ = false;  // the path no longer names the held file
  bool busy_ = false;
  bool got_data_ = false;           // the last poll read bytes
  bool full_pipeline_ = false;      // this poll goes on with a catch-up: all READs asked at once
  std::uint64_t got_before_ = 0;    // bytes the last poll read
  std::uint64_t bytes_before_ = 0;  // status_.bytes when this poll began
  // The last bytes before the origin offset (at most kTailBytes), as copied; tail_known_: they
  // are (after a start or reconnect, only once a full look read them). A short look reads them
  // again: different bytes there mean the file was rewritten, and a full look decides.
  static constexpr std::size_t kTailBytes = 64;
  std::string tail_;
  bool tail_known_ = false;
  std::optional<SteadyTime> last_full_look_;  // when the last full look began
  SteadyTime look_started_{};                 // when the current look was asked for
  bool broken_ = false;                       // the output failed; restore_output() before going on
  std::optional<Error> local_error_;          // of the current poll
  SteadyTime last_growth_{};                  // when bytes last arrived
};

}  // namespace logship::follow
