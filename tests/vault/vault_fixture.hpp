// Test helpers for the vault format: a simulated sender, temporary files, and a one-call
// verification that collects findings, infos and extracted payload.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "vault/batch_builder.hpp"
#include "vault/verifier.hpp"

namespace logship::vault::testing {

// K_0 = 00 01 02 ... 1f, the key of every test and of docs/vectors.
crypto::Digest test_key();

// 2026-11-22T02:20:40Z plus `offset` seconds.
VaultTime at(long long offset);

struct Piece {
  std::string bytes;
  LineEnd end = LineEnd::newline;
};

// Complete lines.
std::vector<Piece> lines(std::initializer_list<std::string> l);

// A sender: builds batches with BatchBuilder and commits them like the push agent.
class Sender {
 public:
  explicit Sender(std::string src = "web1", std::string stream = "auth",
                  const crypto::Digest& k0 = test_key());
  // A stream that starts from `state` (e.g. a K_0 derived from a genesis key).
  Sender(std::string src, std::string stream, SealState state);

  // The next batch's bytes, sealed but not committed (a resend builds the same bytes).
  std::string build(const std::vector<Piece>& pieces, VaultTime time, std::uint64_t dropped = 0,
                    std::vector<Field> extra = {});
  // Commits the batch last built (the vault acknowledged it).
  void commit();
  // build() + commit().
  std::string next(const std::vector<Piece>& pieces, VaultTime time, std::uint64_t dropped = 0);

  SealState& state() { return state_; }

 private:
  std::string src_, stream_;
  SealState state_;
  std::optional<SealedBatch> last_;
};

using test::TempDir;

struct Outcome {
  std::vector<Finding> findings, infos;
  std::string extracted;
  Summary summary;
  std::size_t count(FindingKind k) const;  // findings and infos of kind k
  bool has(FindingKind k) const { return count(k) > 0; }
  std::string dump() const;  // every finding and info, one per line (assertion messages)
};

// Options with the test key.
VerifyOptions keyed();

// Writes each content to its own file and verifies them in order, extracting the payload.
Outcome verify(const std::vector<std::string>& files, const VerifyOptions& opt = keyed());

// The whole file, read back.
std::string slurp(const std::filesystem::path& p);

// The source tree: $LOGSHIP_SOURCE_DIR, or where the tests were built from.
std::filesystem::path source_dir();

// Absolute path of a built program (LOGSHIP_BIN_DIR).
std::string bin(const std::string& name);

// Runs a shell command; returns its exit status, stdout in `out` (stderr in `err` if given).
int run(const std::string& command, std::string* out = nullptr, std::string* err = nullptr);

}  // namespace logship::vault::testing
