// Landing: where the bytes taken from the input FIFO lie until their lines are in the spool, so
// that the agent killed between the two (kill -9, OOM, a crash) loses none of them.
//
// A read(2) from the FIFO empties the pipe into the reader's memory: killed before it wrote
// them into the spool, the agent would lose lines that syslog had already handed over. Instead
// the bytes are moved with splice(2) from the pipe into a file of the state directory, in the
// kernel, in one step: what left the pipe is in the file's page cache, and the file's size says
// how much it is. They are then read from there, cut into lines and appended to the spool.
// After each drain the landing starts a new generation whose header records the spool id its
// first line will take, and holds only the part of a line still without its '\n'.
//
// At the next start, the bytes of the last generation are cut into lines again (with the line
// length of that run): the first (spool next id - first id) of them are in the spool already,
// the rest are appended. Only a generation written on the same boot is replayed: the landing is
// never fsynced (a power loss is the spool's fsync interval's to bound, SPOOL.md), so after a
// reboot its bytes are not trusted and are reported, not appended.
//
// Files: DIR/landing.0 and DIR/landing.1, mode 0600. Each has two header slots (a generation,
// the first id, where its data starts, the line length, the boot id, a CRC) and data from
// kDataStart on. A new generation goes into the current file's other slot while the file is
// small, and into the other file, truncated first, when it has grown past kRotateBytes.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/files.hpp"
#include "util/result.hpp"

namespace logship::input {

// The input a landing's bytes came from: a FIFO's device and inode; zero for anything else
// (an anonymous pipe does not outlive its reader, so its unfinished line never gets its rest).
struct InputId {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  bool operator==(const InputId&) const = default;
};

class Landing {
 public:
  static constexpr off_t kDataStart = 4096;
  static constexpr off_t kRotateBytes = 1 << 20;

  // What the previous run had taken from the input since its last new generation.
  struct Leftover {
    std::string bytes;
    std::uint64_t first_id = 0;  // the spool id of the first piece cut from `bytes`
    std::size_t max_line = 0;    // the line length those pieces were cut with
    InputId input;               // where they came from
  };

  // Opens (creating) the two files in `dir` and reads the newest generation: a leftover from a
  // run on this boot, or a line for `note` about one from an earlier boot (not replayed).
  static Result<std::unique_ptr<Landing>> open(const std::filesystem::path& dir);

  // The previous run's bytes, if it left any on this boot (moved out: once).
  std::optional<Leftover> take_leftover() { return std::exchange(leftover_, std::nullopt); }
  // Set when a generation of an earlier boot held bytes: what happened to them, for the log.
  const std::string& stale_note() const { return stale_note_; }

  // Moves up to `max` bytes from the pipe `pipe_fd` to the end of the landing; as read(2): the
  // bytes moved, 0 at the pipe's end, -1 with errno (EAGAIN: empty; an error of the file, such
  // as ENOSPC, leaves the pipe untouched).
  ssize_t take(int pipe_fd, std::size_t max);
  // Copies landed bytes not read yet into `out` (at most `max`); returns how many.
  Result<std::size_t> read(char* out, std::size_t max);
  bool unread() const { return read_ < end_; }

  // The input that the next generations' bytes come from.
  void set_input(InputId input) { input_ = input; }

  // Starts a new generation: every line landed so far is in the spool, and the next one will
  // get `first_id`; `pending` is the start of a line still without its '\n' (landed, not in the
  // spool), `max_line` the length lines are cut at. Until it succeeds, take() refuses (EAGAIN
  // is never returned then: errno is that of the failure) so that nothing lands under a header
  // that does not describe it. Refused while landed bytes are unread: they are in no line yet.
  Result<void> reset(std::uint64_t first_id, std::string_view pending, std::size_t max_line);

  bool usable() const { return usable_; }

 private:
  Landing() = default;
  Result<void> write_header(int file, int slot, off_t data_start);

  std::filesystem::path path_[2];
  UniqueFd fd_[2];
  std::string boot_id_;
  int current_ = 0;               // the file the newest generation is in
  std::uint64_t generation_ = 0;  // of the newest header
  std::uint64_t first_id_ = 0;
  std::size_t max_line_ = 0;
  InputId input_;
  off_t end_ = kDataStart;   // where the next byte lands in the current file
  off_t read_ = kDataStart;  // the next landed byte not read yet
  bool usable_ = false;      // the newest header describes the current file's data
  int failed_errno_ = 0;     // why not, after a reset failed
  std::optional<Leftover> leftover_;
  std::string stale_note_;
};

}  // namespace logship::input
