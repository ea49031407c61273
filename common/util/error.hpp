// Typed errors for everything under common/: what went wrong, and whether trying again can help.
#pragma once

#include <string>
#include <string_view>

namespace logship {

// What kind of failure this is. The retry decision follows from the kind (see retryable()).
enum class ErrorKind {
  network,           // connection refused, reset, unreachable, DNS
  timeout,           // a deadline expired (connect, liveness, acknowledgement)
  remote_refused,    // the vault ran our command but it failed (non-zero exit: disk full, ...)
  protocol,          // the peer said something we did not expect
  io,                // a local file operation failed
  host_key_unknown,  // the vault's host key is not in known_hosts
  host_key_changed,  // the vault offered a different key than known_hosts holds
  auth_refused,      // the vault refused our key
  config,            // bad option, unreadable or badly protected key file
  data,              // malformed input data (a vault file, a spool record)
};

// Short stable name of a kind, e.g. "host_key_changed" (status files, logs).
std::string_view to_string(ErrorKind kind);

// True when the same operation may succeed later without a human changing anything.
constexpr bool retryable(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::network:
    case ErrorKind::timeout:
    case ErrorKind::remote_refused:
    case ErrorKind::protocol:
    case ErrorKind::io:
      return true;
    default:
      return false;
  }
}

// One failure: its kind and a one-line message naming the cause and, where known, the fix.
struct Error {
  ErrorKind kind;
  std::string message;

  bool retryable() const { return logship::retryable(kind); }
};

inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}

}  // namespace logship
