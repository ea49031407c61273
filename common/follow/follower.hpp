// Follower: one followed remote file and its local copy, as the Puller drives it. Two kinds:
// SftpFollower (resumable, rotation-safe) and TailFollower (a forced `tail -F`). A follower
// keeps its own checkpoint; the Puller owns the connection and the schedule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/clock.hpp"
#include "util/result.hpp"
#include "vault/control_line.hpp"

namespace logship::ssh {
class Session;
class SftpSession;
}  // namespace logship::ssh

namespace logship::follow {

// What the status file shows about one followed file.
struct FileStatus {
  std::string remote, local;
  std::string state = "starting";  // following, draining, missing, unreadable, not-regular, ...
  std::string problem;             // the current problem, "" when none
  std::uint64_t generation = 0;    // fid of the file followed
  std::uint64_t offset = 0;        // resumable remote offset (all bytes before it are local)
  std::uint64_t remote_size = 0;   // size seen at the last look
  std::uint64_t local_size = 0;
  std::uint64_t bytes = 0;            // remote bytes copied since start
  std::uint64_t rotations = 0;        // rename rotations (old file finished first)
  std::uint64_t truncations = 0;      // truncations without a copy found (bytes may be lost)
  std::uint64_t copytruncations = 0;  // truncations whose rest was read from the rotated copy
  std::uint64_t replaced = 0;         // the path named another file and the old one was not found
  std::uint64_t reconnect_lines = 0;  // tail mode: lines tail printed again after a reconnect
  std::string last_event;             // "rotated", "truncated", ...
  std::optional<WallTime> last_event_time;
  std::optional<WallTime> last_data;  // when bytes last arrived
};

// What `e` says, or, should it say nothing, what kind of failure it was: every failure shown in
// the status file and the log names a cause.
inline std::string cause(const Error& e) {
  return e.message.empty() ? std::string(to_string(e.kind)) + " failure (no reason was given)"
                           : e.message;
}

// Links the Puller hands to a poll: the SSH session, and the SFTP session in sftp mode.
struct Link {
  ssh::Session& session;
  ssh::SftpSession* sftp = nullptr;
};

class Follower {
 public:
  virtual ~Follower() = default;

  // Loads the checkpoint and reconciles the local output with it. Errors are fatal (config).
  virtual Status start() = 0;
  // Asks for the requests of its next look without waiting, so that the looks of several files
  // share a round trip; poll() then takes their answers (nothing by default).
  virtual void ask(Link& /*link*/) {}
  // One look and read (at most a burst). Returns only transport errors (the caller reconnects);
  // problems of the file itself become its state.
  virtual Status poll(Link& link) = 0;
  // The connection is gone: open handles and channels are void.
  virtual void disconnected() = 0;
  // True when a poll stopped at its burst limit with more to read.
  virtual bool busy() const = 0;
  // True when the last poll read new bytes: the file is being written, look again soon.
  virtual bool active() const = 0;
  // Makes what was written durable, then saves the checkpoint (when anything changed), on the
  // Syncer's thread; `wait`: before returning. Returns an earlier save's failure, if any.
  virtual Status checkpoint(bool wait) = 0;
  // Writes a heartbeat batch (framed) when none was written for `interval`; `fields` are added.
  virtual Status heartbeat(std::chrono::seconds interval,
                           const std::vector<vault::Field>& fields) = 0;
  // Asks for what close() then waits for, so that the closes of all files share a round trip.
  virtual void ask_close(Link& /*link*/) {}
  // Ends cleanly on a live link, by `deadline`: channels closed (a remote tail exits), handles
  // closed. Returns what failed (the link is then not worth trying further).
  virtual Status close(Link& link, SteadyTime deadline) = 0;
  virtual FileStatus status() const = 0;
};

}  // namespace logship::follow
