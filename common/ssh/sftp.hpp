// SftpSession: an SFTP v3 client on a Session, with deadlines (ssh::Deadline: a liveness
// deadline passes only once nothing moved on the connection for its idle budget, so a slow link
// still carrying the answer is waited for), for following remote files:
// stat, open, fstat, close, and pipelined reads from an offset to EOF that never leave a hole
// (sftp_read.hpp). Requests can be pipelined: asked for now, sent together, their replies taken
// later, so that several cost one round trip. (Our own client: libssh 0.10's sftp functions
// wait without a deadline.)
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "ssh/deadline.hpp"
#include "ssh/reply_buffer.hpp"
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

class SftpSession;

// A request asked for (queued or sent) whose reply is still to be taken with the matching
// SftpSession::take_*(). Dropped untaken, its reply is discarded when it arrives. Must not
// outlive its SftpSession.
class Pending {
 public:
  Pending() = default;
  Pending(Pending&& other) noexcept;
  Pending& operator=(Pending&& other) noexcept;
  ~Pending();
  explicit operator bool() const { return session_ != nullptr; }  // not taken yet

 private:
  friend class SftpSession;
  Pending(SftpSession* session, std::uint32_t id, std::uint32_t length, std::string what)
      : session_(session), id_(id), length_(length), what_(std::move(what)) {}
  void drop();

  SftpSession* session_ = nullptr;
  std::uint32_t id_ = 0;
  std::uint32_t length_ = 0;  // READ: the bytes asked for
  std::string what_;          // "stat /var/log/x", for messages
};

class SftpSession {
 public:
  // Starts the "sftp" subsystem (or the key's forced sftp-server) and negotiates version 3.
  // `session` must outlive the SftpSession (if it does not, calls fail with network errors).
  static Result<std::unique_ptr<SftpSession>> start(Session& session, Deadline deadline);
  ~SftpSession();

  Result<FileAttrs> stat(const std::string& path, Deadline deadline);   // follows symlinks
  Result<FileAttrs> lstat(const std::string& path, Deadline deadline);  // does not
  // Opens a regular file for reading (stat first: a FIFO or directory is refused).
  Result<SftpFile> open_read(const std::string& path, Deadline deadline);
  // Opens with raw SSH_FXF_* flags (sftp::OpenFlags).
  Result<SftpFile> open(const std::string& path, std::uint32_t flags, Deadline deadline);
  Result<FileAttrs> fstat(const SftpFile& file, Deadline deadline);
  Result<void> close(SftpFile& file, Deadline deadline);

  // Pipelining: ask_*() queue a request; everything queued goes out in one channel write at
  // the next flush() or wait for a reply. Replies are taken in any order.
  Pending ask_stat(const std::string& path);
  Pending ask_fstat(const SftpFile& file);
  Pending ask_read(const SftpFile& file, std::uint64_t offset, std::uint32_t length);
  Pending ask_close(SftpFile& file);  // (the handle is void from now on)
  Result<void> flush(Deadline deadline);
  // The reply to a stat or fstat.
  Result<FileAttrs> take_attrs(Pending& request, Deadline deadline);
  // The reply to a close: OK, or why not.
  Result<void> take_status(Pending& request, Deadline deadline);
  // The reply to a READ: its bytes (at most those asked for; a view valid until the next wait),
  // or nullopt at end of file.
  Result<std::optional<std::string_view>> take_data(Pending& request, Deadline deadline);

  // The clock of its session's deadlines.
  const Clock& clock() const;
  // The file-level reason of the last failed call (none after a success or transport error).
  FileProblem last_problem() const { return problem_; }
  // READ replies shorter than asked so far (a health counter; SftpRead asks again for the rest).
  std::uint64_t short_replies() const { return short_replies_; }

 private:
  friend class Pending;
  SftpSession(Session& session, std::unique_ptr<Channel> channel);
  std::uint32_t next_id() { return ++last_id_; }
  Result<void> send(const std::string& packet, Deadline deadline);  // queues it, then flush()
  void forget(std::uint32_t id);  // the reply to `id` is dropped when it arrives
  Result<sftp::Reply> take(Pending& request, Deadline deadline);
  // The reply to request `id`; its body stays valid until the next await().
  Result<sftp::Reply> await(std::uint32_t id, Deadline deadline);
  Result<sftp::Reply> call(const std::string& packet, std::uint32_t id, Deadline deadline);
  Result<FileAttrs> attrs_call(sftp::Type type, const std::string& arg, const std::string& what,
                               Deadline deadline);
  Error status_error(const sftp::Reply& reply, const std::string& what);
  Error protocol_error(const std::string& what) const;

  Session& session_;
  std::string endpoint_;  // "host:port", for messages
  std::unique_ptr<Channel> channel_;
  std::string outbox_;  // requests queued, not yet written
  ReplyBuffer inbox_;   // bytes received, decoded where they lie
  struct Stored {
    sftp::Type type{};
    std::string body;
  };
  std::map<std::uint32_t, Stored> early_;  // replies that arrived before we asked
  std::string current_;                    // body of the reply await() returned from early_
  std::set<std::uint32_t> abandoned_;      // requests whose replies are to be dropped
  std::uint32_t last_id_ = 0;
  FileProblem problem_ = FileProblem::none;
  std::uint64_t short_replies_ = 0;
};

}  // namespace logship::ssh
