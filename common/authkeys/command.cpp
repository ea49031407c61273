#include "authkeys/command.hpp"

#include <vector>

#include "authkeys/quoting.hpp"

namespace logship::authkeys {

namespace {

struct Token {
  std::string text;  // a word after quote removal, or an operator
  bool op = false;   // ">>" or ">"
};

std::string describe(char c) {
  switch (c) {
    case '\n':
      return "a line break";
    case ';':
      return "';' (runs a second command)";
    case '&':
      return "'&' (runs a second command)";
    case '|':
      return "'|' (pipes into a second command)";
    case '$':
      return "'$' (expands a variable or runs a command)";
    case '`':
      return "'`' (runs a command)";
    case '<':
      return "'<' (redirects input)";
    case '(':
    case ')':
      return "'" + std::string(1, c) + "' (a subshell)";
    case '"':
      return "'\"' (a double-quoted word, where $ and ` still expand)";
    case '\\':
      return "'\\' outside single quotes";
    default:
      break;
  }
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) return "a control or non-ASCII byte";
  return "'" + std::string(1, c) + "' (interpreted by the shell)";
}

// Splits a command into words and >>/> as sh would, refusing anything but plain characters,
// single quotes, \' and blanks. Returns a problem, or fills `out`.
std::optional<std::string> lex(std::string_view s, std::vector<Token>& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == '\t') {
      ++i;
      continue;
    }
    if (s[i] == '>') {
      Token t{">", true};
      ++i;
      if (i < s.size() && s[i] == '>') {
        t.text = ">>";
        ++i;
      }
      if (i < s.size() && (s[i] == '|' || s[i] == '&' || s[i] == '>'))
        return "the shell metacharacter " + describe(s[i]) + " after a redirection";
      out.push_back(t);
      continue;
    }
    Token w;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '>') {
      const char c = s[i];
      if (c == '\'') {
        const auto close = s.find('\'', i + 1);
        if (close == std::string_view::npos) return "an unterminated single quote";
        w.text += s.substr(i + 1, close - i - 1);
        i = close + 1;
      } else if (c == '\\' && i + 1 < s.size() && s[i + 1] == '\'') {
        w.text += '\'';
        i += 2;
      } else if (is_plain_shell_word(std::string_view(&c, 1))) {
        w.text += c;
        ++i;
      } else {
        return "the shell metacharacter " + describe(c) + " outside quotes";
      }
    }
    out.push_back(std::move(w));
  }
  return std::nullopt;
}

bool is_sftp_server(std::string_view word) {
  return word == "internal-sftp" || (word.size() > 12 && word.front() == '/' &&
                                     word.substr(word.size() - 12) == "/sftp-server");
}

CommandCheck problem(std::string text) {
  CommandCheck c;
  c.problem = std::move(text);
  return c;
}

CommandCheck file_command(Role role, const std::vector<Token>& t) {
  if (t.size() != 3 || t[2].op)
    return problem("`" + std::string(role == Role::push ? "cat >>" : "tail -F") +
                   "` must be followed by exactly one file");
  if (auto why = vault_path_problem(t[2].text)) return problem("the file is refused: " + *why);
  CommandCheck c;
  c.role = role;
  c.path = t[2].text;
  return c;
}

// flock -w SECONDS FILE cat >> FILE: the push command, serialised per file (FILE twice).
CommandCheck flock_command(const std::vector<Token>& t) {
  if (t.size() < 4 || t[1].op || t[1].text != "-w" || t[2].op)
    return problem(
        "flock without -w SECONDS: a stuck earlier appender would hold every later "
        "one forever (use flock -w " +
        std::to_string(kFlockWaitSeconds) + " FILE cat >> FILE)");
  const std::string& wait = t[2].text;
  if (wait.empty() || wait.size() > 4 ||
      wait.find_first_not_of("0123456789") != std::string::npos || std::stoi(wait) < 1 ||
      std::stoi(wait) > 3600)
    return problem("flock -w '" + wait + "': the wait must be whole seconds from 1 to 3600");
  if (t.size() != 7 || t[3].op || t[4].op || t[4].text != "cat" || !t[5].op || t[5].text != ">>")
    return problem("flock must run exactly `cat >> FILE` on the file it locks: flock -w " + wait +
                   " FILE cat >> FILE");
  if (t[6].op || t[3].text != t[6].text)
    return problem("flock locks '" + t[3].text +
                   "' but cat appends to another file: appenders "
                   "to one file must take that file's lock");
  CommandCheck c = file_command(Role::push, {t[4], t[5], t[6]});
  if (c.role) c.serialised = true;
  return c;
}

CommandCheck sftp_command(const std::vector<Token>& t) {
  bool read_only = false;
  for (std::size_t i = 1; i < t.size(); ++i) {
    const auto& a = t[i].text;
    if (t[i].op) return problem("a redirection after sftp-server");
    if (a == "-R") {
      read_only = true;
    } else if (a == "-e") {
    } else if ((a == "-l" || a == "-f") && i + 1 < t.size() && !t[i + 1].op) {
      ++i;
    } else {
      return problem("the sftp-server option '" + a +
                     "' is not known to be safe (allowed: -R, -e, -l LEVEL, -f FACILITY)");
    }
  }
  if (!read_only)
    return problem(
        "sftp-server without -R: the key can write, rename and delete every file the "
        "account can");
  CommandCheck c;
  c.role = Role::pull;
  return c;
}

}  // namespace

CommandCheck check_forced_command(std::string_view command) {
  std::vector<Token> t;
  if (auto why = lex(command, t))
    return problem("the command has " + *why + ", so it may run more than the known command");
  // `exec` lets the account's shell become the command instead of forking it: the same
  // command, one process less per connection (what logship-keys mints for push).
  if (!t.empty() && !t[0].op && t[0].text == "exec") {
    t.erase(t.begin());
    if (t.empty())
      return problem("`exec` with no command after it runs nothing: the key is useless");
  }
  if (t.empty()) return problem("the command is empty: the client's own command runs instead");
  const auto& first = t[0].text;
  if (!t[0].op && first == "cat") {
    if (t.size() >= 2 && t[1].op && t[1].text == ">")
      return problem("`cat >` truncates the file at every connection, erasing the vault");
    if (t.size() >= 2 && t[1].op && t[1].text == ">>") return file_command(Role::push, t);
    return problem("cat without >> FILE: it prints what the client sends, or reads files");
  }
  if (!t[0].op && (first == "flock" || first == "/usr/bin/flock")) return flock_command(t);
  if (!t[0].op && first == "tail") {
    if (t.size() >= 2 && !t[1].op && t[1].text == "-F") return file_command(Role::tail, t);
    return problem("tail with other options than -F FILE");
  }
  if (!t[0].op && is_sftp_server(first)) return sftp_command(t);
  return problem("`" + std::string(command.substr(0, 60)) +
                 "` is none of the known logging commands ([exec] flock -w SECONDS FILE cat >> "
                 "FILE, cat >> FILE, tail -F FILE, sftp-server -R)");
}

}  // namespace logship::authkeys
