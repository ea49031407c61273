// SlotFile: a small state record that survives power loss AND is erased when replaced.
// atomic_write_file's rename leaves the old content in freed disk blocks; for state that holds
// a sealing key that must be forgotten (forward security), that is not good enough. A slot
// file has two fixed slots overwritten in place: the new record goes to the older slot, is
// synced, then overwrites the other slot too (synced with the next write, so one fdatasync per
// write). A crash at any point leaves one valid slot holding the newest durable record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/files.hpp"
#include "util/result.hpp"

namespace logship {

class SlotFile {
 public:
  static constexpr std::size_t kSlotSize = 4096;             // bytes per slot
  static constexpr std::size_t kMaxRecord = kSlotSize - 24;  // bytes of payload per slot

  // Opens or creates (mode 0600) the file.
  static Result<SlotFile> open(const std::filesystem::path& path);

  // The newest record whose checksum holds, or nullopt for a new (empty) file.
  // A file with content but no valid slot is an error (ErrorKind::data).
  Result<std::optional<std::string>> read();

  // Replaces the record durably, overwriting the previous one on disk.
  Result<void> write(std::string_view record);

 private:
  SlotFile(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Result<void> write_slot(int slot, std::string_view record, std::uint64_t generation, bool sync);

  UniqueFd fd_;
  std::filesystem::path path_;
  std::uint64_t generation_ = 0;  // of the newest record
};

}  // namespace logship
