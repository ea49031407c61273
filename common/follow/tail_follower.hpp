// TailFollower: the classic pull, for a key whose forced command is `tail -F FILE`: whatever the
// command prints goes to the local output. Nothing is resumable: after a reconnect `tail -F`
// prints the file's last 10 lines again and what was written meanwhile beyond them is never
// seen (docs/PULL.md has the measurement). The channel is closed so the remote tail exits.
#pragma once

#include <chrono>
#include <memory>

#include "follow/follower_base.hpp"
#include "ssh/channel.hpp"

namespace logship::follow {

struct TailFollowOptions {
  std::string remote;   // the followed path (what the forced command tails)
  std::string command;  // sent as the exec command; a forced command wins
  std::chrono::milliseconds op_timeout{30'000};  // ms
};

class TailFollower final : public FollowerBase {
 public:
  TailFollower(TailFollowOptions options, std::unique_ptr<Output> output, CheckpointFile file,
               Syncer& syncer, const Clock& clock);

  Result<void> start() override;
  Result<void> poll(Link& link) override;
  void disconnected() override;
  bool busy() const override { return false; }
  bool active() const override { return false; }  // (the command streams; nothing to ask)
  Result<void> checkpoint(bool wait) override;
  Result<void> heartbeat(std::chrono::seconds interval,
                         const std::vector<vault::Field>& fields) override;
  Result<void> close(Link& link, SteadyTime deadline) override;
  FileStatus status() const override;

 private:
  TailFollowOptions options_;
  std::unique_ptr<ssh::Channel> channel_;
  std::string buf_;
  std::uint64_t runs_ = 0;  // commands started
};

}  // namespace logship::follow
