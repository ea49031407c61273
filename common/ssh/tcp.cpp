#include "ssh/tcp.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ssh/deadline.hpp"

namespace logship::ssh {

namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const { ::freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

// getaddrinfo(3) has no timeout: run it on a helper thread and stop waiting at the deadline.
// The thread owns its state through a shared_ptr, so abandoning it is safe.
struct Lookup {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int rc = 0;
  AddrInfoPtr result;
};

Result<AddrInfoPtr> resolve(const std::string& host, std::uint16_t port, const Clock& clock,
                            SteadyTime deadline, const std::function<bool()>& interrupted) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  const std::string service = std::to_string(port);

  // Numeric addresses resolve at once, without a thread.
  addrinfo numeric_hints = hints;
  numeric_hints.ai_flags |= AI_NUMERICHOST;
  numeric_hints.ai_flags &= ~AI_ADDRCONFIG;
  addrinfo* ai = nullptr;
  if (::getaddrinfo(host.c_str(), service.c_str(), &numeric_hints, &ai) == 0) {
    return AddrInfoPtr(ai);
  }

  auto lookup = std::make_shared<Lookup>();
  std::thread([lookup, host, service, hints] {
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    std::lock_guard lock(lookup->mu);
    lookup->rc = rc;
    lookup->result.reset(res);
    lookup->done = true;
    lookup->cv.notify_all();
  }).detach();

  std::unique_lock lock(lookup->mu);
  while (!lookup->done) {
    if (interrupted && interrupted()) return interrupted_error("resolving " + host);
    if (expired(clock, deadline)) {
      return make_error(ErrorKind::timeout, "resolving " + host + " for " + where +
                                                ": no answer from DNS before the deadline");
    }
    lookup->cv.wait_until(lock, std::min(deadline, clock.now() + kInterruptCheck),
                          [&] { return lookup->done; });
  }
  if (lookup->rc != 0) {
    std::string why = lookup->rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(lookup->rc);
    return make_error(ErrorKind::network, "cannot resolve host " + host + " (" + where +
                                              "): " + why + "; check the host name and DNS");
  }
  return std::move(lookup->result);
}

// Connects one address; returns the socket, or the errno-style failure.
Result<UniqueFd> connect_one(const addrinfo& a, const std::string& where, const Clock& clock,
                             SteadyTime deadline, const std::function<bool()>& interrupted) {
  UniqueFd fd(::socket(a.ai_family, a.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a.ai_protocol));
  if (!fd.valid()) {
    return make_error(ErrorKind::network, "socket for " + where + ": " + std::strerror(errno));
  }
  int rc = ::connect(fd.get(), a.ai_addr, a.ai_addrlen);
  if (rc != 0 && errno != EINPROGRESS && errno != EINTR) {
    return make_error(ErrorKind::network, "connect to " + where + ": " + std::strerror(errno));
  }
  if (rc != 0) {
    for (;;) {
      if (expired(clock, deadline)) {
        return make_error(ErrorKind::timeout,
                          "connect to " + where + ": no answer before the connect timeout");
      }
      if (interrupted && interrupted()) return interrupted_error("connect to " + where);
      pollfd p{fd.get(), POLLOUT, 0};
      rc = ::poll(&p, 1, poll_timeout_ms(clock, deadline, kInterruptCheck));
      if (rc < 0 && errno != EINTR) {
        return make_error(ErrorKind::network, "poll for " + where + ": " + std::strerror(errno));
      }
      if (rc > 0) break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      return make_error(ErrorKind::network, "connect to " + where + ": " + std::strerror(err));
    }
  }
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int flags = ::fcntl(fd.get(), F_GETFL);
  ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

}  // namespace

Result<UniqueFd> tcp_connect(const std::string& host, std::uint16_t port, const Clock& clock,
                             SteadyTime deadline, const std::function<bool()>& interrupted) {
  const std::string where = host + ":" + std::to_string(port);
  auto addrs = resolve(host, port, clock, deadline, interrupted);
  if (!addrs) return addrs.error();
  Error last = make_error(ErrorKind::network, "no address found for " + where);
  for (const addrinfo* a = addrs->get(); a != nullptr; a = a->ai_next) {
    auto fd = connect_one(*a, where, clock, deadline, interrupted);
    if (fd) return fd;
    last = fd.error();
    if (last.kind == ErrorKind::timeout) break;
  }
  return last;
}

}  // namespace logship::ssh
