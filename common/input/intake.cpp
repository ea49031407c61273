#include "input/intake.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

namespace logship::input {

Intake::Intake(Input input, LineSink& sink, std::size_t max_line)
    : input_(std::move(input)), sink_(sink), splitter_(max_line), buf_(kReadChunk, '\0') {
  to_sink_ = [this](std::string_view piece, vault::LineEnd end) {
    note(sink_.append(piece, end == vault::LineEnd::none));
  };
}

std::size_t Intake::drain() {
  std::size_t burst = 0;
  while (!ended_ && burst < kMaxBurst) {
    const ssize_t n = ::read(input_.read_fd.get(), buf_.data(), buf_.size());
    if (n > 0) {
      sink_.begin_read();
      splitter_.feed(std::string_view(buf_.data(), static_cast<std::size_t>(n)), to_sink_);
      sink_.end_read();
      burst += static_cast<std::size_t>(n);
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
  note(sink_.flush());
  return burst;
}

void Intake::finish() {
  flush_splitter();
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
