// Channel: one SSH session channel running a command (exec) or a subsystem, with deadlines.
// Push: write a batch, finish() (EOF, then exit status 0 is the acknowledgement).
// Classic pull: read_some() the streamed output of a forced `tail -F`, then close().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ssh/deadline.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

struct ssh_session_struct;  // libssh
struct ssh_channel_struct;
struct ssh_channel_callbacks_struct;

namespace logship::ssh {

class Session;

class Channel {
 public:
  // Bytes per ssh_channel_write. Nonblocking, libssh flushes its socket buffer once per call:
  // 256 KiB (the push sender's slice) halves the sendto(2) and poll(2) calls of 64 KiB.
  static constexpr std::size_t kWriteChunk = 256 * 1024;
  static constexpr std::size_t kMaxStderr = 64 * 1024;         // bytes of stderr kept
  static constexpr std::size_t kMaxUnread = 64 * 1024 * 1024;  // bytes of stdout not yet read

  ~Channel();  // closes the channel (without waiting) if still open
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Asks for the command of a channel started deferred (Session::start_exec); harmless when
  // repeated or when it was asked for at the start.
  void request();
  // Waits until the vault accepted the command (channel opened, exec/subsystem granted);
  // requests it first if that has not been done.
  Result<void> wait_started(Deadline deadline);
  // Writes all of `data` (in 64 KiB pieces, waiting for the peer's window), or fails.
  Result<void> write(std::string_view data, Deadline deadline);
  // Sends EOF: the remote command sees the end of its input once the bytes before it have
  // crossed the link. Returns when the EOF is queued: the waits that follow flush it.
  Result<void> send_eof(Deadline deadline);
  // Waits for the command's exit status and the channel's close; collects stderr meanwhile.
  Result<int> wait_exit(Deadline deadline);
  // send_eof + wait_exit: OK only for exit status 0; otherwise remote_refused with stderr.
  Result<void> finish(Deadline deadline);

  // Appends available stdout to `out` and returns how many bytes: waits until some arrive,
  // the stream ends (0, at_eof()) or the deadline passes (0: silence is not an error).
  Result<std::size_t> read_some(std::string& out, Deadline deadline);
  bool at_eof() const { return remote_eof_ && stdout_.empty(); }  // stdout ended and drained

  // Closes the channel and waits for the vault to close its side, so the remote command's
  // pipes are closed (a forced `tail -F` exits). Harmless when repeated.
  Result<void> close(Deadline deadline);

  std::string_view stderr_text() const { return stderr_; }  // the first kMaxStderr bytes
  std::optional<int> exit_status() const { return exit_status_; }
  bool remote_closed() const { return remote_closed_; }
  const std::string& command() const { return command_; }

 private:
  friend class Session;
  Channel(Session& session, ssh_channel_struct* channel, std::string command, bool subsystem);
  void progress();  // called by Session::pump: advances open/exec, notices failures
  void orphan();    // the session is going away: forget the libssh channel
  Result<void> usable(std::string_view what) const;  // error if failed or the session is gone
  std::string name() const;                          // "command 'cat >> x'"
  std::string describe() const;                      // "command 'cat >> x' on host:port"
  static int on_data(ssh_session_struct*, ssh_channel_struct*, void* data, uint32_t len,
                     int is_stderr, void* self);
  static void on_eof(ssh_session_struct*, ssh_channel_struct*, void* self);
  static void on_close(ssh_session_struct*, ssh_channel_struct*, void* self);
  static void on_exit_status(ssh_session_struct*, ssh_channel_struct*, int status, void* self);
  static void on_exit_signal(ssh_session_struct*, ssh_channel_struct*, const char* signal, int core,
                             const char* errmsg, const char* lang, void* self);

  enum class State { opening, requesting, running, closed, failed };
  Session* session_;
  ssh_channel_struct* channel_;
  std::unique_ptr<ssh_channel_callbacks_struct> callbacks_;
  std::string command_;
  bool subsystem_;
  State state_ = State::opening;
  bool requested_ = true;  // false: opened, the command waits for request()
  std::optional<Error> failure_;
  std::string stdout_;
  std::string stderr_;
  bool remote_eof_ = false;
  bool remote_closed_ = false;
  bool eof_sent_ = false;
  std::optional<int> exit_status_;
  std::string exit_signal_;
};

}  // namespace logship::ssh
