// Output: the local copy of one followed file, in one of two formats.
//  raw     the remote bytes, byte for byte. After a crash the file is cut back to the
//          checkpoint, so it must not be append-only (chattr +a); that is checked at open.
//  framed  vault format v1 (docs/FORMAT.md): one stream per followed file, batches whose begin
//          lines carry file= (remote path read), fid= (generation id) and off= (remote offset
//          of the first payload byte), so logship-verify --extract drops any repeat. After a
//          crash, batches written after the checkpoint are rolled forward, and a torn one is
//          resent byte-identical; nothing is ever cut, so the file may be append-only.
// The output tracks the *resumable* offset: the remote offset up to which every byte is in the
// file (framed: an incomplete last line waits for its '\n' and is not counted yet).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "follow/checkpoint.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/result.hpp"
#include "vault/control_line.hpp"
#include "vault/seal.hpp"

namespace logship::follow {

enum class Format { raw, framed };

struct OutputOptions {
  std::filesystem::path path;  // the local file (created 0640, parents 0750)
  Format format = Format::framed;
  std::string source;                // framed: src= (the monitored host)
  std::string stream;                // framed: stream= (the followed remote path)
  std::size_t max_line = 64 * 1024;  // framed: bytes; longer lines become marked fragments
  std::size_t max_batch = 1u << 20;  // framed: bytes of vault lines per batch, about
  // framed: the seal state of a stream never sealed before (GenesisKey::start_stream)
  std::function<Result<vault::SealState>()> start_stream;
};

// Where the bytes appended next come from.
struct Origin {
  std::string file;              // remote path read (the followed path, or a rotated copy)
  std::uint64_t generation = 0;  // fid
  std::uint64_t offset = 0;      // remote offset of the next byte
};

class Output {
 public:
  static Result<std::unique_ptr<Output>> open(OutputOptions options, const Clock& clock);
  virtual ~Output() = default;

  // Reconciles the file with checkpoint `c` (as loaded; nullopt for a new file) and returns the
  // checkpoint to resume from. Problems that were repaired are appended to `notes`.
  virtual Result<Checkpoint> recover(const std::optional<Checkpoint>& c,
                                     std::vector<std::string>& notes) = 0;

  // Sets the origin of the next bytes. A new generation (or a jump) needs finish() before.
  virtual Result<void> set_origin(Origin origin) = 0;
  // Appends bytes read at origin().offset (which advances by their size).
  virtual Result<void> append(std::string_view bytes) = 0;
  // Writes what append() holds in an open batch (framed); call at the end of each read burst.
  virtual Result<void> flush() = 0;
  // An incomplete last line is written as a fragment (framed), then flush(): at the end of a
  // generation, or when a line waited too long for its '\n'.
  virtual Result<void> finish() = 0;
  // Framed: writes an empty batch carrying file=, fid=, off= (resumable offset) and `fields`
  // (an event or a heartbeat). Raw: nothing.
  virtual Result<void> mark(const std::vector<vault::Field>& fields) = 0;

  const Origin& origin() const { return origin_; }
  // Remote offset (in origin().generation) up to which every byte is in the file.
  virtual std::uint64_t resumable_offset() const = 0;
  // Bytes held back: an incomplete last line (framed).
  virtual std::uint64_t pending() const = 0;
  std::uint64_t size() const { return size_; }  // bytes in the file
  // When the last batch was written (framed; heartbeats are due after this).
  SteadyTime last_write() const { return last_write_; }
  // The seal state to checkpoint (framed), "" for raw.
  virtual std::string seal_record() const = 0;
  const std::filesystem::path& path() const { return options_.path; }
  int fd() const { return fd_.get(); }  // for fdatasync by the Syncer

 protected:
  Output(OutputOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(clock), last_write_(clock.now()) {}
  Result<void> write(std::string_view bytes);  // appends to the file
  Result<void> refresh();                      // before recover(): size from the file, no origin

  OutputOptions options_;
  const Clock& clock_;
  SteadyTime last_write_;
  UniqueFd fd_;
  std::uint64_t size_ = 0;
  Origin origin_;
};

}  // namespace logship::follow
