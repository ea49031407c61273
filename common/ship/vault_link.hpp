// VaultLink: delivers one batch to the vault and reports whether it was acknowledged.
// The shipper sees only this interface; SshVaultLink is the real one (one exec channel per
// batch, exit status 0 = acknowledged), tests inject failures with their own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ssh/options.hpp"
#include "util/result.hpp"

namespace logship::ssh {
class Session;
class Channel;
}  // namespace logship::ssh

namespace logship::ship {

class VaultLink {
 public:
  virtual ~VaultLink() = default;
  // One batch, streamed: open() readies a channel (connecting if needed), write() sends the
  // next piece, finish() sends EOF and waits for the acknowledgement. Any error means "not
  // known to be stored": the caller sends the same batch again later, from open() on.
  virtual Result<void> open() = 0;
  virtual Result<void> write(std::string_view piece) = 0;
  virtual Result<void> finish() = 0;
  // Forgets the connection (the next open reconnects).
  virtual void reset() = 0;
  // Called every few seconds while no batch is being sent: keeps the connection answering.
  virtual void idle() {}
  // From now on any wait of the link (connecting included) ends at once, as a failure, while
  // `interrupted` says true: a sender told to stop does not sit out a network timeout.
  virtual void set_interrupt(std::function<bool()> interrupted) { (void)interrupted; }
  // Connections made so far, the first included.
  virtual std::uint64_t connections() const = 0;

  // open, write, finish: one batch held whole.
  Result<void> deliver(std::string_view batch);
};

class SshVaultLink final : public VaultLink {
 public:
  static constexpr std::size_t kSlice = 256 * 1024;  // bytes written per liveness deadline

  SshVaultLink(ssh::SessionOptions options, std::string remote_command);
  ~SshVaultLink() override;

  Result<void> open() override;
  Result<void> write(std::string_view piece) override;
  Result<void> finish() override;
  void reset() override;
  void idle() override;
  void set_interrupt(std::function<bool()> interrupted) override;
  std::uint64_t connections() const override { return connections_; }

 private:
  Result<void> failed(
      Result<void> st);  // drops the channel, and the session unless only the command failed

  ssh::SessionOptions options_;
  std::string command_;
  std::unique_ptr<ssh::Session> session_;
  std::unique_ptr<ssh::Channel> channel_;  // the batch being written
  std::unique_ptr<ssh::Channel> next_;     // opened while the previous batch was acknowledged
  std::uint64_t connections_ = 0;
};

}  // namespace logship::ship
