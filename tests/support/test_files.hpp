// Small file helpers shared by the end-to-end tests.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace logship::test {

// A built program: LOGSHIP_BIN_DIR (set by ctest) / name, or build/bin/name without it.
std::filesystem::path program_path(const std::string& name);

// The whole content of a file, or "" when it cannot be read.
std::string slurp(const std::filesystem::path& p);

// Where `got` parts from `want`, for a failure message: the byte offset, and the line each holds
// there (at most 200 bytes of it), or "(end)" past its end.
std::string first_difference(std::string_view got, std::string_view want);

}  // namespace logship::test
