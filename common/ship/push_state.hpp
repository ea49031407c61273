// PushState: what logship-push must remember across a crash, in one record of a SlotFile:
// the seal state (next seq, chain, current key), the last spool record id the vault holds,
// and the batch in flight, written BEFORE its first send so that a resend after a restart is
// byte-identical (same records, same time, same dropped count).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"
#include "util/slot_file.hpp"
#include "vault/format.hpp"
#include "vault/seal.hpp"

namespace logship::ship {

// The batch being sent: records first..last of the spool (none for a heartbeat: first = 0).
// An open batch may have grown past `last` on the wire (records that followed, without a hole,
// within the batch size); it is recorded closed before its end line is sent, so a resend of an
// open batch takes every such record there is, and a complete batch is always resent as it was.
struct InFlight {
  std::uint64_t first = 0;    // first spool record id; 0: no records
  std::uint64_t last = 0;     // last spool record id, or the id through which loss is counted
  vault::VaultTime time{};    // the batch's time= field
  std::uint64_t dropped = 0;  // its dropped= field
  bool open = false;          // records after `last` may follow it
  bool operator==(const InFlight&) const = default;
};

struct PushState {
  std::uint64_t acked = 0;  // every spool record id <= acked is in the vault (or lost)
  std::optional<InFlight> inflight;
  vault::SealState seal;
};

// Text form of the record (holds the key).
std::string encode(const PushState& state);
// Parses encode()'s text; the error names what is wrong (ErrorKind::data).
Result<PushState> decode(std::string_view text);

// The state file of a state directory, written in place so replaced keys are erased.
class PushStateFile {
 public:
  static Result<PushStateFile> open(const std::filesystem::path& path);
  PushStateFile(PushStateFile&&) noexcept;
  PushStateFile& operator=(PushStateFile&&) noexcept;
  ~PushStateFile();  // syncs what was recorded, then stops the background thread

  // nullopt when the file is new (run `logship-push init` first).
  Result<std::optional<PushState>> load();
  // Records `state` durably: on the disk (fdatasync) when it returns.
  Result<void> save(const PushState& state);

  // Records `state` where a crash of the process cannot lose it (the page cache) and has it
  // synced: on the background thread once sync_in_background() was called, else at once.
  // Returns the record's generation, for durable().
  Result<std::uint64_t> record(const PushState& state);
  // Waits until the record of `generation` (and every earlier one) is on the disk. A failed
  // fdatasync is returned once, and tried again at the next call.
  Result<void> durable(std::uint64_t generation);
  // Whether durable(generation) would return at once: the record is on the disk, or its sync
  // failed (durable() then says why). Never waits.
  bool sync_settled(std::uint64_t generation);
  // From now on record() leaves the fdatasync to a thread of its own, so that the sender does
  // not wait for a busy disk. `settled` runs on that thread after each sync, failed or not.
  void sync_in_background(std::function<void()> settled = {});

 private:
  struct Background;
  explicit PushStateFile(SlotFile file);
  std::unique_ptr<SlotFile> file_;  // on the heap: the background thread holds it
  std::unique_ptr<Background> background_;
};

}  // namespace logship::ship
