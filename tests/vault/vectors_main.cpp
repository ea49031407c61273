// logship-vault-vectors DIR: writes the test vectors of docs/vectors into DIR.
#include "vectors.hpp"

#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: logship-vault-vectors DIR (e.g. docs/vectors)\n";
    return 2;
  }
  for (const auto& f : logship::vault::testing::make_vectors()) {
    std::ofstream out(std::string(argv[1]) + "/" + f.name, std::ios::binary | std::ios::trunc);
    out << f.content;
    if (!out) {
      std::cerr << "cannot write " << argv[1] << "/" << f.name << "\n";
      return 1;
    }
  }
  return 0;
}
