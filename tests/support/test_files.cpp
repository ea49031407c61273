#include "support/test_files.hpp"

#include <algorithm>
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

std::string first_difference(std::string_view got, std::string_view want) {
  const auto at = static_cast<std::size_t>(
      std::mismatch(got.begin(), got.end(), want.begin(), want.end()).first - got.begin());
  const auto line_at = [at](std::string_view s) {
    if (at >= s.size()) return std::string("(end)");
    const auto nl = at == 0 ? std::string_view::npos : s.rfind('\n', at - 1);
    const auto start = nl == std::string_view::npos ? 0 : nl + 1;
    return "'" +
           std::string(s.substr(start, std::min<std::size_t>(s.find('\n', start) - start, 200))) +
           "'";
  };
  return "from byte " + std::to_string(at) + ": got " + line_at(got) + ", expected " +
         line_at(want);
}

}  // namespace logship::test
