// Checkpoint: where following one remote file can resume after a crash or a restart. It holds
// the *resumable* position: the remote offset up to which every byte is durably in the local
// output, and the output's size at that point, never the last read position. In framed mode it
// also holds the stream's seal state, so both change together in one atomic write.
//
// Stored in a SlotFile (two slots overwritten in place: a crash leaves the old or the new
// record, and a replaced sealing key is erased on disk). Record, text, versioned:
//   logship-pull-checkpoint v1 gen=<16 hex> idlen=<dec> id=<64 hex> off=<dec> local=<dec>\n
//   [logship-seal v1 ...\n]                              (framed mode: SealState::persist())
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "follow/file_identity.hpp"
#include "util/result.hpp"
#include "util/slot_file.hpp"

namespace logship::follow {

struct Checkpoint {
  std::uint64_t generation = 0;  // id of the file generation followed (fid=); 0: none yet
  FileIdentity identity;         // of that file
  std::uint64_t offset = 0;      // remote bytes [0, offset) are durably in the local output
  std::uint64_t local_size = 0;  // bytes of the local output holding them
  std::string seal;              // SealState::persist() in framed mode; empty in raw mode
  bool operator==(const Checkpoint&) const = default;
};

// The record text, and its parser (ErrorKind::data naming what is wrong).
std::string encode(const Checkpoint& c);
Result<Checkpoint> decode(std::string_view text);

// "0123456789abcdef": how a generation id is written (fid= in batches, status files).
std::string generation_hex(std::uint64_t generation);

// A fresh random, non-zero generation id.
std::uint64_t new_generation();

class CheckpointFile {
 public:
  // Opens or creates (mode 0600) the file.
  static Result<CheckpointFile> open(const std::filesystem::path& path);

  Result<std::optional<Checkpoint>> load();  // nullopt: never saved
  Result<void> save(const Checkpoint& c);    // durable when it returns

  const std::filesystem::path& path() const { return path_; }

 private:
  CheckpointFile(SlotFile slots, std::filesystem::path path)
      : slots_(std::move(slots)), path_(std::move(path)) {}
  SlotFile slots_;
  std::filesystem::path path_;
};

}  // namespace logship::follow
