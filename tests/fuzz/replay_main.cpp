// Runs a fuzz entry point over files and directories of inputs, without libFuzzer: the normal
// build's ctest exercises every fuzz target on its seed corpus this way.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

int run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  const std::string bytes = s.str();
  return LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::directory_iterator(arg))
        if (e.is_regular_file()) n += run_file(e.path()) == 0;
    } else {
      n += run_file(arg) == 0;
    }
  }
  std::cout << "replayed " << n << " inputs\n";
  return n > 0 ? 0 : 1;  // an empty corpus means the test exercised nothing
}
