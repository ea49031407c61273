// FakeRemoteFiles: an in-memory monitored host for SftpFollower tests, no sshd. Paths name
// files; an open handle keeps its file whatever happens to the path afterwards (renamed,
// deleted, replaced), as on a real host. Answers are computed when asked for. Failures are
// injected: a path that cannot be read, and the next read of bytes failing for a problem of
// the file or of the link.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "follow/remote_files.hpp"

namespace logship::test {

class FakeRemoteFiles final : public follow::RemoteFiles {
 public:
  void append(const std::string& path, const std::string& bytes);  // creates the file if need be
  void rename(const std::string& from, const std::string& to);     // replaces `to`
  void copy(const std::string& from, const std::string& to);       // a new file, same bytes
  void remove(const std::string& path);
  void truncate(const std::string& path);                  // to 0 bytes
  void make_directory(const std::string& path);            // replaces a file there
  void make_dangling_symlink(const std::string& path);     // replaces a file there
  void deny(const std::string& path, bool denied = true);  // permission denied
  // The next read of bytes fails: for a problem of the file, or of the link (FileProblem::none).
  void fail_next_read(follow::FileProblem problem) { failing_read_ = problem; }
  std::size_t open_files() const { return handles_.size(); }

  follow::RemoteResult<ssh::FileAttrs> stat(const std::string& path) override;
  follow::RemoteResult<ssh::FileAttrs> lstat(const std::string& path) override;
  follow::RemoteResult<ssh::SftpFile> open(const std::string& path) override;
  Result<void> close(ssh::SftpFile& file, std::optional<SteadyTime> deadline) override;
  Asked ask_stat(const std::string& path) override;
  Asked ask_fstat(const ssh::SftpFile& file) override;
  Asked ask_read(const ssh::SftpFile& file, std::uint64_t offset, std::uint32_t length) override;
  Asked ask_close(ssh::SftpFile& file) override;
  follow::RemoteResult<ssh::FileAttrs> take_attrs(Asked& asked) override;
  follow::RemoteResult<std::string> take_bytes(Asked& asked) override;
  Result<void> take_closed(Asked& asked, SteadyTime deadline) override;
  std::unique_ptr<follow::RemoteRead> read(const ssh::SftpFile& file, std::uint64_t offset,
                                           std::uint64_t max_bytes,
                                           ssh::ReadTuning tuning) override;

  struct Inode {
    std::string data;
    ssh::FileType type = ssh::FileType::regular;
    WallTime mtime{};
  };
  // The bytes of [offset, offset + length) of an open file, or why not.
  follow::RemoteResult<std::string> bytes(const ssh::SftpFile& file, std::uint64_t offset,
                                          std::uint64_t length);

 private:
  void touch(Inode& inode);  // a later mtime
  follow::RemoteResult<std::shared_ptr<Inode>> lookup(const std::string& path) const;

  std::map<std::string, std::shared_ptr<Inode>> paths_;
  std::set<std::string> dangling_, denied_;
  std::map<std::string, std::shared_ptr<Inode>> handles_;
  std::uint64_t next_handle_ = 0;
  std::int64_t seconds_ = 0;  // of the next mtime
  std::optional<follow::FileProblem> failing_read_;
};

}  // namespace logship::test
