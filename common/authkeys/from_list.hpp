// The from= list of an authorized_keys entry: which client addresses may use the key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace logship::authkeys {

// Parses a --from list: comma-separated IPv4 or IPv6 addresses and CIDR networks
// ("192.0.2.10,2001:db8::/32"), blanks around entries ignored. Host names and wildcards are
// refused (sshd matches them only with UseDNS yes, against reverse DNS that the client's
// network controls), as are networks with host bits set (sshd rejects the whole entry).
// The error names the entry and the fix.
Result<std::vector<std::string>> parse_from_list(std::string_view list);

// What one sshd from= pattern is, for lint.
enum class FromPattern {
  address,      // an IPv4 or IPv6 address, or a CIDR network of a sane size
  everything,   // matches every address: *, 0.0.0.0/0, ::/0, or a wildcard matching all
  wide,         // a network wider than an IPv4 /16 or an IPv6 /48
  wildcard,     // an address pattern with * or ?
  hostname,     // a host name pattern (only with UseDNS yes)
  bad_network,  // a CIDR sshd rejects (bad length, host bits set): the entry never works
};
struct FromEntry {
  bool negated = false;
  std::string pattern;  // without the leading '!'
  FromPattern kind = FromPattern::address;
};

// Splits a from= value (after sshd's dequoting) into its patterns, as sshd's pattern lists.
std::vector<FromEntry> classify_from(std::string_view value);

}  // namespace logship::authkeys
