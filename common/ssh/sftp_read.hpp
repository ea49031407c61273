// SftpRead: a pipelined read of one open remote file, from an offset to its end or a byte limit,
// that never leaves a hole. Up to tuning.max_in_flight READs of tuning.request_bytes are
// outstanding, refilled a quarter of them at a time in one write (one SSH packet, one send()).
// OpenSSH's sftp-server answers at most 261,120 bytes per READ and libssh 0.10's own reads
// already moved past what they asked for (LIBSSH-NOTES trap 6): every reply's length is
// checked here, and nothing after a short reply is used before the rest of it came, so the sink
// sees contiguous bytes only. A short reply followed by the end of the file, or by nothing
// while following a file (start() with few READs), ends the read: that is what the file holds
// for now, known without another round trip.
//
// The first READs can be asked for before the read is needed (start()), in the same round trip
// as other requests (a stat, the file's first bytes): dropped unused, their replies are
// discarded when they arrive.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string_view>

#include "ssh/sftp.hpp"

namespace logship::ssh {

struct ReadTuning {
  std::uint32_t request_bytes = 64 * 1024;  // bytes per READ (OpenSSH answers <= 261,120)
  unsigned max_in_flight = 32;              // READs outstanding at once (2 MiB, like `sftp`)
};

struct ReadResult {
  std::uint64_t bytes = 0;  // delivered to the sink, contiguous from the offset
  bool eof = false;  // the server reported the end of the file after them (or after a short reply)
  // Following a file: the last reply was shorter than asked and nothing after it was asked for:
  // what the file held when the server read it (OpenSSH shortens a READ of <= 64 KiB only at
  // the end of the file), without the round trip that would confirm it.
  bool short_end = false;
};

// Receives file bytes in order; an error stops the read.
using Sink = std::function<Result<void>(std::string_view)>;

class SftpRead {
 public:
  // `sftp` must outlive the read.
  SftpRead(SftpSession& sftp, const SftpFile& file, std::uint64_t offset, std::uint64_t max_bytes,
           ReadTuning tuning = {});
  // Asks for the first `requests` READs (0: a full pipeline), without sending or waiting: they
  // go out with whatever else is asked for before the next wait. A few suffice when little is
  // expected; the pipeline fills up as soon as a reply comes back full.
  void start(unsigned requests = 0);
  // Hands the bytes to `sink` in order until end of file or max_bytes. The wait for each reply
  // is a liveness deadline of `patience` (Deadline::live): a limit on silence, not on the whole
  // read, which takes as long as the link needs. On an error the read is over.
  Result<ReadResult> run(const Sink& sink, std::chrono::milliseconds patience);

 private:
  struct Request {
    Pending reply;
    std::uint64_t offset;
    std::uint32_t length;
  };
  void ask_more(unsigned limit);  // READs up to `limit` in flight, not past end_

  SftpSession& sftp_;
  SftpFile file_;  // (a copy: the caller may move its own)
  ReadTuning tuning_;
  std::uint64_t begin_;      // the offset asked for
  std::uint64_t end_;        // nothing at or after it is asked for
  std::uint64_t next_;       // the next offset to ask for
  std::uint64_t delivered_;  // everything before it went to the sink
  unsigned limit_;           // READs in flight at most: a full pipeline once a reply came full
  std::deque<Request> in_flight_;
};

// Reads [offset, offset + max_bytes) of `file` (to EOF if sooner) into `sink`: one SftpRead.
Result<ReadResult> read_pipelined(SftpSession& sftp, const SftpFile& file, std::uint64_t offset,
                                  std::uint64_t max_bytes, const Sink& sink,
                                  std::chrono::milliseconds patience, ReadTuning tuning = {});

}  // namespace logship::ssh
