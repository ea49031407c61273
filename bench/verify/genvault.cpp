// logship-bench-genvault OUT KEY_OUT MIB: writes a vault file of about MIB mebibytes of
// realistic security log lines (sshd, sudo, auditd, kernel, cron), sealed by the real writer
// in batches of varying size with heartbeats, and its verification key.
#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>

#include "util/files.hpp"
#include "vault/batch_builder.hpp"
#include "vault/extract.hpp"
#include "vault/key_file.hpp"

namespace {

using namespace logship;
using namespace logship::vault;

const char* const kUsers[] = {"root", "alice", "bob", "deploy", "postgres", "admin", "www-data"};
const char* const kHosts[] = {"203.0.113.7", "198.51.100.23", "192.0.2.44", "10.1.2.3"};

// One syslog-style line, 60..250 bytes.
std::string make_line(std::mt19937_64& rng, long long t) {
  char buf[512];
  const int h = static_cast<int>(t / 3600 % 24), m = static_cast<int>(t / 60 % 60),
            s = static_cast<int>(t % 60);
  const auto* user = kUsers[rng() % std::size(kUsers)];
  const auto* host = kHosts[rng() % std::size(kHosts)];
  const unsigned pid = 1000 + rng() % 60000;
  switch (rng() % 6) {
    case 0:
      std::snprintf(buf, sizeof buf,
                    "Nov 22 %02d:%02d:%02d web1 sshd[%u]: Failed password for invalid user %s "
                    "from %s port %u ssh2",
                    h, m, s, pid, user, host, static_cast<unsigned>(1024 + rng() % 60000));
      break;
    case 1:
      std::snprintf(buf, sizeof buf,
                    "Nov 22 %02d:%02d:%02d web1 sshd[%u]: Accepted publickey for %s from %s port "
                    "%u ssh2: ED25519 SHA256:%016llx%016llx",
                    h, m, s, pid, user, host, static_cast<unsigned>(1024 + rng() % 60000),
                    static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()));
      break;
    case 2:
      std::snprintf(buf, sizeof buf,
                    "Nov 22 %02d:%02d:%02d web1 sudo: %8s : TTY=pts/%u ; PWD=/home/%s ; USER=root "
                    "; COMMAND=/usr/bin/systemctl restart nginx.service",
                    h, m, s, user, static_cast<unsigned>(rng() % 8), user);
      break;
    case 3:
      std::snprintf(buf, sizeof buf,
                    "type=SYSCALL msg=audit(%lld.%03u:%u): arch=c000003e syscall=59 success=yes "
                    "exit=0 a0=%llx a1=%llx ppid=%u pid=%u auid=1000 uid=0 gid=0 comm=\"bash\" "
                    "exe=\"/usr/bin/bash\" key=\"exec\"",
                    1790000000 + t, static_cast<unsigned>(rng() % 1000),
                    static_cast<unsigned>(rng() % 100000),
                    static_cast<unsigned long long>(rng() % 0xffffffffffULL),
                    static_cast<unsigned long long>(rng() % 0xffffffffffULL), pid - 1, pid);
      break;
    case 4:
      std::snprintf(
          buf, sizeof buf,
          "Nov 22 %02d:%02d:%02d web1 kernel: [%llu.%06u] nft drop: IN=eth0 OUT= "
          "SRC=%s DST=192.0.2.1 LEN=60 TTL=%u PROTO=TCP SPT=%u DPT=22 SYN",
          h, m, s, static_cast<unsigned long long>(t), static_cast<unsigned>(rng() % 1000000), host,
          static_cast<unsigned>(rng() % 64 + 40), static_cast<unsigned>(1024 + rng() % 60000));
      break;
    default:
      std::snprintf(buf, sizeof buf,
                    "Nov 22 %02d:%02d:%02d web1 CRON[%u]: pam_unix(cron:session): session opened "
                    "for user %s(uid=0) by (uid=0)",
                    h, m, s, pid, user);
  }
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: logship-bench-genvault OUT KEY_OUT MIB\n";
    return 2;
  }
  const std::uint64_t target = std::stoull(argv[3]) << 20;
  UniqueFd fd(::open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!fd.valid()) {
    std::cerr << errno_message("create", argv[1]) << "\n";
    return 1;
  }
  crypto::Digest k0{};
  for (std::size_t i = 0; i < k0.size(); ++i) k0[i] = static_cast<std::uint8_t>(0xa0 + i);
  if (auto st = write_key_file(argv[2], k0, "benchmark key"); !st) {
    std::cerr << st.error().message << "\n";
    return 1;
  }
  std::mt19937_64 rng(42);
  auto state = SealState::initial(k0);
  FdSink out(fd.get(), argv[1]);
  std::uint64_t written = 0;
  long long t = 0;
  std::string buf;
  while (written < target) {
    const VaultTime when{std::chrono::seconds(1'790'000'000 + t)};
    auto b = BatchBuilder::open(state, BatchHeader{"web1", "auth", when, 0, {}});
    buf = b->begin_line();
    const auto n =
        rng() % 16 == 0 ? 0 : 1 + rng() % 2000;  // heartbeats and batches up to 2000 lines
    for (std::uint64_t i = 0; i < n; ++i) (void)b->add(make_line(rng, t), LineEnd::newline, buf);
    auto sealed = b->seal(state);
    buf += sealed->end_line;
    if (!state.commit(*sealed) || !out.write(buf)) return 1;
    written += buf.size();
    t += 1 + static_cast<long long>(rng() % 30);
  }
  if (!out.flush()) return 1;
  std::cout << written << "\n";
  return 0;
}
