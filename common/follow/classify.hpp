// The pure decision of what happened to a followed file since the last look, from what one poll
// saw: the path (stat), the file still held open (fstat, taken after the stat of the path), and
// the first bytes of either. No I/O here: table-tested in tests/follow/classify_test.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "follow/file_identity.hpp"
#include "util/clock.hpp"

namespace logship::follow {

// What a path or an open handle names.
enum class Kind {
  regular,           // a regular file (through symbolic links)
  missing,           // no such file
  unreadable,        // permission denied
  directory,         // a directory
  dangling_symlink,  // a symbolic link to nothing
  special,           // a FIFO, socket or device
};

// What a look at a path (stat) or at the file held open (fstat) found: its kind, and for a
// regular file its size, time and mode. The follower's view of ssh::FileAttrs, with the
// failures that are answers (missing, unreadable) folded into the kind.
struct Stat {
  Kind kind = Kind::missing;
  std::uint64_t size = 0;
  WallTime mtime{};
  std::uint32_t mode = 0;  // permission bits
};

// One poll of one followed file.
struct Probe {
  Stat path;                               // stat of the followed path
  std::optional<Stat> handle;              // fstat of the file held open, taken after `path`
  std::optional<std::string> handle_head;  // first bytes of the held file (with `handle`)
  std::optional<std::string> path_head;    // first bytes of the file the path names, if read
};

enum class Change {
  unchanged,       // same file, nothing after `offset`
  grown,           // same file, bytes after `offset` to read
  truncated,       // the file followed lost bytes (truncation, copytruncate), or, read without a
                   // handle, is shorter than `offset`: start again at 0 once the rest is found
  rotated,         // the path names another file; the held one (if any) is to be finished first
  replaced,        // no handle and the path names a file that does not start as ours did
                   // (rotated or rewritten while nobody watched): look for the old one
  missing,         // the path names nothing (the held file, if any, is finished meanwhile)
  unreadable,      // the path cannot be read (permission)
  not_regular,     // the path names a directory, a dangling symlink or a special file
  need_path_head,  // undecidable from attributes: read the path's first bytes, ask again
};

// `id`/`offset`: identity of the file followed and how far it has been read. With a handle,
// `handle` and `handle_head` must be set; without one, `path_head` is needed for a regular path.
Change classify(const FileIdentity& id, std::uint64_t offset, const Probe& probe);

// Whether `candidate` (stat and first bytes of a rotated copy) holds the file `id` was taken
// from, with at least `offset` bytes: the rest after `offset` can be read from it.
bool is_copy_of(const FileIdentity& id, std::uint64_t offset, const Stat& candidate,
                std::string_view head);

// Short stable names ("copytruncated" is `truncated` with the rest found in a copy).
std::string_view to_string(Change c);
std::string_view to_string(Kind k);

}  // namespace logship::follow
