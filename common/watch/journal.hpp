// Where logship-verify --follow keeps its place (--state-dir): a checkpoint of every stream,
// and a journal of the rounds since. Each round that changed anything appends one record:
// the changed streams' checkpoints and the lines to emit, written (and, when lines are
// emitted, fdatasync'ed) before those lines go to the emit file. After a crash, kill -9 or
// power loss, the journal says which lines the emit file should end with, and the missing
// ones are appended: none is repeated, none is lost. The journal is folded into the
// checkpoint from time to time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "util/files.hpp"
#include "util/result.hpp"

namespace logship::watch {

struct Round {
  std::uint64_t number = 0;
  std::uint64_t emit_inode = 0;  // the emit file written to, and its size before the lines
  std::uint64_t emit_base = 0;
  std::string emit;                            // the lines
  std::map<std::string, std::string> streams;  // name -> encode(StreamRecord)
};

class Journal {
 public:
  // Opens (creates) DIR/checkpoint and DIR/journal.
  static Result<Journal> open(const std::filesystem::path& dir);

  struct Loaded {
    std::map<std::string, std::string> streams;  // name -> the latest record
    std::vector<Round> rounds;                   // since the checkpoint, in order
    std::uint64_t next_round = 1;
  };
  // Reads the checkpoint and the journal; a record cut by a crash at the journal's end is
  // dropped (its lines were not emitted: they are written after it).
  Result<Loaded> load();

  // Appends a round; `sync`: fdatasync before returning (lines to emit follow).
  Status append(const Round& round, bool sync);
  // Writes every stream's latest record as the new checkpoint, then empties the journal.
  Status compact(const std::map<std::string, std::string>& streams, std::uint64_t last_round);

  std::uint64_t journal_bytes() const { return journal_bytes_; }

 private:
  Journal(std::filesystem::path dir, UniqueFd journal)
      : dir_(std::move(dir)), journal_(std::move(journal)) {}
  std::filesystem::path dir_;
  UniqueFd journal_;
  std::uint64_t journal_bytes_ = 0;
};

}  // namespace logship::watch
