#include "follow/sftp_files.hpp"

#include "ssh/sftp_wire.hpp"

namespace logship::follow {

namespace {

// What a failed call of `sftp` was: a problem of the file when the server refused it for one.
RemoteError failure(const ssh::SftpSession& sftp, const Error& e) {
  const bool of_file = e.kind == ErrorKind::remote_refused;
  return RemoteError{e, of_file ? sftp.last_problem() : FileProblem::none};
}

template <class T>
RemoteResult<T> remote(const ssh::SftpSession& sftp, Result<T> r) {
  if (!r) return failure(sftp, r.error());
  return std::move(*r);
}

struct PendingAnswer final : RemoteFiles::Asked::Answer {
  explicit PendingAnswer(ssh::Pending p) : pending(std::move(p)) {}
  ssh::Pending pending;
};

RemoteFiles::Asked asked(ssh::Pending p) {
  if (!p) return {};
  return RemoteFiles::Asked(std::make_unique<PendingAnswer>(std::move(p)));
}

ssh::Pending pending(RemoteFiles::Asked& a) {
  auto answer = a.take();
  return answer ? std::move(static_cast<PendingAnswer&>(*answer).pending) : ssh::Pending();
}

class SftpFilesRead final : public RemoteRead {
 public:
  SftpFilesRead(ssh::SftpSession& sftp, const ssh::SftpFile& file, std::uint64_t offset,
                std::uint64_t max_bytes, ssh::ReadTuning tuning, std::chrono::milliseconds patience)
      : sftp_(sftp), read_(sftp, file, offset, max_bytes, tuning), patience_(patience) {}
  void start(unsigned requests) override { read_.start(requests); }
  RemoteResult<ssh::ReadResult> run(const ssh::Sink& sink) override {
    return remote(sftp_, read_.run(sink, patience_));  // (a liveness bound for each reply)
  }

 private:
  ssh::SftpSession& sftp_;
  ssh::SftpRead read_;
  std::chrono::milliseconds patience_;
};

}  // namespace

RemoteResult<ssh::FileAttrs> SftpFiles::stat(const std::string& path) {
  return remote(sftp_, sftp_.stat(path, deadline()));
}

RemoteResult<ssh::FileAttrs> SftpFiles::lstat(const std::string& path) {
  return remote(sftp_, sftp_.lstat(path, deadline()));
}

RemoteResult<ssh::SftpFile> SftpFiles::open(const std::string& path) {
  return remote(sftp_, sftp_.open(path, ssh::sftp::kRead, deadline()));
}

Result<void> SftpFiles::close(ssh::SftpFile& file, std::optional<SteadyTime> by) {
  return by ? sftp_.close(file, *by) : sftp_.close(file, deadline());
}

RemoteFiles::Asked SftpFiles::ask_stat(const std::string& path) {
  return asked(sftp_.ask_stat(path));
}

RemoteFiles::Asked SftpFiles::ask_fstat(const ssh::SftpFile& file) {
  return asked(sftp_.ask_fstat(file));
}

RemoteFiles::Asked SftpFiles::ask_read(const ssh::SftpFile& file, std::uint64_t offset,
                                       std::uint32_t length) {
  return asked(sftp_.ask_read(file, offset, length));
}

RemoteFiles::Asked SftpFiles::ask_close(ssh::SftpFile& file) {
  return asked(sftp_.ask_close(file));
}

RemoteResult<ssh::FileAttrs> SftpFiles::take_attrs(Asked& a) {
  auto p = pending(a);
  return remote(sftp_, sftp_.take_attrs(p, deadline()));
}

RemoteResult<std::string> SftpFiles::take_bytes(Asked& a) {
  auto p = pending(a);
  auto r = sftp_.take_data(p, deadline());
  if (!r) return failure(sftp_, r.error());
  return *r ? std::string(**r) : std::string();
}

Result<void> SftpFiles::take_closed(Asked& a, SteadyTime deadline) {
  auto p = pending(a);
  return sftp_.take_status(p, deadline);
}

std::unique_ptr<RemoteRead> SftpFiles::read(const ssh::SftpFile& file, std::uint64_t offset,
                                            std::uint64_t max_bytes, ssh::ReadTuning tuning) {
  return std::make_unique<SftpFilesRead>(sftp_, file, offset, max_bytes, tuning, op_timeout_);
}

}  // namespace logship::follow
