#include "util/error.hpp"

namespace logship {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::network:
      return "network";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::remote_refused:
      return "remote_refused";
    case ErrorKind::protocol:
      return "protocol";
    case ErrorKind::io:
      return "io";
    case ErrorKind::host_key_unknown:
      return "host_key_unknown";
    case ErrorKind::host_key_changed:
      return "host_key_changed";
    case ErrorKind::auth_refused:
      return "auth_refused";
    case ErrorKind::config:
      return "config";
    case ErrorKind::data:
      return "data";
  }
  return "unknown";
}

}  // namespace logship
