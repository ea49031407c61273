#include "authkeys/from_list.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstdint>

namespace logship::authkeys {

namespace {

enum class NetCheck { ok, not_address, bad_length, host_bits };

struct Net {
  int bits = 0;    // 32 or 128
  int prefix = 0;  // the CIDR length, or `bits` for a plain address
};

// An address or CIDR as sshd's addr_pton_cidr accepts it.
NetCheck parse_net(std::string_view text, Net& net) {
  const auto slash = text.find('/');
  const std::string addr(text.substr(0, slash));
  std::array<unsigned char, 16> bytes{};
  if (::inet_pton(AF_INET, addr.c_str(), bytes.data()) == 1)
    net.bits = 32;
  else if (::inet_pton(AF_INET6, addr.c_str(), bytes.data()) == 1)
    net.bits = 128;
  else
    return NetCheck::not_address;
  net.prefix = net.bits;
  if (slash != std::string_view::npos) {
    const auto len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3) return NetCheck::bad_length;
    int n = 0;
    for (const char c : len) {
      if (c < '0' || c > '9') return NetCheck::bad_length;
      n = n * 10 + (c - '0');
    }
    if (n > net.bits) return NetCheck::bad_length;
    net.prefix = n;
  }
  for (int bit = net.prefix; bit < net.bits; ++bit) {
    if (bytes[static_cast<std::size_t>(bit / 8)] & (0x80 >> (bit % 8))) return NetCheck::host_bits;
  }
  return NetCheck::ok;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto comma = s.find(',', start);
    out.emplace_back(s.substr(start, comma == std::string_view::npos ? s.npos : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

std::string network_of(std::string_view text, int prefix) {
  const std::string addr(text.substr(0, text.find('/')));
  std::array<unsigned char, 16> bytes{};
  const int family = addr.find(':') == std::string::npos ? AF_INET : AF_INET6;
  ::inet_pton(family, addr.c_str(), bytes.data());
  const int bits = family == AF_INET ? 32 : 128;
  for (int bit = prefix; bit < bits; ++bit)
    bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix);
}

}  // namespace

Result<std::vector<std::string>> parse_from_list(std::string_view list) {
  std::vector<std::string> out;
  for (const auto& raw : split_commas(list)) {
    const std::string entry = trim(raw);
    if (entry.empty())
      return make_error(ErrorKind::config,
                        "--from has an empty entry; separate addresses with single commas");
    Net net;
    switch (parse_net(entry, net)) {
      case NetCheck::ok:
        break;
      case NetCheck::not_address:
        return make_error(
            ErrorKind::config,
            "--from entry '" + entry +
                "' is not an IPv4 or IPv6 address or CIDR network (host names and wildcards are "
                "refused: sshd matches them only with UseDNS yes, against reverse DNS the client "
                "controls); give the source's address, e.g. 192.0.2.10 or 2001:db8::10");
      case NetCheck::bad_length:
        return make_error(ErrorKind::config, "--from entry '" + entry +
                                                 "' has a bad prefix length; write /0 to /32 "
                                                 "for IPv4, /0 to /128 for IPv6");
      case NetCheck::host_bits:
        return make_error(ErrorKind::config,
                          "--from entry '" + entry +
                              "' has host bits set after the prefix, and sshd refuses the whole "
                              "entry then; write the network, " +
                              network_of(entry, net.prefix));
    }
    if (net.prefix == 0)
      return make_error(ErrorKind::config, "--from entry '" + entry +
                                               "' matches every address; give the source's "
                                               "address, or use --any-source to say so");
    out.push_back(entry);
  }
  return out;
}

std::vector<FromEntry> classify_from(std::string_view value) {
  std::vector<FromEntry> out;
  for (auto& raw : split_commas(value)) {
    FromEntry e;
    std::string_view p = raw;
    if (!p.empty() && p.front() == '!') {
      e.negated = true;
      p.remove_prefix(1);
    }
    e.pattern = std::string(p);
    Net net;
    const auto check = parse_net(p, net);
    if (check == NetCheck::ok) {
      if (net.prefix == 0)
        e.kind = FromPattern::everything;
      else if (net.prefix < (net.bits == 32 ? 16 : 48))
        e.kind = FromPattern::wide;
      else
        e.kind = FromPattern::address;
    } else if (p.find('/') != std::string_view::npos &&
               (check == NetCheck::bad_length || check == NetCheck::host_bits)) {
      e.kind = FromPattern::bad_network;
    } else if (p.find_first_not_of("*?.:") == std::string_view::npos) {
      e.kind =
          p.find('*') != std::string_view::npos ? FromPattern::everything : FromPattern::wildcard;
    } else if (p.find_first_of("*?") != std::string_view::npos &&
               p.find_first_not_of("0123456789abcdefABCDEF.:*?") == std::string_view::npos) {
      e.kind = FromPattern::wildcard;
    } else {
      e.kind = FromPattern::hostname;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace logship::authkeys
