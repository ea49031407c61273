// SftpSession: an SFTP v3 client on a Session, with deadlines, for following remote files:
// stat, open, fstat, close, and pipelined reads from an offset to EOF that never leave a hole.
// (Our own client: libssh 0.10's sftp functions wait without a deadline.)
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "ssh/sftp_wire.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

namespace logship::ssh {

class Session;
class Channel;

enum class FileType { regular, directory, symlink, other };

struct FileAttrs {
  std::uint64_t size = 0;
  WallTime mtime{};  // whole seconds
  FileType type = FileType::other;
  std::uint32_t mode = 0;  // permission bits
};

// Why a file operation failed, beyond ErrorKind (which is remote_refused for all of these).
enum class FileProblem { none, no_such_file, permission_denied, not_regular_file, other };

// An open remote file.
struct SftpFile {
  std::string path;
  std::string handle;  // the server's opaque handle
};

struct ReadResult {
  std::uint64_t bytes = 0;  // delivered to the sink, contiguous from the offset
  bool eof = false;         // the server reported end of file after them
};

// Receives file bytes in order; an error stops the read.
using Sink = std::function<Status(std::string_view)>;

struct ReadTuning {
  std::uint32_t request_bytes = 64 * 1024;  // bytes per READ (OpenSSH answers <= 261,120)
  unsigned max_in_flight = 16;              // READs outstanding at once
};

class SftpSession {
 public:
  // Starts the "sftp" subsystem (or the key's forced sftp-server) and negotiates version 3.
  // `session` must outlive the SftpSession (if it does not, calls fail with network errors).
  static Result<std::unique_ptr<SftpSession>> start(Session& session, SteadyTime deadline);
  ~SftpSession();

  Result<FileAttrs> stat(const std::string& path, SteadyTime deadline);   // follows symlinks
  Result<FileAttrs> lstat(const std::string& path, SteadyTime deadline);  // does not
  // Opens a regular file for reading (stat first: a FIFO or directory is refused).
  Result<SftpFile> open_read(const std::string& path, SteadyTime deadline);
  // Opens with raw SSH_FXF_* flags (sftp::OpenFlags).
  Result<SftpFile> open(const std::string& path, std::uint32_t flags, SteadyTime deadline);
  Result<FileAttrs> fstat(const SftpFile& file, SteadyTime deadline);
  Status close(SftpFile& file, SteadyTime deadline);

  // Reads from `offset` until EOF or `max_bytes`, with up to tuning.max_in_flight requests of
  // tuning.request_bytes outstanding, refilled a quarter of them at a time in one write (one
  // SSH packet, one send()). Every reply's length is checked; a short reply is re-requested
  // from where it stopped, so the sink sees contiguous bytes only.
  Result<ReadResult> read(const SftpFile& file, std::uint64_t offset, std::uint64_t max_bytes,
                          const Sink& sink, SteadyTime deadline);

  void set_read_tuning(ReadTuning tuning) { tuning_ = tuning; }
  // While waiting for a reply, `interrupt` is asked about every kInterruptCheck; once it says
  // true the wait fails at once (ErrorKind::timeout, "interrupted"), the requests in flight are
  // forgotten, and the session stays usable (their replies are dropped when they arrive).
  // nullptr: never interrupted.
  void set_interrupt(std::function<bool()> interrupt) { interrupt_ = std::move(interrupt); }
  static constexpr std::chrono::milliseconds kInterruptCheck{50};  // ms
  // The file-level reason of the last failed call (none after a success or transport error).
  FileProblem last_problem() const { return problem_; }
  // Replies shorter than asked and not at EOF, re-requested so far (a health counter).
  std::uint64_t short_replies() const { return short_replies_; }

 private:
  SftpSession(Session& session, std::unique_ptr<Channel> channel);
  std::uint32_t next_id() { return ++last_id_; }
  Status send(const std::string& packet, SteadyTime deadline);
  // The reply to request `id`; its body stays valid until the next await().
  Result<sftp::Reply> await(std::uint32_t id, SteadyTime deadline);
  Result<sftp::Reply> call(const std::string& packet, std::uint32_t id, SteadyTime deadline);
  Result<FileAttrs> attrs_call(sftp::Type type, const std::string& arg, const std::string& what,
                               SteadyTime deadline);
  Error status_error(const sftp::Reply& reply, const std::string& what);
  Error protocol_error(const std::string& what) const;

  std::string endpoint_;  // "host:port", for messages
  std::unique_ptr<Channel> channel_;
  void compact_inbox();  // drops decoded bytes from inbox_ (now and then)
  static constexpr std::size_t kCompactBytes = 256 * 1024;  // bytes decoded before a compaction

  std::string inbox_;           // bytes received; those from inbox_used_ are not decoded yet
  std::size_t inbox_used_ = 0;  // bytes at the front already decoded
  struct Stored {
    sftp::Type type{};
    std::string body;
  };
  std::map<std::uint32_t, Stored> early_;  // replies that arrived before we asked
  std::string current_;                    // body of the reply await() returned from early_
  std::set<std::uint32_t> abandoned_;      // requests whose replies are to be dropped
  std::uint32_t last_id_ = 0;
  ReadTuning tuning_;
  std::function<bool()> interrupt_;
  SteadyTime interrupt_checked_{};
  FileProblem problem_ = FileProblem::none;
  std::uint64_t short_replies_ = 0;
};

}  // namespace logship::ssh
