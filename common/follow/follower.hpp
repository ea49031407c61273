// Follower: one followed remote file and its local copy, as the Puller drives it. Two kinds:
// SftpFollower (resumable, rotation-safe) and TailFollower (a forced `tail -F`). A follower
// keeps its own checkpoint; the Puller owns the connection and the schedule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/clock.hpp"
#include "util/result.hpp"
#include "vault/control_line.hpp"

namespace logship::ssh {
class Session;
}  // namespace logship::ssh

namespace logship::follow {

// Where the following of one file stands.
enum class FileState {
  starting,
  following,    // read as it grows
  draining,     // the path names another file or nothing: the file held open is read meanwhile
  missing,      // the path names nothing; retried
  unreadable,   // permission denied; retried
  not_regular,  // the path names a directory, a dangling symlink or a special file; retried
  error,        // the file or the local copy failed; retried (see `problem`)
  ended,        // tail mode: the remote command ended; started again
};
// What happened to the followed file last.
enum class FileEvent {
  started,        // the first file: read from 0
  rotated,        // renamed away (or deleted) and a new file followed from 0
  truncated,      // cut, no rotated copy found: read again from 0
  copytruncated,  // cut, the rest read from the rotated copy: read again from 0
  replaced,       // the path named another file and the old one was not found
  restarted,      // tail mode: the remote command was started again
};

// The names the status file, the log and heartbeats show ("not-regular", "copytruncated").
std::string_view to_string(FileState s);
std::string_view to_string(FileEvent e);

// What the status file shows about one followed file.
struct FileStatus {
  std::string remote, local;
  FileState state = FileState::starting;
  std::string problem;            // the current problem, "" when none
  std::uint64_t generation = 0;   // fid of the file followed
  std::uint64_t offset = 0;       // resumable remote offset (all bytes before it are local)
  std::uint64_t remote_size = 0;  // size seen at the last look
  std::uint64_t local_size = 0;
  std::uint64_t bytes = 0;            // remote bytes copied since start
  std::uint64_t rotations = 0;        // rename rotations (old file finished first)
  std::uint64_t truncations = 0;      // truncations without a copy found (bytes may be lost)
  std::uint64_t copytruncations = 0;  // truncations whose rest was read from the rotated copy
  std::uint64_t replaced = 0;         // the path named another file and the old one was not found
  std::uint64_t reconnect_lines = 0;  // tail mode: lines tail printed again after a reconnect
  std::optional<FileEvent> last_event;
  std::optional<WallTime> last_event_time;
  std::optional<WallTime> last_data;  // when bytes last arrived
};

// What `e` says, or, should it say nothing, what kind of failure it was: every failure shown in
// the status file and the log names a cause.
inline std::string cause(const Error& e) {
  return e.message.empty() ? std::string(to_string(e.kind)) + " failure (no reason was given)"
                           : e.message;
}

class RemoteFiles;

// Links the Puller hands to a poll: the SSH session (tail mode), the remote files (sftp mode).
struct Link {
  ssh::Session* session = nullptr;
  RemoteFiles* files = nullptr;
};

class Follower {
 public:
  virtual ~Follower() = default;

  // Loads the checkpoint and reconciles the local output with it. Errors are fatal (config).
  virtual Result<void> start() = 0;
  // Asks for the requests of its next look without waiting, so that the looks of several files
  // share a round trip; poll() then takes their answers (nothing by default).
  virtual void ask(Link& /*link*/) {}
  // One look and read (at most a burst). Returns only transport errors (the caller reconnects);
  // problems of the file itself become its state.
  virtual Result<void> poll(Link& link) = 0;
  // The connection is gone: open handles and channels are void.
  virtual void disconnected() = 0;
  // True when a poll stopped at its burst limit with more to read.
  virtual bool busy() const = 0;
  // True when the last poll read new bytes: the file is being written, look again soon.
  virtual bool active() const = 0;
  // Makes what was written durable, then saves the checkpoint (when anything changed), on the
  // Syncer's thread; `wait`: before returning. Returns an earlier save's failure, if any.
  virtual Result<void> checkpoint(bool wait) = 0;
  // Writes a heartbeat batch (framed) when none was written for `interval`; `fields` are added.
  virtual Result<void> heartbeat(std::chrono::seconds interval,
                                 const std::vector<vault::Field>& fields) = 0;
  // Asks for what close() then waits for, so that the closes of all files share a round trip.
  virtual void ask_close(Link& /*link*/) {}
  // Ends cleanly on a live link, by `deadline`: channels closed (a remote tail exits), handles
  // closed. Returns what failed (the link is then not worth trying further).
  virtual Result<void> close(Link& link, SteadyTime deadline) = 0;
  virtual FileStatus status() const = 0;
};

}  // namespace logship::follow
