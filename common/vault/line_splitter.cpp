#include "vault/line_splitter.hpp"

namespace logship::vault {

void LineSplitter::flush(const Emit& emit) {
  if (pending_.empty()) return;
  emit(pending_, LineEnd::none);
  pending_.clear();
}

}  // namespace logship::vault
