// Small file helpers shared by the end-to-end tests.
#pragma once

#include <filesystem>
#include <string>

namespace logship::test {

// A built program: LOGSHIP_BIN_DIR (set by ctest) / name, or build/bin/name without it.
std::filesystem::path program_path(const std::string& name);

// The whole content of a file, or "" when it cannot be read.
std::string slurp(const std::filesystem::path& p);

}  // namespace logship::test
