// A watched stream's checkpoint (WatchedStream::record, restore): what it goes on from after a
// restart, as versioned text. It holds the verifier state, hence the key position: keep it
// 0600.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"
#include "vault/findings.hpp"

namespace logship::watch {

// A stream's checkpoint.
struct StreamRecord {
  std::string name;
  dev_t dev = 0;
  ino_t ino = 0;                    // the live file's identity (0: none yet)
  std::string verifier;             // Verifier::state(), empty before the first settled point
  std::vector<std::string> replay;  // findings reported after that state (not again)
  std::uint64_t bytes_before = 0;   // bytes verified in files before the live one
  std::int64_t last_seen_us = 0;    // wall clock
  bool silent = false;
  std::map<std::string, std::uint64_t> findings;
  std::uint64_t infos = 0;
  std::vector<std::string> known;  // finding keys already reported (see finding_key)
  std::string emit_partial;        // EmitBuffer::partial() at the state
};
std::string encode(const StreamRecord& r);
// "FILE:LINE:KIND": what makes a re-verification's finding the same as one reported before.
std::string finding_key(const vault::Finding& f);
Result<StreamRecord> decode_stream_record(std::string_view text);

}  // namespace logship::watch
