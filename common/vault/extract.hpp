// Turns payload vault lines back into the original byte stream: one '@' fewer for escaped
// lines, fragments ("@logship part ") joined with what follows, redaction markers kept.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"
#include "vault/control_line.hpp"
#include "vault/format.hpp"

namespace logship::vault {

// Where extracted bytes go.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Result<void> write(std::string_view bytes) = 0;  // appends bytes
  virtual Result<void> flush() { return {}; }              // pushes buffered bytes out
  // A sealed batch's payload follows (logship-verify --follow --emit-format json).
  struct Batch {
    std::string_view src, stream;  // decoded
    std::uint64_t seq = 0;
    VaultTime time{};
  };
  virtual void batch(const Batch&) {}
};

// Buffered writes to a file descriptor (not owned), e.g. stdout.
class FdSink final : public ByteSink {
 public:
  explicit FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~FdSink() override { (void)flush(); }
  Result<void> write(std::string_view bytes) override;
  Result<void> flush() override;

 private:
  static constexpr std::size_t kBuffer = 1 << 20;  // bytes
  int fd_;
  std::string name_;
  std::string buf_;
};

// Collects everything in memory (tests, fuzzing).
class StringSink final : public ByteSink {
 public:
  Result<void> write(std::string_view bytes) override {
    out.append(bytes);
    return {};
  }
  std::string out;
};

// Writes the payload of vault lines to a sink.
class Extractor {
 public:
  // Where a batch's payload came from, when its begin line says so with fid= (the remote file)
  // and off= (the remote offset of its first payload byte), as logship-pull writes them.
  // Payload bytes at remote offsets that were already extracted for the same src, stream and
  // fid are dropped: a batch written again after a crash yields no repeat (FORMAT.md §12).
  struct Origin {
    std::string key;           // src, stream and fid
    std::uint64_t offset = 0;  // remote offset of the first payload byte
  };
  // The origin a begin line states (both fid= and a decimal off=), or nullopt.
  static std::optional<Origin> origin_of(const BeginLine& begin);

  Extractor(ByteSink& sink, std::size_t max_line) : sink_(sink), max_line_(max_line) {}

  // One vault line inside a batch (without '\n'); control lines other than part/redacted are
  // skipped.
  Result<void> line(std::string_view vault_line);

  // A line "@logship TEXT" that is not payload (marks unsealed lines), on a line of its own.
  Result<void> marker(std::string_view text);

  // Every vault line in [begin, end) of fd, read again from the file; with an origin, repeats
  // of bytes already extracted are dropped.
  Result<void> range(int fd, std::uint64_t begin, std::uint64_t end,
                     const std::optional<Origin>& origin = std::nullopt);
  // The same for vault lines held in memory (LF-separated).
  Result<void> lines_of(std::string_view bytes, const std::optional<Origin>& origin = std::nullopt);

  // What a resumed extractor must know (logship-verify --follow): remote bytes extracted per
  // origin, and whether the last bytes written were a fragment.
  const std::map<std::string, std::uint64_t>& extracted() const { return extracted_; }
  bool mid_line() const { return mid_line_; }
  void resume(std::map<std::string, std::uint64_t> extracted, bool mid_line) {
    extracted_ = std::move(extracted);
    mid_line_ = mid_line;
  }

  std::uint64_t lines() const { return lines_; }                    // payload vault lines written
  std::uint64_t repeated_bytes() const { return repeated_bytes_; }  // dropped as repeats

 private:
  struct Cursor {
    std::uint64_t* done;  // remote bytes [0, *done) of the origin extracted, if tracked
    std::uint64_t at;     // remote offset of the next payload byte
  };
  Result<void> take(std::string_view line, bool too_long, Cursor& c);

  ByteSink& sink_;
  std::size_t max_line_;
  std::uint64_t lines_ = 0;
  std::uint64_t repeated_bytes_ = 0;
  bool mid_line_ = false;  // the last bytes written were a fragment without its LF
  std::map<std::string, std::uint64_t> extracted_;  // per origin key: remote bytes [0, n) done
};

}  // namespace logship::vault
