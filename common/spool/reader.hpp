// Reader: the spool's read path (docs/SPOOL.md). Reads the records of the spool's segment
// files in id order from a cursor, one pread(2) a slice, as views into a reused buffer.
// Not thread-safe: the Spool calls it under its lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "spool/segment.hpp"
#include "util/files.hpp"
#include "util/result.hpp"

namespace logship::spool {

// One segment file, open.
struct SegmentFile {
  std::uint64_t first_id = 0;  // no record in it has a smaller id
  std::filesystem::path path;
  UniqueFd fd;
  std::uint64_t size = 0;        // bytes of valid data, header included
  std::uint64_t corrupt_at = 0;  // if non-zero: nothing at or after this offset is readable
  // This process wrote the segment from this offset on: its records there are not read back to
  // be checked (a crash or the disk may have damaged what an earlier run wrote, not these).
  std::uint64_t own_from = std::numeric_limits<std::uint64_t>::max();
};
using Segments = std::deque<std::unique_ptr<SegmentFile>>;  // oldest first; back() is written to

// Where a sequential reader stands: every record before `offset` of the segment whose first id
// is `segment` has an id <= `after`, every record from there on a larger one. segment 0: not
// known yet (found by scanning the segment that holds after + 1).
struct Cursor {
  std::uint64_t after = 0;
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
};

// What read_slice() fills, reused from one slice to the next: the bytes of one read and views
// of the records in them (valid until the next read_slice into the same Slice).
struct Slice {
  std::vector<RecordView> records;
  std::string bytes;  // a read buffer: grows to the largest read, its tail is stale
};

inline constexpr std::size_t kSliceBytes = 256u << 10;  // bytes per read_slice pread

// The records after cursor.after, through id `through`, from one read of about kSliceBytes:
// at most `max_bytes` of payload (at least one record) and `max_records`. Stops before a hole
// (the next call returns the records after it) and at the end (then `out` is empty).
// Advances the cursor past what it returned. `verify`: check each record's CRC (damage ends
// the segment's readable part: its ids become a hole, recorded in corrupt_at).
Result<void> read_slice(Segments& segments, Cursor& cursor, std::uint64_t through,
                        std::size_t max_bytes, std::size_t max_records, Slice& out, bool verify);

// Reads up to n bytes at offset into a reused buffer, grown but never shrunk (no zero-filling
// on every read): the bytes read are the first ones of `buf`, fewer than n only at end of file.
Result<std::size_t> pread_into(int fd, std::uint64_t offset, std::size_t n, std::string& buf,
                               const std::filesystem::path& path);

// Reads the records of one segment file in order, from `offset` up to `end`, each checked.
class Scanner {
 public:
  enum class Step { record, end, corrupt };
  static constexpr std::size_t kChunk = 256u << 10;  // bytes per read

  Scanner(int fd, const std::filesystem::path& path, std::uint64_t offset, std::uint64_t end)
      : fd_(fd), path_(path), off_(offset), end_(end) {}

  // The next record (payload copied if `copy`), the end, or damage at offset().
  Result<Step> next(Record& rec, bool copy);
  std::uint64_t offset() const { return off_; }

 private:
  std::string_view buffered() const;  // the bytes read ahead from off_ on

  int fd_;
  const std::filesystem::path& path_;
  std::uint64_t off_, end_;
  std::string buf_;
  std::uint64_t buf_off_ = 0;
};

}  // namespace logship::spool
