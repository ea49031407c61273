#include "input/intake.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

namespace logship::input {

namespace {
constexpr std::string_view kLandingFailed =
    "intake landing failed, lines read until it recovers are lost if the agent is killed";
}  // namespace

Result<void> LineSink::append_all(std::span<const vault::BatchBuilder::Piece> pieces) {
  return append_each(
      pieces, [this](std::string_view bytes, bool partial) { return append(bytes, partial); });
}

Intake::Intake(Input input, LineSink& sink, std::size_t max_line, Landing* landing,
               std::size_t read_chunk)
    : input_(std::move(input)),
      sink_(sink),
      landing_(landing),
      splitter_(max_line),
      buf_(read_chunk, '\0') {
  to_sink_ = [this](std::string_view piece, vault::LineEnd end) {
    note(sink_.append(piece, end == vault::LineEnd::none));
  };
  if (!landing_) return;
  // A FIFO is named by its device and inode. An anonymous pipe (stdin from auditd) has none
  // that outlives us: a line it left unfinished never gets its rest.
  struct stat st {};
  const bool pipe = ::fstat(input_.read_fd.get(), &st) == 0 && S_ISFIFO(st.st_mode);
  if (pipe && input_.is_fifo) input_id_ = InputId{static_cast<std::uint64_t>(st.st_dev), st.st_ino};
  landing_->set_input(input_id_);
  if (!landing_->stale_note().empty()) spdlog::warn("{}", landing_->stale_note());
  if (auto left = landing_->take_leftover()) replay(std::move(*left));
  reset_landing();  // the replayed bytes are in the sink now
  // splice(2) takes only from a pipe: a file or terminal on stdin is read into memory, and the
  // landing has only recorded that nothing is left to replay.
  if (!pipe) landing_ = nullptr;
}

// The previous run's last landed bytes: the first (next id - first id) pieces cut from them
// reached the sink before it ended, the others did not.
void Intake::replay(Landing::Leftover left) {
  const std::uint64_t next = sink_.next_id();
  if (next < left.first_id)
    spdlog::warn(
        "the spool ends before the intake landing begins (spool id {}, landing {}); "
        "replaying all of the landing",
        next, left.first_id);
  const std::uint64_t skip = next > left.first_id ? next - left.first_id : 0;
  vault::LineSplitter cut(left.max_line);
  std::uint64_t seen = 0, replayed = 0;
  sink_.begin_read();
  cut.feed(left.bytes, [&](std::string_view piece, vault::LineEnd end) {
    if (seen++ < skip) return;
    note(sink_.append(piece, end == vault::LineEnd::none));
    ++replayed;
  });
  // The unfinished line: in the sink already if it holds more pieces than the complete ones
  // (a stop hands it over as one fragment), else the start of the next line read from this
  // FIFO. From another input it can have no rest, and with a shorter line length than it was
  // cut with it would be cut anew: either way it is handed over as one fragment now, which a
  // kill before the next generation leaves accounted for (the rule above).
  const bool fragment_spooled = seen < skip;
  if (!fragment_spooled && cut.pending()) {
    if (left.input == input_id_ && input_id_ != InputId{} &&
        cut.pending() <= splitter_.max_line()) {
      splitter_.feed(cut.pending_bytes(), to_sink_);
    } else {
      note(sink_.append(cut.pending_bytes(), true));
      ++replayed;
    }
  }
  sink_.end_read();
  flush();
  if (replayed)
    spdlog::warn(
        "the previous run ended without a stop; {} lines it had taken from the input "
        "but not spooled are spooled now",
        replayed);
}

void Intake::reset_landing() {
  // After a failed write the spool's ids moved past lines that are not on its disk: the
  // generation stays, so that a kill before the spool writes again replays them.
  if (!landing_ || !flushed_) return;
  note(landing_->reset(sink_.next_id(), splitter_.pending_bytes(), splitter_.max_line()),
       kLandingFailed);
}

ssize_t Intake::read_landed(std::size_t max) {
  auto got = landing_->read(buf_.data(), max);
  if (got) return static_cast<ssize_t>(*got);
  // Short of a failing kernel (the bytes are in the page cache): said here with the file and
  // its cause; the drain ends as on an empty input and the next one reads them again.
  note(got.error(), "reading input failed");
  errno = EAGAIN;
  return -1;
}

ssize_t Intake::read_some() {
  const int fd = input_.read_fd.get();
  // After a failed read the landed bytes are next in order.
  if (landing_ && landing_->unread()) return read_landed(buf_.size());
  if (landing_ && landing_->usable()) {
    const ssize_t n = landing_->take(fd, buf_.size());
    if (n > 0) return read_landed(static_cast<std::size_t>(n));
    if (n == 0 || errno == EAGAIN || errno == EINTR) return n;
    note(make_error(ErrorKind::io, std::string("splice: ") + std::strerror(errno)), kLandingFailed);
  }
  return ::read(fd, buf_.data(), buf_.size());
}

std::size_t Intake::drain() {
  std::size_t burst = 0;
  while (!ended_ && burst < kMaxBurst) {
    const ssize_t n = read_some();
    if (n > 0) {
      sink_.begin_read();
      cut(std::string_view(buf_.data(), static_cast<std::size_t>(n)));
      sink_.end_read();
      burst += static_cast<std::size_t>(n);
      if (landing_ && static_cast<std::size_t>(n) == buf_.size()) {
        // More is waiting: spool this chunk and start the landing over, so that its pages are
        // reused while they are in the cache instead of growing by a whole burst.
        flush();
        reset_landing();
      }
      continue;
    }
    if (n == 0) {
      spdlog::info("end of input; delivering what is pending");
      flush_splitter();
      ended_ = true;
    } else if (errno != EAGAIN && errno != EINTR) {
      note(make_error(ErrorKind::io, std::strerror(errno)), "reading input failed");
    }
    break;
  }
  flush();
  if (burst || ended_) reset_landing();
  return burst;
}

void Intake::finish() {
  flush_splitter();
  flush();
  reset_landing();
}

void Intake::flush() {
  const auto st = sink_.flush();
  flushed_ = static_cast<bool>(st);
  note(st);
}

void Intake::cut(std::string_view bytes) {
  splitter_.feed(bytes, [this](std::string_view piece, vault::LineEnd end) {
    // A line joined with what the previous read left lies in the splitter, and only until this
    // returns: it goes alone, after the pieces before it.
    if (piece.data() == splitter_.pending_bytes().data()) {
      hand_over();
      note(sink_.append(piece, end == vault::LineEnd::none));
      return;
    }
    pieces_.push_back({piece, end});
    if (pieces_.size() == kMaxPieces) hand_over();
  });
  hand_over();
}

void Intake::hand_over() {
  if (pieces_.empty()) return;
  note(sink_.append_all(pieces_));
  pieces_.clear();
}

void Intake::flush_splitter() {
  if (splitter_.pending() == 0) return;
  sink_.begin_read();
  splitter_.flush(to_sink_);
  sink_.end_read();
}

void Intake::note(const Result<void>& st, std::string_view what) {
  if (st) return;
  auto message = std::string(what) + ": " + st.error().message;
  if (message == last_error_) return;
  last_error_ = std::move(message);
  spdlog::error("{}", last_error_);
}

}  // namespace logship::input
