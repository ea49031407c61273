#include "authkeys/quoting.hpp"

#include <cstdio>

namespace logship::authkeys {

namespace {

std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", c);
  return buf;
}

}  // namespace

std::optional<std::string> vault_path_problem(std::string_view path) {
  if (path.empty()) return "the path is empty; give the absolute path of the vault file";
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return "the path contains a NUL byte, which no file name can hold";
    if (c == '\n' || c == '\r')
      return "the path contains a line break, which would end the authorized_keys line and "
             "turn the rest of the path into a new entry";
    if (c < 0x20 || c == 0x7f)
      return "the path contains the control character " + hex_byte(c) +
             ", which is invisible when the line is reviewed and which terminals interpret";
    if (c >= 0x80)
      return "the path contains the non-ASCII byte " + hex_byte(c) +
             ": how the vault's shell reads it depends on its locale, and look-alike letters "
             "deceive a reviewer; use an ASCII path";
  }
  if (path.front() != '/')
    return "the path is relative: the forced command would resolve it against the vault "
           "account's home directory; give an absolute path";
  if (path.back() == '/') return "the path ends with '/': name the vault file, not a directory";
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const auto part = path.substr(start, end - start);
    if (part == "." || part == "..")
      return "the path has a '" + std::string(part) +
             "' component: the file it names is not the one it reads as; give the canonical "
             "path";
    start = end + 1;
  }
  return std::nullopt;
}

std::string shell_quote(std::string_view word) {
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

bool is_plain_shell_word(std::string_view word) {
  if (word.empty()) return false;
  for (const char c : word) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("_./+,:@%=-").find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string sshd_quote(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '"') out += '\\';
    out += c;
  }
  return out;
}

std::string sshd_unquote(std::string_view quoted) {
  std::string out;
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 1 < quoted.size() && quoted[i + 1] == '"') ++i;
    out += quoted[i];
  }
  return out;
}

}  // namespace logship::authkeys
