#include "ssh/tcp_progress.hpp"

// linux/tcp.h, not netinet/tcp.h: glibc's struct tcp_info lacks the byte counters.
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>

namespace logship::ssh {

TcpProgress tcp_progress(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (fd < 0 || ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return {};
  // Kernels before 4.1 return a shorter structure without the counters.
  if (len < offsetof(tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received) return {};
  return {info.tcpi_bytes_acked, info.tcpi_bytes_received, true};
}

}  // namespace logship::ssh
