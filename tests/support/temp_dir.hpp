// A private temporary directory for a test, removed with everything in it at destruction.
#pragma once

#include <filesystem>
#include <string>

namespace logship::test {

class TempDir {
 public:
  TempDir();  // under $TMPDIR, named logship-XXXXXX
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `bytes` as the file `name` in it (replacing one there); returns its path.
  std::filesystem::path write(const std::string& name, const std::string& bytes) const;

 private:
  std::filesystem::path path_;
};

// Appends `text` to the file `p` (made if missing).
void append(const std::filesystem::path& p, const std::string& text);

}  // namespace logship::test
