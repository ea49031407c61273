#include "authkeys/key_options.hpp"

#include <cstdint>
#include <ctime>

#include "authkeys/quoting.hpp"

namespace logship::authkeys {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Error refused(std::string why) {
  return make_error(ErrorKind::data, std::move(why));
}

bool valid_env(std::string_view s) {
  const auto eq = s.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  for (const char c : s.substr(0, eq)) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// sshd's a2tun: "any", or a number 0..2147483645 (strtonum: blanks, a sign allowed).
bool valid_tunnel(std::string_view s) {
  if (lower(s) == "any") return true;
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i == s.size()) return false;
  std::uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (v > 2147483645ULL) return false;
  }
  return !negative || v == 0;
}

// sshd's a2port: a number 1..65535 (strtonum: leading blanks and '+' allowed).
bool valid_port(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) ++i;
  if (i < s.size() && s[i] == '+') ++i;
  if (i == s.size()) return false;
  unsigned long v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned long>(s[i] - '0');
    if (v > 65535) return false;
  }
  return v > 0;
}

// permitopen="HOST:PORT" / permitlisten="[HOST:]PORT" as sshd checks them (hpdelim2: HOST
// may be [v6], the separator ':' or '/', PORT a number or *). Empty when valid.
std::string permission_problem(std::string value, bool listen) {
  if (listen && value.find(':') == std::string::npos) value = "*:" + value;
  std::size_t pos = 0;
  if (!value.empty() && value.front() == '[') {
    pos = value.find(']');
    if (pos == std::string::npos) return "invalid permission hostname";
    ++pos;
  } else {
    pos = value.find_first_of(":/");
    if (pos == std::string::npos) pos = value.size();
  }
  if (pos == value.size()) return "invalid permission port";
  if (value[pos] != ':' && value[pos] != '/') return "invalid permission hostname";
  if (pos >= 1025) return "invalid permission hostname";
  const auto port = std::string_view(value).substr(pos + 1);
  if (port != "*" && !valid_port(port)) return "invalid permission port";
  return {};
}

}  // namespace

Result<KeyOptions> parse_key_options(std::string_view text) {
  KeyOptions o;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ',') {  // sshd steps over empty options
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && text[end] != ',' && text[end] != '=') ++end;
    const std::string name = lower(text.substr(i, end - i));
    const std::string written(text.substr(i, end - i));
    if (end < text.size() && text[end] == '=') {
      // A value option: NAME="...".
      std::size_t v = end + 1;
      if (v >= text.size() || text[v] != '"')
        return refused(written + "= without a double-quoted value (missing start quote)");
      std::size_t close = v + 1;
      while (close < text.size() && text[close] != '"') {
        if (text[close] == '\\' && close + 1 < text.size() && text[close + 1] == '"') ++close;
        ++close;
      }
      if (close >= text.size()) return refused(written + "= value has no closing quote");
      std::string value = sshd_unquote(text.substr(v + 1, close - v - 1));
      i = close + 1;
      if (i < text.size() && text[i] != ',')
        return refused("text after the closing quote of " + written + "=");
      auto once = [&](std::optional<std::string>& slot) -> Result<void> {
        if (slot) return refused("multiple \"" + name + "\" clauses");
        slot = std::move(value);
        return {};
      };
      if (name == "command") {
        if (auto st = once(o.command); !st) return st.error();
      } else if (name == "from") {
        if (auto st = once(o.from); !st) return st.error();
      } else if (name == "principals") {
        if (auto st = once(o.principals); !st) return st.error();
      } else if (name == "expiry-time") {
        if (!expiry_time(value))
          return refused("invalid expiry-time \"" + value + "\" (write YYYYMMDD[HHMM[SS]][Z])");
        o.expiry_times.push_back(std::move(value));
      } else if (name == "environment") {
        if (!valid_env(value))
          return refused("invalid environment string \"" + value + "\" (write NAME=value)");
        o.environment.push_back(std::move(value));
      } else if (name == "permitopen" || name == "permitlisten") {
        const bool listen = name == "permitlisten";
        if (auto why = permission_problem(value, listen); !why.empty())
          return refused(why + " in " + name + "=\"" + value + "\"");
        (listen ? o.permitlisten : o.permitopen).push_back(std::move(value));
      } else if (name == "tunnel") {
        if (!valid_tunnel(value)) return refused("invalid tun device \"" + value + "\"");
        if (auto st = once(o.tunnel); !st) return st.error();
      } else {
        return refused("unknown key option \"" + written + "\"");
      }
      continue;
    }
    // A flag.
    i = end;
    if (name == "restrict") {
      o.restrict = true;
      o.pty = o.port_forwarding = o.agent_forwarding = o.x11_forwarding = o.user_rc = false;
      continue;
    }
    if (name == "cert-authority") {
      o.cert_authority = true;
      continue;
    }
    const bool negated = name.rfind("no-", 0) == 0;
    const std::string flag = negated ? name.substr(3) : name;
    if (flag == "pty")
      o.pty = !negated;
    else if (flag == "port-forwarding")
      o.port_forwarding = !negated;
    else if (flag == "agent-forwarding")
      o.agent_forwarding = !negated;
    else if (flag == "x11-forwarding")
      o.x11_forwarding = !negated;
    else if (flag == "user-rc")
      o.user_rc = !negated;
    else if (flag == "touch-required")
      o.no_touch_required = negated;
    else if (flag == "verify-required")
      o.verify_required = !negated;
    else
      return refused("unknown key option \"" + written + "\"");
  }
  if (o.principals && !o.cert_authority) return refused("principals on non-CA key");
  return o;
}

std::optional<std::int64_t> expiry_time(std::string_view s) {
  bool utc = false;
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) {
    utc = true;
    s.remove_suffix(1);
  }
  if (s.size() != 8 && s.size() != 12 && s.size() != 14) return std::nullopt;
  for (const char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  auto num = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len && i < s.size(); ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  std::tm when{};
  when.tm_year = num(0, 4) - 1900;
  when.tm_mon = num(4, 2) - 1;
  when.tm_mday = num(6, 2);
  when.tm_hour = s.size() >= 12 ? num(8, 2) : 0;
  when.tm_min = s.size() >= 12 ? num(10, 2) : 0;
  when.tm_sec = s.size() >= 14 ? num(12, 2) : 0;
  if (when.tm_mon > 11 || when.tm_mday < 1 || when.tm_mday > 31 || when.tm_hour > 23 ||
      when.tm_min > 59 || when.tm_sec > 61)
    return std::nullopt;
  when.tm_isdst = -1;
  const time_t t = utc ? ::timegm(&when) : ::mktime(&when);
  if (t <= 0) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

}  // namespace logship::authkeys
