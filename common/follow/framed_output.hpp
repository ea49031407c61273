// FramedOutput: the followed lines as vault format v1 batches (see output.hpp), one stream per
// followed file, sealed with the stream's own SealState.
#pragma once

#include <optional>

#include "follow/output.hpp"
#include "vault/batch_builder.hpp"
#include "vault/line_splitter.hpp"
#include "vault/seal.hpp"

namespace logship::follow {

class FramedOutput final : public Output {
 public:
  FramedOutput(OutputOptions options, const Clock& clock);

  // Rolls forward the batches written after the checkpoint (the seal state, and the offset
  // their payload covers); a torn batch at the end is resent byte-identical when its bytes are
  // read again. Never cuts the file.
  Result<Checkpoint> recover(const std::optional<Checkpoint>& c,
                             std::vector<std::string>& notes) override;
  Result<void> set_origin(Origin origin) override;
  Result<void> append(std::string_view bytes) override;
  Result<void> flush() override;
  Result<void> finish() override;
  Result<void> mark(const std::vector<vault::Field>& fields) override;
  std::uint64_t resumable_offset() const override { return written_; }
  std::uint64_t pending() const override { return splitter_.pending(); }
  // The seal state, and for a stream keyed from the genesis key a line naming the (src,
  // stream) its key was derived for: the key seals nothing under other names.
  std::string seal_record() const override;

 private:
  std::vector<vault::Field> origin_fields(std::uint64_t off) const;  // file=, fid=, off=
  Result<void> open_batch(std::vector<vault::Field> extra);
  Result<void> seal_and_write();
  // Splits `bytes` (or, with `finish`, the pending rest) into pieces and adds them to batches,
  // a run at a time (BatchBuilder::add_all hashes two lines at once), cutting each batch after
  // the line that brings it to max_batch, as adding them one by one would.
  Result<void> emit(std::string_view bytes, bool finish);

  std::optional<vault::SealState> state_;
  vault::LineSplitter splitter_;
  std::optional<vault::BatchBuilder> builder_;      // the open batch
  std::string buf_;                                 // its vault lines so far
  std::vector<vault::BatchBuilder::Piece> pieces_;  // of one emit()
  std::string joined_;  // a piece the splitter joined from earlier bytes, which pieces_ views
  std::uint64_t emitted_ = 0;               // remote offset after the last piece given to a batch
  std::uint64_t written_ = 0;               // remote offset after the last batch written
  std::optional<vault::BeginLine> resend_;  // a torn batch to complete byte-identically
};

}  // namespace logship::follow
