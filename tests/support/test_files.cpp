#include "support/test_files.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace logship::test {

std::filesystem::path program_path(const std::string& name) {
  const char* dir = std::getenv("LOGSHIP_BIN_DIR");
  return std::filesystem::path(dir ? dir : "build/bin") / name;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace logship::test
