// What the fuzz targets share: the key the seed corpus is sealed with (docs/vectors/v1.key).
#pragma once

#include "crypto/sha256.hpp"

namespace logship::vault::fuzz {

// K_0 = 00 01 ... 1f.
inline crypto::Digest seed_key() {
  crypto::Digest k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  return k;
}

}  // namespace logship::vault::fuzz
