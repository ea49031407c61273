// RunIndex: where the records this process appended lie, kept in memory as runs (ids one after
// another, every one present, contiguous in one segment), so that a batch is planned without
// reading it: only the run where a limit falls is read, one pread. Not thread-safe: the Spool
// calls it under its lock.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>

#include "spool/reader.hpp"
#include "util/result.hpp"

namespace logship::spool {

// Records this process appended: ids first..last, every one present, one after another in
// segment `segment` from byte `offset` to `end`, with `bytes` of payload.
struct Run {
  std::uint64_t first = 0, last = 0, bytes = 0, segment = 0, offset = 0, end = 0;
};

// What a batch may still take: records, and bytes of payload. It takes the next record while
// both are left, and its first record always.
struct Room {
  std::uint64_t records = 0, bytes = 0;
  bool left() const { return records > 0 && bytes > 0; }
};
// The batch size rule (ship::batch_room): the room left in a batch that holds `records` records
// with `bytes` of payload.
using SizeRule = std::function<Room(std::uint64_t records, std::uint64_t bytes)>;

// The next batch: the records after cursor.after (the first may follow a hole), in order
// without a hole, as many as the size rule lets it take; reached_end: no record was left.
// first 0: there was none.
struct Plan {
  std::uint64_t first = 0, last = 0;
  bool reached_end = false;
};

class RunIndex {
 public:
  static constexpr std::uint64_t kRunBytes = kSliceBytes;  // payload bytes a run grows to

  // Records from `id` on are this process's: each is add()ed once written.
  void trust_from(std::uint64_t id) { trusted_from_ = id; }
  // Records written: extends the last run if they follow it in its segment.
  void add(const Run& run);
  // The segment whose first id is `segment` is deleted: its runs go.
  void drop_segment(std::uint64_t segment);

  // Plans the batch after `cursor` from the runs, reading `segments` only where a limit falls
  // inside a run. nullopt when records written before this process started may come first:
  // plan those with read_slice(), which checks them.
  Result<std::optional<Plan>> plan(Segments& segments, const Cursor& cursor, const SizeRule& rule);

 private:
  std::deque<Run> runs_;            // oldest first: every record from trusted_from_ on
  std::uint64_t trusted_from_ = 0;  // the first id this process appended (or would have)
  Slice scratch_;                   // plan()'s reads
};

}  // namespace logship::spool
