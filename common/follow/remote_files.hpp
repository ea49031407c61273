// RemoteFiles: the files of the monitored host as an SftpFollower sees them: the stat of a path,
// files opened for reading, their bytes. Requests can be asked for now and their answers taken
// later, so that the requests of one look share a round trip. A failed request says whose
// fault it was: the file's (a FileProblem: the follower retries at its next look) or the
// link's (none: the caller reconnects). SftpFiles (sftp_files.hpp) implements it over an SFTP
// session; tests use an in-memory one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "follow/classify.hpp"
#include "ssh/sftp.hpp"
#include "ssh/sftp_read.hpp"
#include "util/result.hpp"

namespace logship::follow {

using ssh::FileProblem;

// Why a request about a remote file failed.
struct RemoteError {
  Error error;
  FileProblem problem = FileProblem::none;  // none: the link failed, not the file

  bool of_file() const { return problem != FileProblem::none; }
};

// A value, or a RemoteError. An Error converts to one of the link (problem none).
template <class T>
class [[nodiscard]] RemoteResult {
 public:
  RemoteResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}    // NOLINT: implicit
  RemoteResult(RemoteError e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT
  RemoteResult(Error e) : RemoteResult(RemoteError{std::move(e)}) {}         // NOLINT

  explicit operator bool() const { return v_.index() == 0; }
  T& operator*() { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const RemoteError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, RemoteError> v_;
};

template <>
class [[nodiscard]] RemoteResult<void> {
 public:
  RemoteResult() = default;
  RemoteResult(RemoteError e) : error_(std::move(e)), failed_(true) {}  // NOLINT: implicit
  RemoteResult(Error e) : RemoteResult(RemoteError{std::move(e)}) {}    // NOLINT
  RemoteResult(const Result<void>& st) : failed_(!st) {                 // NOLINT
    if (failed_) error_.error = st.error();
  }

  explicit operator bool() const { return !failed_; }
  const RemoteError& error() const { return error_; }

 private:
  RemoteError error_{Error{ErrorKind::io, {}}};
  bool failed_ = false;
};

using RemoteStatus = RemoteResult<void>;

// What `a` says in classify()'s terms.
Stat to_stat(const ssh::FileAttrs& a);

// A pipelined read of one open file from an offset to its end or a byte limit (ssh::SftpRead).
class RemoteRead {
 public:
  virtual ~RemoteRead() = default;
  // Asks for the first `requests` READs now (0: a full pipeline), sent with the next wait.
  virtual void start(unsigned requests = 0) = 0;
  // Hands the bytes to `sink` in order, to the end of the file or the byte limit.
  virtual RemoteResult<ssh::ReadResult> run(const ssh::Sink& sink) = 0;
};

class RemoteFiles {
 public:
  // A request asked for, its answer still to be taken by the RemoteFiles that asked for it.
  // Dropped untaken, its answer is discarded when it arrives.
  class Asked {
   public:
    struct Answer {
      virtual ~Answer() = default;
    };
    Asked() = default;
    explicit Asked(std::unique_ptr<Answer> answer) : answer_(std::move(answer)) {}
    explicit operator bool() const { return answer_ != nullptr; }  // not taken yet
    // The answer, which the caller then owns (it was taken).
    std::unique_ptr<Answer> take() { return std::move(answer_); }

   private:
    std::unique_ptr<Answer> answer_;
  };

  virtual ~RemoteFiles() = default;

  // Each request waits at most the RemoteFiles' operation timeout without progress.
  virtual RemoteResult<ssh::FileAttrs> stat(const std::string& path) = 0;   // follows symlinks
  virtual RemoteResult<ssh::FileAttrs> lstat(const std::string& path) = 0;  // does not
  virtual RemoteResult<ssh::SftpFile> open(const std::string& path) = 0;    // to read it
  // Closes `file` by `deadline` (none: within the operation timeout).
  virtual Result<void> close(ssh::SftpFile& file, std::optional<SteadyTime> deadline) = 0;

  virtual Asked ask_stat(const std::string& path) = 0;
  virtual Asked ask_fstat(const ssh::SftpFile& file) = 0;
  virtual Asked ask_read(const ssh::SftpFile& file, std::uint64_t offset, std::uint32_t length) = 0;
  virtual Asked ask_close(ssh::SftpFile& file) = 0;  // (the handle is void from now on)
  // The answer to ask_stat() or ask_fstat().
  virtual RemoteResult<ssh::FileAttrs> take_attrs(Asked& asked) = 0;
  // The answer to ask_read(): its bytes ("" at the end of the file).
  virtual RemoteResult<std::string> take_bytes(Asked& asked) = 0;
  // The answer to ask_close(), waited for until `deadline` at most.
  virtual Result<void> take_closed(Asked& asked, SteadyTime deadline) = 0;

  // A read of `file` from `offset`, at most `max_bytes`; nothing is asked for before start().
  virtual std::unique_ptr<RemoteRead> read(const ssh::SftpFile& file, std::uint64_t offset,
                                           std::uint64_t max_bytes, ssh::ReadTuning tuning) = 0;
};

}  // namespace logship::follow
