// Turns payload vault lines back into the original byte stream: one '@' fewer for escaped
// lines, fragments ("@logship part ") joined with what follows, redaction markers kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace logship::vault {

// Where extracted bytes go.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status write(std::string_view bytes) = 0;  // appends bytes
  virtual Status flush() { return {}; }              // pushes buffered bytes out
};

// Buffered writes to a file descriptor (not owned), e.g. stdout.
class FdSink final : public ByteSink {
 public:
  explicit FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~FdSink() override { (void)flush(); }
  Status write(std::string_view bytes) override;
  Status flush() override;

 private:
  static constexpr std::size_t kBuffer = 1 << 20;  // bytes
  int fd_;
  std::string name_;
  std::string buf_;
};

// Collects everything in memory (tests, fuzzing).
class StringSink final : public ByteSink {
 public:
  Status write(std::string_view bytes) override {
    out.append(bytes);
    return {};
  }
  std::string out;
};

// Writes the payload of vault lines to a sink.
class Extractor {
 public:
  Extractor(ByteSink& sink, std::size_t max_line) : sink_(sink), max_line_(max_line) {}

  // One vault line inside a batch (without '\n'); control lines other than part/redacted are
  // skipped.
  Status line(std::string_view vault_line);

  // Every vault line in [begin, end) of fd, read again from the file.
  Status range(int fd, std::uint64_t begin, std::uint64_t end);

  std::uint64_t lines() const { return lines_; }  // payload vault lines written

 private:
  ByteSink& sink_;
  std::size_t max_line_;
  std::uint64_t lines_ = 0;
};

}  // namespace logship::vault
