// SilentListener: a TCP port on 127.0.0.1 that the kernel answers (the TCP handshake
// completes) but nobody accepts from, so no SSH banner ever comes: a server that never speaks.
#pragma once

#include <cstdint>

namespace logship::test {

class SilentListener {
 public:
  SilentListener();  // on a kernel-chosen port; throws std::runtime_error when it cannot
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  std::uint16_t port() const { return port_; }
  // Whether a client's TCP connection to it is established (/proc/net/tcp): it is then in its
  // SSH handshake, waiting for a banner that never comes.
  bool has_client() const;

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace logship::test
