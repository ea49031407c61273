// Builds one batch of the vault format: the begin line, each payload line escaped and hashed as
// it comes, and the sealed end line. Pure and deterministic (time is an input), so a resend of
// the same batch is byte-identical, and test vectors are reproducible.
//
//   auto b = BatchBuilder::open(state, header);           // begin line ready
//   send(b->begin_line());
//   b->add(line, LineEnd::newline, out); send(out);        // as lines come
//   auto sealed = b->seal(state); send(sealed->end_line);
//   ... once the vault acknowledged: state.commit(*sealed);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"
#include "vault/control_line.hpp"
#include "vault/hashing.hpp"
#include "vault/seal.hpp"

namespace logship::vault {

// How an input piece ended: a complete line (it had a '\n'), or a fragment (a line longer than
// the sender's maximum, or the last bytes of the input without a '\n').
enum class LineEnd { newline, none };

// The sender-chosen fields of a begin line (seq and prev come from the SealState).
struct BatchHeader {
  std::string src;            // source name (host name by default); not empty
  std::string stream;         // stream name, e.g. "auth"; not empty
  VaultTime time{};           // sender's UTC time when the batch was cut
  std::uint64_t dropped = 0;  // input lines dropped (spool full) since the previous batch
  std::vector<Field> extra;   // further k=v fields, e.g. file=, off= (keys: valid_extra_key)
};

class BatchBuilder {
 public:
  // Starts batch state.seq(); fails (ErrorKind::config) for an empty src/stream or a bad key.
  static Result<BatchBuilder> open(const SealState& state, const BatchHeader& header);

  // "@logship begin ...\n".
  const std::string& begin_line() const { return begin_; }

  // Appends the vault line for one payload piece (which must not contain '\n'), with its '\n',
  // to `out`.
  Result<void> add(std::string_view bytes, LineEnd end, std::string& out);

  struct Piece {
    std::string_view bytes;
    LineEnd end = LineEnd::newline;
  };
  // The bytes add() appends for a piece: its vault line (marker or escape included) and '\n'.
  static std::size_t vault_size(const Piece& piece);
  // add() for each piece in order, their lines hashed two at a time (crypto::sha256_x2). A piece
  // with a '\n' is left out, and the first such error is returned after the others are added.
  Result<void> add_all(std::span<const Piece> pieces, std::string& out);

  std::uint64_t lines() const { return lines_; }  // payload vault lines so far
  std::uint64_t bytes() const { return bytes_; }  // their bytes, newlines included

  // Computes D, the chain and the MAC with state's key; returns the end line. `state` must be
  // the one the batch was opened with (same seq). The builder is spent afterwards.
  Result<SealedBatch> seal(const SealState& state);

 private:
  BatchBuilder() = default;

  std::uint64_t seq_ = 0;
  crypto::Digest prev_{};
  std::string begin_;
  std::string scratch_;
  // Appends the piece's vault line and '\n' to `out`, counts it; returns the line (no '\n').
  std::string_view frame(const Piece& piece, std::string& out);

  std::vector<std::pair<std::size_t, std::size_t>> added_;  // add_all(): its lines in `out`
  std::string hashes_;                                      // add_all(): their hashes
  BatchHasher batch_;
  crypto::Sha256 line_;
  std::uint64_t lines_ = 0;
  std::uint64_t bytes_ = 0;
  bool sealed_ = false;
};

}  // namespace logship::vault
