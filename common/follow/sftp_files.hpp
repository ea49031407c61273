// SftpFiles: RemoteFiles over a live SFTP session. Every request waits at most `op_timeout`
// without progress (ssh::Deadline::live); a request the server refused for a reason of the file
// (no such file, permission denied, ...) fails with that FileProblem, anything else is the
// link's failure.
#pragma once

#include <chrono>

#include "follow/remote_files.hpp"

namespace logship::follow {

class SftpFiles final : public RemoteFiles {
 public:
  // `sftp` must outlive this.
  SftpFiles(ssh::SftpSession& sftp, std::chrono::milliseconds op_timeout)
      : sftp_(sftp), op_timeout_(op_timeout) {}

  RemoteResult<ssh::FileAttrs> stat(const std::string& path) override;
  RemoteResult<ssh::FileAttrs> lstat(const std::string& path) override;
  RemoteResult<ssh::SftpFile> open(const std::string& path) override;
  Result<void> close(ssh::SftpFile& file, std::optional<SteadyTime> deadline) override;
  Asked ask_stat(const std::string& path) override;
  Asked ask_fstat(const ssh::SftpFile& file) override;
  Asked ask_read(const ssh::SftpFile& file, std::uint64_t offset, std::uint32_t length) override;
  Asked ask_close(ssh::SftpFile& file) override;
  RemoteResult<ssh::FileAttrs> take_attrs(Asked& asked) override;
  RemoteResult<std::string> take_bytes(Asked& asked) override;
  Result<void> take_closed(Asked& asked, SteadyTime deadline) override;
  std::unique_ptr<RemoteRead> read(const ssh::SftpFile& file, std::uint64_t offset,
                                   std::uint64_t max_bytes, ssh::ReadTuning tuning) override;

 private:
  ssh::Deadline deadline() const { return ssh::Deadline::live(sftp_.clock(), op_timeout_); }

  ssh::SftpSession& sftp_;
  std::chrono::milliseconds op_timeout_;  // ms without progress that fail a request
};

}  // namespace logship::follow
