// Quoting for forced commands. A vault path in `command="cat >> 'PATH'"` is read twice on the
// vault: by sshd's option parser (inside the double quotes only \" is an escape) and then by
// the account's shell (`sh -c`). These functions make both readings give back the path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace logship::authkeys {

// Why `path` cannot name a vault file in a forced command (one sentence naming the character
// or part and why), or nullopt when it can: it must be absolute, printable ASCII, without a
// "." or ".." component, and name a file (no trailing '/').
std::optional<std::string> vault_path_problem(std::string_view path);

// `word` as one POSIX sh word: single-quoted, each ' written '\''. Inside single quotes sh
// interprets nothing ($, `, \, ", space, glob characters are literal).
std::string shell_quote(std::string_view word);

// True when sh reads `word` unquoted as itself: only letters, digits and _ . / + , : @ % = -
// (no glob, expansion, quoting, operator or blank character), and not empty.
bool is_plain_shell_word(std::string_view word);

// `value` as the text between an sshd option's double quotes: each " written \" (sshd reads
// \\" as a backslash and a quote). `value` must not end with a backslash: sshd would read the
// closing quote as escaped. The forced commands made here end with ' or a letter.
std::string sshd_quote(std::string_view value);

// What sshd makes of the text between an option's double quotes (its opt_dequote): \" is a
// double quote, every other character (a lone backslash included) is itself.
std::string sshd_unquote(std::string_view quoted);

}  // namespace logship::authkeys
