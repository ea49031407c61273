// Redaction: a copy of a vault file in which chosen payload lines are replaced by
// "@logship redacted sha256=<hash of the vault line>". The MAC covers line hashes, not lines,
// so the copy still verifies, with the key, clean.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace logship::vault {

// A POSIX extended regular expression (regcomp(3), REG_EXTENDED), matched anywhere in a line
// of arbitrary bytes (NUL included, via REG_STARTEND), in the C locale: byte semantics.
class Pattern {
 public:
  // Compiles `ere`; a bad expression is ErrorKind::config with regerror's text.
  static Result<Pattern> compile(const std::string& ere);
  bool matches(std::string_view bytes) const;  // true when the expression matches somewhere

 private:
  struct Compiled;
  explicit Pattern(std::shared_ptr<Compiled> c) : compiled_(std::move(c)) {}
  std::shared_ptr<Compiled> compiled_;
};

struct RedactStats {
  std::uint64_t lines = 0;     // vault lines copied
  std::uint64_t redacted = 0;  // payload lines replaced by a marker
};

// Copies `in` to a new file `out` (created with O_EXCL, mode 0640: never overwrites), replacing
// every payload line inside a batch whose original content (unescaped; for a fragment, the
// fragment) matches `pattern`. The input is never modified. On failure `out` is removed.
Result<RedactStats> redact_file(const std::filesystem::path& in, const std::filesystem::path& out,
                                const Pattern& pattern, std::size_t max_line);

// The marker that replaces one vault line.
std::string redaction_marker(std::string_view vault_line);

}  // namespace logship::vault
