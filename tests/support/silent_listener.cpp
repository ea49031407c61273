#include "support/silent_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace logship::test {

SilentListener::SilentListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd_, 4) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string why = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("a silent listener on 127.0.0.1: " + why);
  }
  port_ = ntohs(addr.sin_port);
}

SilentListener::~SilentListener() {
  ::close(fd_);
}

bool SilentListener::has_client() const {
  std::ifstream in("/proc/net/tcp");
  const std::string table{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  char remote[32];  // the client's side: remote 127.0.0.1:port, state 01 (ESTABLISHED)
  std::snprintf(remote, sizeof remote, " 0100007F:%04X 01 ", static_cast<unsigned>(port_));
  return table.find(remote) != std::string::npos;
}

}  // namespace logship::test
