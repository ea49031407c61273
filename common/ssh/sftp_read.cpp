#include "ssh/sftp_read.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "ssh/deadline.hpp"

namespace logship::ssh {

SftpRead::SftpRead(SftpSession& sftp, const SftpFile& file, std::uint64_t offset,
                   std::uint64_t max_bytes, ReadTuning tuning)
    : sftp_(sftp),
      file_(file),
      tuning_(tuning),
      begin_(offset),
      end_(max_bytes > std::numeric_limits<std::uint64_t>::max() - offset
               ? std::numeric_limits<std::uint64_t>::max()
               : offset + max_bytes),
      next_(offset),
      delivered_(offset) {
  tuning_.request_bytes = std::max<std::uint32_t>(1, tuning_.request_bytes);
  tuning_.max_in_flight = std::max(1u, tuning_.max_in_flight);
  limit_ = tuning_.max_in_flight;
}

void SftpRead::ask_more(unsigned limit) {
  limit = std::min(limit, tuning_.max_in_flight);
  while (in_flight_.size() < limit && next_ < end_) {
    const auto length =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(tuning_.request_bytes, end_ - next_));
    in_flight_.push_back(Request{sftp_.ask_read(file_, next_, length), next_, length});
    next_ += length;
  }
}

void SftpRead::start(unsigned requests) {
  if (requests != 0) limit_ = std::min(requests, tuning_.max_in_flight);
  ask_more(limit_);
}

Result<ReadResult> SftpRead::run(const Sink& sink, std::chrono::milliseconds patience) {
  // Refilled a quarter of the pipeline at a time, in one write: one SSH packet and one send()
  // for all of them, instead of one each (a system call per 64 KiB read otherwise).
  const unsigned refill = std::max(1u, tuning_.max_in_flight / 4);
  auto over = [&](Error e) -> Result<ReadResult> {
    in_flight_.clear();  // (their replies are dropped when they arrive)
    return e;
  };
  auto rest_first = [&](std::uint64_t at, std::uint32_t length) {
    in_flight_.push_front(Request{sftp_.ask_read(file_, at, length), at, length});
  };
  // After a short reply, the part it did not bring. Nothing after it is used before it came:
  // if the next reply is the end of the file, so was the short one (for now); if it brings
  // bytes, both ranges are asked for again, in order (the file grew meanwhile, or the server
  // shortens its replies).
  std::optional<Request> gap;
  for (;;) {
    if (!gap && (in_flight_.empty() || in_flight_.size() + std::min(refill, limit_) <= limit_))
      ask_more(limit_);
    if (in_flight_.empty()) {
      if (!gap) return ReadResult{delivered_ - begin_, false};  // max_bytes reached
      if (limit_ < tuning_.max_in_flight)  // following a file: that was its end, for now
        return ReadResult{delivered_ - begin_, false, true};
      rest_first(gap->offset, gap->length);
      gap.reset();
      continue;
    }

    Request head = std::move(in_flight_.front());
    in_flight_.pop_front();
    auto data = sftp_.take_data(head.reply, Deadline::live(sftp_.clock(), patience));
    if (!data) return over(data.error());
    if (!*data || (*data)->empty()) {  // EOF (an empty DATA is not allowed: taken as EOF too)
      in_flight_.clear();              // later requests are past the end as well
      return ReadResult{delivered_ - begin_, true};
    }
    if (gap) {  // bytes after a hole: ask again for the hole and for these, then go on
      rest_first(head.offset, head.length);
      rest_first(gap->offset, gap->length);
      gap.reset();
      continue;
    }
    const std::string_view bytes = **data;
    if (auto st = sink(bytes); !st) return over(st.error());
    delivered_ += bytes.size();
    if (bytes.size() == head.length) {
      limit_ = tuning_.max_in_flight;  // more is likely
    } else {
      gap = Request{{}, delivered_, static_cast<std::uint32_t>(head.length - bytes.size())};
    }
  }
}

Result<ReadResult> read_pipelined(SftpSession& sftp, const SftpFile& file, std::uint64_t offset,
                                  std::uint64_t max_bytes, const Sink& sink,
                                  std::chrono::milliseconds patience, ReadTuning tuning) {
  SftpRead read(sftp, file, offset, max_bytes, tuning);
  read.start();
  return read.run(sink, patience);
}

}  // namespace logship::ssh
