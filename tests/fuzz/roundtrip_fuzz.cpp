// libFuzzer target: arbitrary bytes as the input of a sender (split into lines and fragments,
// cut into batches, sealed), then verified and extracted. The property: the vault verifies
// clean with the key, and the extract reproduces the input byte for byte.
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_key.hpp"
#include "vault/batch_builder.hpp"
#include "vault/line_splitter.hpp"
#include "vault/verifier.hpp"

using namespace logship;
using namespace logship::vault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_line = 1 + data[0] % 64;
  const std::size_t per_batch = 1 + data[1] % 8;
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  auto state = SealState::initial(fuzz::seed_key());
  std::string vault;
  std::vector<std::pair<std::string, LineEnd>> pieces;
  long long t = 0;
  auto flush_batch = [&] {
    const VaultTime when{std::chrono::seconds(1'790'000'000 + t++)};
    auto b = BatchBuilder::open(state, BatchHeader{"src", "fuzz", when, 0, {}});
    if (!b) std::abort();
    vault += b->begin_line();
    for (const auto& [bytes, end] : pieces)
      if (!b->add(bytes, end, vault)) std::abort();
    auto sealed = b->seal(state);
    if (!sealed || !state.commit(*sealed)) std::abort();
    vault += sealed->end_line;
    pieces.clear();
  };
  LineSplitter split(max_line);
  auto emit = [&](std::string_view p, LineEnd e) {
    pieces.emplace_back(std::string(p), e);
    if (pieces.size() >= per_batch) flush_batch();
  };
  split.feed(input, emit);
  split.flush(emit);
  flush_batch();

  UniqueFd fd(::memfd_create("vault", MFD_CLOEXEC));
  if (!fd.valid() || !write_all(fd.get(), vault, "memfd")) std::abort();
  VerifyOptions opt;
  opt.key = fuzz::seed_key();
  StringSink sink;
  std::size_t findings = 0;
  Verifier v(
      opt, [&](const Finding&) { ++findings; }, &sink);
  if (!v.add_fd(std::move(fd), "roundtrip.vault") || !v.finish()) std::abort();
  if (findings != 0) std::abort();      // a sender's own output must verify clean
  if (sink.out != input) std::abort();  // and extract to exactly the input
  return 0;
}
