#include "vault/control_line.hpp"

#include <array>

namespace logship::vault {

namespace {

constexpr std::array<std::string_view, 7> kBeginKeys = {"v",    "src",     "stream", "seq",
                                                        "time", "dropped", "prev"};

Error bad(std::string_view what) {
  return make_error(ErrorKind::data, std::string(what));
}

// Splits "a b c" at single spaces; an empty token (double space, trailing space) is an error.
bool split_fields(std::string_view rest, std::vector<std::string_view>& out) {
  out.clear();
  while (true) {
    const auto sp = rest.find(' ');
    const auto token = rest.substr(0, sp);
    if (token.empty()) return false;
    out.push_back(token);
    if (sp == std::string_view::npos) return true;
    rest.remove_prefix(sp + 1);
  }
}

// Splits "key=value" at the first '='.
bool split_kv(std::string_view token, std::string_view& key, std::string_view& value) {
  const auto eq = token.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  key = token.substr(0, eq);
  value = token.substr(eq + 1);
  return true;
}

// Value of the required field `want` in `token`, or an error naming it.
Result<std::string_view> required(std::string_view token, std::string_view want) {
  std::string_view key, value;
  if (!split_kv(token, key, value) || key != want)
    return bad("expected field '" + std::string(want) + "=' but found '" +
               std::string(token.substr(0, 40)) + "'");
  return value;
}

Result<std::uint64_t> required_number(std::string_view token, std::string_view want) {
  auto v = required(token, want);
  if (!v) return v.error();
  auto n = parse_decimal(*v);
  if (!n) return bad("field '" + std::string(want) + "' is not a decimal number");
  return *n;
}

Result<crypto::Digest> required_hex(std::string_view token, std::string_view want) {
  auto v = required(token, want);
  if (!v) return v.error();
  auto d = parse_hex64(*v);
  if (!d) return bad("field '" + std::string(want) + "' is not 64 lower-case hex digits");
  return *d;
}

}  // namespace

std::optional<crypto::Digest> parse_hex64(std::string_view hex) {
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  return crypto::digest_from_hex(hex);
}

bool valid_extra_key(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  for (auto k : kBeginKeys)
    if (k == key) return false;
  return true;
}

std::string format_begin(const BeginLine& b) {
  std::string out(kBeginPrefix);
  out += "v=1 src=" + percent_encode(b.src) + " stream=" + percent_encode(b.stream);
  out += " seq=" + std::to_string(b.seq) + " time=" + format_time(b.time);
  out += " dropped=" + std::to_string(b.dropped) + " prev=" + crypto::to_hex(b.prev);
  for (const auto& f : b.extra) out += " " + f.key + "=" + percent_encode(f.value);
  return out;
}

Result<BeginLine> parse_begin(std::string_view line) {
  if (!line.starts_with(kBeginPrefix)) return bad("not a begin line");
  if (line.size() > kMaxControlLine) return bad("begin line longer than 64 KiB");
  std::vector<std::string_view> tok;
  if (!split_fields(line.substr(kBeginPrefix.size()), tok))
    return bad("begin line has an empty field (two spaces in a row, or a trailing space)");
  if (tok.size() < kBeginKeys.size()) return bad("begin line lacks required fields");
  auto version = required_number(tok[0], "v");
  if (!version) return version.error();
  if (*version != kFormatVersion)
    return bad("unsupported format version v=" + std::to_string(*version) + " (this is v1)");
  BeginLine b;
  for (int i : {1, 2}) {
    auto v = required(tok[i], kBeginKeys[i]);
    if (!v) return v.error();
    auto decoded = percent_decode(*v);
    if (!decoded || decoded->empty())
      return bad("field '" + std::string(kBeginKeys[i]) + "' is empty or badly percent-encoded");
    (i == 1 ? b.src : b.stream) = std::move(*decoded);
  }
  auto seq = required_number(tok[3], "seq");
  if (!seq) return seq.error();
  b.seq = *seq;
  auto time = required(tok[4], "time");
  if (!time) return time.error();
  auto t = parse_time(*time);
  if (!t) return bad("field 'time' is not of the form 2026-11-22T02:20:40.123456Z");
  b.time = *t;
  auto dropped = required_number(tok[5], "dropped");
  if (!dropped) return dropped.error();
  b.dropped = *dropped;
  auto prev = required_hex(tok[6], "prev");
  if (!prev) return prev.error();
  b.prev = *prev;
  for (std::size_t i = kBeginKeys.size(); i < tok.size(); ++i) {
    std::string_view key, value;
    if (!split_kv(tok[i], key, value) || !valid_extra_key(key))
      return bad("extra field '" + std::string(tok[i].substr(0, 40)) + "' has a bad key");
    auto decoded = percent_decode(value);
    if (!decoded) return bad("extra field '" + std::string(key) + "' is badly percent-encoded");
    for (const auto& f : b.extra)
      if (f.key == key) return bad("extra field '" + std::string(key) + "' appears twice");
    b.extra.push_back({std::string(key), std::move(*decoded)});
  }
  return b;
}

std::string format_end(const EndLine& e) {
  std::string out(kEndPrefix);
  out += "seq=" + std::to_string(e.seq) + " lines=" + std::to_string(e.lines);
  out += " bytes=" + std::to_string(e.bytes) + " chain=" + crypto::to_hex(e.chain);
  out += " mac=" + crypto::to_hex(e.mac);
  return out;
}

Result<EndLine> parse_end(std::string_view line) {
  if (!line.starts_with(kEndPrefix)) return bad("not an end line");
  if (line.size() > kMaxControlLine) return bad("end line longer than 64 KiB");
  std::vector<std::string_view> tok;
  if (!split_fields(line.substr(kEndPrefix.size()), tok) || tok.size() != 5)
    return bad("end line must have exactly the fields seq, lines, bytes, chain, mac");
  EndLine e;
  auto seq = required_number(tok[0], "seq");
  if (!seq) return seq.error();
  auto lines = required_number(tok[1], "lines");
  if (!lines) return lines.error();
  auto bytes = required_number(tok[2], "bytes");
  if (!bytes) return bytes.error();
  auto chain = required_hex(tok[3], "chain");
  if (!chain) return chain.error();
  auto mac = required_hex(tok[4], "mac");
  if (!mac) return mac.error();
  e.seq = *seq;
  e.lines = *lines;
  e.bytes = *bytes;
  e.chain = *chain;
  e.mac = *mac;
  return e;
}

}  // namespace logship::vault
