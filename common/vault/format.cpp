#include "vault/format.hpp"

#include <cstdint>

namespace logship::vault {

namespace {

constexpr std::string_view kLogship = "logship";

bool must_encode(unsigned char c) {
  return c < 0x21 || c > 0x7e || c == '%' || c == '=';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Parses exactly `n` decimal digits at text[pos]; -1 when they are not all digits.
int digits(std::string_view text, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

void put_digits(std::string& out, long long value, int width) {
  char buf[24];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

}  // namespace

bool needs_escape(std::string_view payload) {
  std::size_t ats = 0;
  while (ats < payload.size() && payload[ats] == '@') ++ats;
  return ats > 0 && payload.substr(ats).starts_with(kLogship);
}

LineKind classify(std::string_view line) {
  if (line.empty() || line[0] != '@') return LineKind::payload;
  if (line.size() > 1 && line[1] == '@')
    return needs_escape(line) ? LineKind::escaped : LineKind::payload;
  if (!line.starts_with(kControlPrefix)) return LineKind::payload;
  if (line.starts_with(kPartPrefix)) return LineKind::part;
  if (line.starts_with(kBeginPrefix)) return LineKind::begin;
  if (line.starts_with(kEndPrefix)) return LineKind::end;
  if (line.starts_with(kRedactedPrefix) && line.size() == kRedactedPrefix.size() + 64) {
    for (char c : line.substr(kRedactedPrefix.size()))
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return LineKind::malformed;
    return LineKind::redacted;
  }
  return LineKind::malformed;
}

std::string_view unescape(std::string_view line, LineKind kind) {
  switch (kind) {
    case LineKind::escaped:
      return line.substr(1);
    case LineKind::part:
      return line.substr(kPartPrefix.size());
    default:
      return line;
  }
}

std::string percent_encode(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size());
  for (unsigned char c : raw) {
    if (must_encode(c)) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(encoded[i]);
    if (c == '%') {
      if (i + 2 >= encoded.size()) return std::nullopt;
      int hi = hex_value(encoded[i + 1]), lo = hex_value(encoded[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (must_encode(c)) {
      return std::nullopt;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string format_time(VaultTime t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const auto us = (t - day).count();  // microseconds into the day
  std::string out;
  out.reserve(27);
  put_digits(out, static_cast<int>(ymd.year()), 4);
  out.push_back('-');
  put_digits(out, static_cast<unsigned>(ymd.month()), 2);
  out.push_back('-');
  put_digits(out, static_cast<unsigned>(ymd.day()), 2);
  out.push_back('T');
  put_digits(out, us / 3'600'000'000LL, 2);
  out.push_back(':');
  put_digits(out, us / 60'000'000LL % 60, 2);
  out.push_back(':');
  put_digits(out, us / 1'000'000LL % 60, 2);
  out.push_back('.');
  put_digits(out, us % 1'000'000LL, 6);
  out.push_back('Z');
  return out;
}

std::optional<VaultTime> parse_time(std::string_view s) {
  using namespace std::chrono;
  // YYYY-MM-DDTHH:MM:SS.ffffffZ
  if (s.size() != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[26] != 'Z')
    return std::nullopt;
  const int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  const int frac = digits(s, 20, 6);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || frac < 0) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  return VaultTime{sys_days{ymd}} + hours{h} + minutes{mi} + seconds{sec} + microseconds{frac};
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

}  // namespace logship::vault
