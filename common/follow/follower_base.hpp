// FollowerBase: what every Follower does the same way: it owns the local output and the
// checkpoint file of one followed file, reconciles them at start, saves checkpoints through
// the Syncer, writes heartbeats, and keeps the state the status file shows (each change logged
// once). SftpFollower and TailFollower add how they read.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "follow/checkpoint.hpp"
#include "follow/follower.hpp"
#include "follow/output.hpp"
#include "follow/syncer.hpp"

namespace logship::follow {

class FollowerBase : public Follower {
 public:
  ~FollowerBase() override;  // waits until its checkpoint is saved

 protected:
  FollowerBase(std::string remote, std::unique_ptr<Output> output, CheckpointFile file,
               Syncer& syncer, const Clock& clock);

  // Loads the last saved checkpoint (failing with ErrorKind::config) and reconciles the output
  // with it (repairs logged); returns the checkpoint to resume from.
  Result<Checkpoint> recover();
  // Writes the open batch, then hands the checkpoint {generation, identity, offset, the
  // output's size and seal} to the Syncer if it differs from the last one; `wait`: until it is
  // saved. An earlier save's failure is returned first.
  Result<void> save(std::uint64_t generation, const FileIdentity& identity, std::uint64_t offset,
                    bool wait);
  // A heartbeat batch (framed) once none was written for `interval`, with state= and `fields`.
  Result<void> write_heartbeat(std::chrono::seconds interval,
                               const std::vector<vault::Field>& fields);
  void set_state(FileState state, const std::string& problem);  // logs a change
  FileStatus base_status() const;                               // status_ with the output's size

  const std::string& remote() const { return status_.remote; }

  std::unique_ptr<Output> out_;
  CheckpointFile file_;
  Syncer& syncer_;
  const Clock& clock_;
  FileStatus status_;

 private:
  Checkpoint submitted_;  // the last checkpoint handed to the Syncer (or loaded)
};

}  // namespace logship::follow
