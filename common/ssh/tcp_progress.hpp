// TcpProgress: what the kernel knows of a connection's life. While the peer acknowledges our
// bytes or sends its own, the peer and the path are alive, however slow: the liveness rule of
// Session (a wait ends only after op_timeout without progress) rests on it.
#pragma once

#include <cstdint>

namespace logship::ssh {

struct TcpProgress {
  std::uint64_t acked = 0;     // bytes of ours the peer acknowledged (tcpi_bytes_acked)
  std::uint64_t received = 0;  // bytes received from the peer (tcpi_bytes_received)
  bool known = false;          // false: the kernel did not say (not TCP, or too old)

  bool operator==(const TcpProgress&) const = default;
};

// The counters of socket `fd` now (TCP_INFO).
TcpProgress tcp_progress(int fd);

}  // namespace logship::ssh
