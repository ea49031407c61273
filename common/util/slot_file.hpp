// SlotFile: a small state record that survives power loss AND is erased when replaced.
// atomic_write_file's rename leaves the old content in freed disk blocks; for state that holds
// a sealing key that must be forgotten (forward security), that is not good enough. A slot
// file has two fixed slots overwritten in place: the new record goes to the older slot, is
// synced, then overwrites the other slot too (synced with the next write, so one fdatasync per
// write). A crash at any point leaves one valid slot holding the newest durable record.
//
// A write may also be left to sync later (write_unsynced, then sync, possibly on another
// thread): the record is then safe from a crash of the process at once (it is in the page
// cache), and from a power loss once sync() returns. Until then the slot of the newest durable
// record is not touched, so a power loss leaves that record, never two torn slots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
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

  // Replaces the record where a crash of this process cannot lose it, without waiting for the
  // disk; returns its generation. It goes into the slot that does not hold the newest durable
  // record (again and again until a sync). The previous record is erased by the sync.
  Result<std::uint64_t> write_unsynced(std::string_view record);
  // Makes the newest record durable (fdatasync, outside the lock: writes go on meanwhile), then
  // overwrites the other slot, the previous record, with it. Returns the generation now durable.
  // May run on another thread than the writes.
  Result<std::uint64_t> sync();

 private:
  SlotFile(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Result<void> write_slot(int slot, std::string_view record, std::uint64_t generation);

  UniqueFd fd_;
  std::filesystem::path path_;
  std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();  // guards the four below
  std::uint64_t generation_ = 0;                                     // of the newest record
  std::uint64_t durable_generation_ = 0;  // of the newest record known to be on the disk
  int durable_slot_ = 0;                  // where that record is; writes go to the other slot
  std::string record_;                    // the newest record
};

}  // namespace logship
