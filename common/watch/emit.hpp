// What logship-verify --follow hands on (--emit): each payload line of a sealed batch, once,
// in order, as raw bytes (what --extract prints) or as one JSON object per line. A stream's
// lines collect in its EmitBuffer; the watcher moves them to the emit file once the journal
// holds them (see journal.hpp), so a restart neither repeats nor loses one.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/files.hpp"
#include "util/result.hpp"
#include "vault/extract.hpp"

namespace logship::watch {

enum class EmitFormat { raw, json };

// Parses "raw" or "json".
Result<EmitFormat> parse_emit_format(std::string_view text);

// Collects one stream's emitted lines in memory.
class EmitBuffer final : public vault::ByteSink {
 public:
  explicit EmitBuffer(EmitFormat format) : format_(format) {}

  Result<void> write(std::string_view bytes) override;
  void batch(const Batch& b) override;

  // The bytes formatted so far and not taken yet.
  const std::string& bytes() const { return out_; }
  // Removes the first n bytes (handed on).
  void take(std::size_t n) { out_.erase(0, n); }
  // Drops the next n bytes formatted: they are in the emit file already (see journal.hpp).
  void skip(std::uint64_t n) { skip_ = n; }
  // json: the start of a line whose rest is in a later batch (a fragment), kept with the
  // stream's checkpoint so that a restart does not lose it.
  const std::string& partial() const { return line_; }
  void resume_partial(std::string line) {
    line_ = std::move(line);
    in_line_ = !line_.empty();
  }

 private:
  void json_line(std::string_view line);
  void put(std::string_view bytes);

  EmitFormat format_;
  std::string out_;
  std::uint64_t skip_ = 0;
  // json: the batch whose lines are being written, the line being assembled (fragments).
  std::string src_, stream_, time_;
  std::uint64_t seq_ = 0, index_ = 0;
  std::string line_;
  bool in_line_ = false;
};

// The emit file: appended to; followed to a new file when it was renamed (logrotate) or on
// reopen() (SIGHUP). "-" is stdout.
class EmitFile {
 public:
  static Result<EmitFile> open(const std::filesystem::path& path);
  Result<void> append(std::string_view bytes);
  Result<void> sync();
  // Opens the path again if it names another file than the one open (renamed, removed).
  Result<void> reopen_if_moved();
  Result<void> reopen();
  // The identity of the file open and its size (after the last append).
  ino_t inode() const { return inode_; }
  std::uint64_t size() const { return size_; }
  bool is_stdout() const { return path_ == "-"; }

 private:
  EmitFile() = default;
  std::filesystem::path path_;
  UniqueFd fd_;
  ino_t inode_ = 0;
  std::uint64_t size_ = 0;
};

}  // namespace logship::watch
