// The test vectors of docs/vectors: generated deterministically (fixed K_0, times and lines),
// checked in, and compared byte for byte by vectors_test.cpp.
#pragma once

#include <string>
#include <vector>

namespace logship::vault::testing {

struct VectorFile {
  std::string name;     // file name in docs/vectors
  std::string content;  // exact bytes
};

// Every vector file: keys, vault files, expected extracts, and intermediate values.
std::vector<VectorFile> make_vectors();

// The intermediate values (h_i, D, C, K_n, MAC) of a vault file, recomputed from its bytes with
// a direct transcription of docs/FORMAT.md (not the library's incremental code).
std::string intermediate_values(const std::string& vault, const std::string& k0_hex);

}  // namespace logship::vault::testing
