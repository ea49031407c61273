// RawOutput: the followed bytes, unchanged (see output.hpp).
#pragma once

#include "follow/output.hpp"

namespace logship::follow {

class RawOutput final : public Output {
 public:
  RawOutput(OutputOptions options, const Clock& clock) : Output(std::move(options), clock) {}

  // Cuts the file back to the checkpoint's size: bytes after it were never checkpointed and are
  // read again.
  Result<Checkpoint> recover(const std::optional<Checkpoint>& c,
                             std::vector<std::string>& notes) override;
  Result<void> set_origin(Origin origin) override {
    origin_ = std::move(origin);
    return {};
  }
  Result<void> append(std::string_view bytes) override;
  Result<void> flush() override { return {}; }
  Result<void> finish() override { return {}; }
  Result<void> mark(const std::vector<vault::Field>&) override { return {}; }
  std::uint64_t resumable_offset() const override { return origin_.offset; }
  std::uint64_t pending() const override { return 0; }
  std::string seal_record() const override { return {}; }
};

}  // namespace logship::follow
