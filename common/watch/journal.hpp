// Where logship-verify --follow keeps its place (--state-dir): a checkpoint of every stream,
// and a journal of the rounds since. Each round that changed anything appends one record:
// the changed streams' checkpoints and how many bytes of lines each emits in that round.
//
// The record is written (and, when the round emits lines, fdatasync'ed) before those lines go
// to the emit file, and the emit file is fdatasync'ed before the next record. So after a stop
// at any moment (kill -9, power loss) the last record tells how far its lines got: a stream
// whose lines are not all in the emit file goes on from its checkpoint *before* that round
// and drops the lines it produces again up to what the file already holds. None is repeated,
// none is lost, and the lines are written once, not journalled too. The journal is folded
// into the checkpoint from time to time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/files.hpp"
#include "util/result.hpp"

namespace logship::watch {

struct Round {
  struct Stream {
    std::string name;
    std::string record;            // encode(StreamRecord) after the round
    std::uint64_t emit_bytes = 0;  // the lines it emits in the round
  };
  std::uint64_t number = 0;
  std::uint64_t emit_inode = 0;  // the emit file written to, and its size before the lines
  std::uint64_t emit_base = 0;
  std::vector<Stream> streams;  // in the order their lines are written
  std::uint64_t emit_total() const;
};

class Journal {
 public:
  // Opens (creates) DIR/checkpoint and DIR/journal.
  static Result<Journal> open(const std::filesystem::path& dir);

  struct Loaded {
    std::map<std::string, std::string> streams;  // name -> the latest record
    // The last round, and each of its streams' records before it (absent: none before).
    std::optional<Round> last;
    std::map<std::string, std::string> before_last;
    std::uint64_t next_round = 1;
  };
  // Reads the checkpoint and the journal; a record cut by a crash at the journal's end is
  // dropped (its lines were not emitted: they are written after it).
  Result<Loaded> load();

  // Appends a round; `sync`: fdatasync before returning (lines to emit follow).
  Result<void> append(const Round& round, bool sync);
  // Writes every stream's latest record as the new checkpoint, then empties the journal.
  Result<void> compact(const std::map<std::string, std::string>& streams, std::uint64_t last_round);

  std::uint64_t journal_bytes() const { return journal_bytes_; }

 private:
  Journal(std::filesystem::path dir, UniqueFd journal)
      : dir_(std::move(dir)), journal_(std::move(journal)) {}
  std::filesystem::path dir_;
  UniqueFd journal_;
  std::uint64_t journal_bytes_ = 0;
};

}  // namespace logship::watch
