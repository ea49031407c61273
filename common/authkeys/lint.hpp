// Lint of authorized_keys files: every entry that grants more than logging needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logship::authkeys {

struct LintOptions {
  bool require_from = true;         // false: a missing from= is not a finding (enforced elsewhere)
  std::optional<std::int64_t> now;  // seconds since the epoch: report expired entries
};

// One thing an entry allows beyond logging, or an entry sshd refuses.
struct Finding {
  std::size_t line = 0;  // 1-based
  std::string code;      // stable name, e.g. "no-command" (docs/KEYS.md lists them)
  std::string key;       // the key's comment, or its type and a blob prefix, to find it
  std::string grants;    // what the entry allows, or why sshd refuses it
  std::string fix;       // what to change
};

struct LintReport {
  std::size_t lines = 0;
  std::size_t entries = 0;  // lines holding a key (broken lines included)
  std::vector<Finding> findings;
};

// Lints the whole text of an authorized_keys file.
LintReport lint_authorized_keys(std::string_view text, const LintOptions& options = {});

// "LINE: CODE: GRANTS; fix: FIX" (the caller puts the file name in front).
std::string format_finding(const Finding& f);

// {"file":..., "lines":N, "entries":N, "findings":[{"line":N,"code":...,"key":...,
// "grants":...,"fix":...}, ...]}
std::string to_json(const LintReport& report, std::string_view file);

}  // namespace logship::authkeys
