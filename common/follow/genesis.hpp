// The genesis key of a logship-pull state directory: G_j at position j, from which each new
// stream takes its own K_0 = stream_key(G_j, j, src, stream) (FORMAT.md §5). Starting a stream
// replaces G_j by G_{j+1} on disk (the slot overwritten) before the stream writes anything, so
// whoever reads the state directory at some time holds only the G of that time and cannot make
// the K_0 of any stream started before it. G_0 is the verification key of `logship-pull init`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "crypto/sha256.hpp"
#include "util/result.hpp"
#include "util/slot_file.hpp"
#include "vault/seal.hpp"

namespace logship::follow {

class GenesisKey {
 public:
  // Writes G_0 at position 0 into a new file (mode 0600); fails if the file holds a record.
  static Result<void> create(const std::filesystem::path& path, const crypto::Digest& g0);
  // Reads the file: a damaged or empty one is an error naming it.
  static Result<GenesisKey> open(const std::filesystem::path& path);

  GenesisKey(GenesisKey&& o) noexcept;
  GenesisKey& operator=(GenesisKey&&) = delete;
  GenesisKey(const GenesisKey&) = delete;
  ~GenesisKey();  // wipes G

  // The seal state of a new stream (src, stream): K_0 from G_j, genesis=j in its begin lines.
  // G_{j+1} is durably on disk, G_j overwritten, when it returns.
  Result<vault::SealState> start_stream(std::string_view src, std::string_view stream);

  std::uint64_t position() const { return position_; }  // j of the next stream

 private:
  GenesisKey(SlotFile file, std::filesystem::path path, std::uint64_t position,
             const crypto::Digest& g)
      : file_(std::move(file)), path_(std::move(path)), position_(position), g_(g) {}

  SlotFile file_;
  std::filesystem::path path_;
  std::uint64_t position_ = 0;
  crypto::Digest g_{};
};

}  // namespace logship::follow
