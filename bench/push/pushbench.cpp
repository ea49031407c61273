// logship-bench-push: the measuring tools of bench/push/run (no logship code linked, so the
// measurements do not depend on what they measure). All times are CLOCK_MONOTONIC.
//
//   gen OUT BYTES SENTINEL        syslog-like lines of 100-200 bytes, about BYTES in all, the
//                                 last one being SENTINEL; prints "lines=N bytes=B"
//   feed-wait FIFO DATA VAULT (--sentinel S | --last-line S | --size N) [--pid P] [--chunk B]
//             [--poll-ms M] [--timeout S] [--pipe-size B] [--rate BYTES_PER_S]
//                                 writes DATA into FIFO at full speed with a non-blocking writer
//                                 (EAGAIN counted, then poll(POLLOUT)), while polling VAULT until
//                                 it holds the framed SENTINEL line followed by a complete end
//                                 line (--sentinel), ends with the line S (--last-line: a plain
//                                 output file) or reaches N bytes (--size; with --last-line,
//                                 whichever comes first: lines may arrive out of order, or be
//                                 lost). Reports wall time
//                                 from the first byte written, and the CPU of P over it.
//                                 FIFO and DATA "-": only wait; VAULT "-": only feed. FIFO may
//                                 be a regular file (written from offset 0, no EAGAIN).
//                                 --pipe-size: raise the FIFO's capacity to B first (F_SETPIPE_SZ),
//                                 as logship-push does for its own FIFO. --rate: no faster
//                                 than this (each write waits for its time in the schedule).
//   exec-wait DATA VAULT SIZE [--poll-ms M] [--timeout S] -- CMD...
//                                 runs CMD with stdin = DATA, polls VAULT until SIZE bytes;
//                                 reports wall time from the fork, and CMD's rusage (wait4).
//   paced FIFO RATE SECONDS ACCEPTED [--warmup S] [--len B]
//                                 a syslog-style writer: one non-blocking write(2) per line at
//                                 RATE lines/s; a line that meets EAGAIN, EPIPE or ENXIO (no
//                                 reader: reopened before every later line) is lost, as syslog
//                                 would lose it. Lines carry "lsbseq=N t=NS". Writes the
//                                 sequence numbers it delivered into the pipe to ACCEPTED.
//                                 end_ns: CLOCK_MONOTONIC after its last line. --ready VAULT:
//                                 first one line, then wait until VAULT is not empty (ready_s:
//                                 how long that took), and only then the warm-up and schedule.
//   tail VAULT N TIMEOUT_S [--idle S] [--dump FILE]
//                                 follows VAULT (inotify, 1 ms poll fallback) until N distinct
//                                 lsbseq lines arrived or TIMEOUT_S passed (or, with --idle, no
//                                 new one for S seconds); prints latency percentiles (arrival -
//                                 t) in ms, and last_ns: CLOCK_MONOTONIC of the last new line.
//                                 --dump: "seq t latency_ms" of every line that arrived, to FILE.
//   count N ACCEPTED              reads payload lines on stdin; prints how many of seq 0..N-1
//                                 arrived once, twice or more, not at all, and how many of the
//                                 accepted ones are missing.
//   compare DATA OUT              matches OUT's lines to DATA's: how many of DATA's arrived
//                                 once, more than once (duplicated, extra_copies) or not at all
//                                 (lost); lines of OUT not in DATA (unknown); first copies that
//                                 came after a line that follows them in DATA (out_of_order)
//   treecpu PID                   CPU seconds of PID and its live descendants, with what they
//                                 reaped (utime+stime+cutime+cstime), as "cpu_s=X"
//   libssh-send, hash-lines, intake, pipeline  the floors (floors.cpp)
#include "floors.hpp"
#include "lib/tool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

using logship::bench::die;
using logship::bench::die_errno;
using logship::bench::to_number;

// utime+stime (and, with children, cutime+cstime) of a process from /proc/PID/stat, in ticks.
bool proc_ticks(long pid, bool children, std::uint64_t& ticks, long* ppid = nullptr) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  if (!std::getline(in, s)) return false;
  const auto close = s.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(s.substr(close + 2));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  std::string w;
  while (rest >> w) f.push_back(w);
  if (f.size() < 15) return false;
  if (ppid) *ppid = std::stol(f[1]);
  ticks = std::stoull(f[11]) + std::stoull(f[12]);                 // fields 14, 15
  if (children) ticks += std::stoull(f[13]) + std::stoull(f[14]);  // 16, 17
  return true;
}

// --- gen ----------------------------------------------------------------------------------

int cmd_gen(int argc, char** argv) {
  if (argc != 3) die("usage: gen OUT BYTES SENTINEL");
  const std::uint64_t target = to_number<std::uint64_t>(argv[1], "BYTES");
  const std::string sentinel = argv[2];
  FILE* out = std::fopen(argv[0], "wb");
  if (!out) die_errno(argv[0]);
  std::setvbuf(out, nullptr, _IOFBF, 1 << 20);
  std::mt19937_64 rng(20240611);
  auto pick = [&](std::uint64_t n) { return rng() % n; };
  static const char* hosts[] = {"web1", "web2", "db1", "bastion", "mail"};
  static const char* users[] = {"alice", "bob", "deploy", "root", "backup", "postgres", "www-data"};
  static const char* words[] = {"session",  "opened", "closed",          "for",        "user",
                                "by",       "uid=0",  "connection",      "from",       "port",
                                "invalid",  "failed", "accepted",        "key",        "cron",
                                "pam_unix", "audit",  "type=USER_LOGIN", "res=success"};
  std::string line;
  std::uint64_t bytes = 0, lines = 0;
  std::int64_t t = 1718000000;  // a fixed start keeps runs comparable
  while (bytes + sentinel.size() + 1 < target) {
    line.clear();
    t += static_cast<std::int64_t>(pick(2));
    char ts[32];
    const time_t tt = static_cast<time_t>(t);
    tm tmv{};
    ::gmtime_r(&tt, &tmv);
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tmv);
    char head[512];
    const auto kind = pick(4);
    const char* host = hosts[pick(5)];
    const char* user = users[pick(7)];
    const unsigned pid = 1000 + static_cast<unsigned>(pick(60000));
    const unsigned a = static_cast<unsigned>(pick(256)), b = static_cast<unsigned>(pick(256));
    const unsigned port = 1024 + static_cast<unsigned>(pick(64000));
    if (kind == 0)
      std::snprintf(head, sizeof head,
                    "%s.%06u+00:00 %s sshd[%u]: Accepted publickey for %s from 10.%u.%u.7 port %u "
                    "ssh2: ED25519 SHA256:",
                    ts, static_cast<unsigned>(pick(1000000)), host, pid, user, a, b, port);
    else if (kind == 1)
      std::snprintf(head, sizeof head,
                    "%s.%06u+00:00 %s sshd[%u]: Failed password for invalid user %s from "
                    "192.0.2.%u port %u ssh2 ",
                    ts, static_cast<unsigned>(pick(1000000)), host, pid, user, a, port);
    else if (kind == 2)
      std::snprintf(head, sizeof head,
                    "%s.%06u+00:00 %s CRON[%u]: pam_unix(cron:session): session opened for user "
                    "%s(uid=%u) by (uid=0) ",
                    ts, static_cast<unsigned>(pick(1000000)), host, pid, user, a * 10);
    else
      std::snprintf(head, sizeof head,
                    "%s.%06u+00:00 %s audit[%u]: type=USER_CMD msg=audit(%" PRId64 ".%03u:%u): ",
                    ts, static_cast<unsigned>(pick(1000000)), host, pid, t,
                    static_cast<unsigned>(pick(1000)), static_cast<unsigned>(pick(900000)));
    line = head;
    const std::size_t want = 100 + pick(101);  // 100..200 bytes with the newline
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (kind == 0) {
      for (int i = 0; i < 43; ++i) line += b64[pick(64)];
      line += ' ';
    }
    while (line.size() + 1 < want) {
      line += words[pick(sizeof words / sizeof *words)];
      line += ' ';
    }
    line.resize(want - 1);
    if (line.back() == ' ') line.back() = '.';
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), out);
    bytes += line.size();
    ++lines;
  }
  std::fprintf(out, "%s\n", sentinel.c_str());
  bytes += sentinel.size() + 1;
  ++lines;
  if (std::fclose(out) != 0) die_errno("write");
  std::printf("lines=%" PRIu64 " bytes=%" PRIu64 "\n", lines, bytes);
  return 0;
}

// --- data file -----------------------------------------------------------------------------

struct Mapped {
  const char* data = nullptr;
  std::size_t size = 0;
  explicit Mapped(const char* path) {
    if (!path) return;
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die_errno(path);
    struct stat st {};
    ::fstat(fd, &st);
    size = static_cast<std::size_t>(st.st_size);
    if (size == 0) {  // nothing to map
      ::close(fd);
      return;
    }
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) die_errno("mmap");
    ::close(fd);
    data = static_cast<const char*>(p);
  }
};

// Waits until `path` (a vault file) is complete: either `size` bytes, or the framed sentinel
// line followed by a whole line (the batch's end line), or a plain file that ends with the
// sentinel line (`last_line`, as rsyslog's omfile writes it).
struct VaultWaiter {
  std::string path;
  std::uint64_t want_size = 0;  // 0: use the sentinel
  std::string sentinel;         // "\n" SENTINEL "\n@logship end "
  std::string last_line;        // or "\n" SENTINEL "\n"
  int fd = -1;
  std::uint64_t seen = 0;

  bool complete() {
    if (fd < 0) {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size == seen) return false;
    seen = size;
    if (want_size && size >= want_size) return true;
    if (!last_line.empty()) {  // or (with --size) all the bytes, the last line elsewhere
      if (size < last_line.size()) return false;
      std::string buf(last_line.size(), '\0');
      return ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(size - buf.size())) ==
                 static_cast<ssize_t>(buf.size()) &&
             buf == last_line;
    }
    if (want_size) return false;
    const std::uint64_t tail = std::min<std::uint64_t>(size, 8192);
    std::string buf(tail, '\0');
    if (::pread(fd, buf.data(), tail, static_cast<off_t>(size - tail)) !=
        static_cast<ssize_t>(tail))
      return false;
    const auto at = buf.rfind(sentinel);
    return at != std::string::npos && buf.back() == '\n' &&
           buf.find('\n', at + sentinel.size()) != std::string::npos;
  }
};

// --- feed-wait -----------------------------------------------------------------------------

int cmd_feed_wait(int argc, char** argv) {
  if (argc < 3) die("usage: feed-wait FIFO DATA VAULT (--sentinel S | --size N) [...]");
  const char* fifo = argv[0];
  Mapped data(std::string(argv[1]) == "-" ? nullptr : argv[1]);
  VaultWaiter w;
  w.path = argv[2];
  long pid = 0;
  std::size_t chunk = 64 << 10;
  int poll_ms = 10, want_pipe = 0;
  double timeout_s = 600, rate = 0;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string o = argv[i];
    if (o == "--rate")
      rate = to_number<double>(argv[i + 1], "rate");
    else if (o == "--sentinel")
      w.sentinel = "\n" + std::string(argv[i + 1]) + "\n@logship end ";
    else if (o == "--last-line")
      w.last_line = "\n" + std::string(argv[i + 1]) + "\n";
    else if (o == "--size")
      w.want_size = to_number<std::uint64_t>(argv[i + 1], "size");
    else if (o == "--pid")
      pid = static_cast<long>(to_number<std::uint64_t>(argv[i + 1], "pid"));
    else if (o == "--chunk")
      chunk = to_number<std::uint64_t>(argv[i + 1], "chunk");
    else if (o == "--poll-ms")
      poll_ms = static_cast<int>(to_number<std::uint64_t>(argv[i + 1], "poll-ms"));
    else if (o == "--timeout")
      timeout_s = to_number<double>(argv[i + 1], "timeout");
    else if (o == "--pipe-size")
      want_pipe = static_cast<int>(to_number<std::uint64_t>(argv[i + 1], "pipe-size"));
    else
      die("unknown option " + o);
  }
  if (w.sentinel.empty() && w.last_line.empty() && !w.want_size)
    die("feed-wait needs --sentinel, --last-line or --size");
  ::signal(SIGPIPE, SIG_IGN);
  const bool feed = std::string(fifo) != "-", wait_vault = w.path != "-";
  int fd = -1;
  const auto open_deadline = now_ns() + 30'000'000'000;
  while (feed && (fd = ::open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
    if ((errno != ENXIO && errno != ENOENT) || now_ns() > open_deadline) die_errno(fifo);
    ::usleep(1000);
  }
  if (feed && want_pipe && ::fcntl(fd, F_SETPIPE_SZ, want_pipe) < 0) die_errno("F_SETPIPE_SZ");
  const int pipe_size = feed ? ::fcntl(fd, F_GETPIPE_SZ) : 0;
  std::uint64_t cpu0 = 0, cpu1 = 0;
  if (pid && !proc_ticks(pid, false, cpu0)) die("no process " + std::to_string(pid));

  std::atomic<std::int64_t> fed_ns{0};
  std::uint64_t eagain = 0, writes = 0, short_writes = 0;
  std::int64_t stalled_ns = 0;  // time the writer spent waiting for room in the pipe
  const std::int64_t t0 = now_ns();
  std::thread feeder([&] {
    if (!feed) {
      fed_ns = t0;
      return;
    }
    std::size_t off = 0;
    while (off < data.size) {
      if (rate > 0) {  // the paced writer: this byte's time in the schedule
        const auto due = t0 + static_cast<std::int64_t>(static_cast<double>(off) * 1e9 / rate);
        if (const auto wait = due - now_ns(); wait > 0) {
          const timespec ts{static_cast<time_t>(wait / 1'000'000'000),
                            static_cast<long>(wait % 1'000'000'000)};
          ::nanosleep(&ts, nullptr);
        }
      }
      std::size_t n = std::min(chunk, data.size - off);
      if (off + n < data.size) {  // end the chunk at a line boundary, as a logger would
        const void* nl = ::memrchr(data.data + off, '\n', n);
        if (nl) n = static_cast<std::size_t>(static_cast<const char*>(nl) - (data.data + off)) + 1;
      }
      const ssize_t r = ::write(fd, data.data + off, n);
      if (r > 0) {
        ++writes;
        if (static_cast<std::size_t>(r) < n) ++short_writes;
        off += static_cast<std::size_t>(r);
        continue;
      }
      if (r < 0 && errno == EAGAIN) {
        ++eagain;
        const auto s = now_ns();
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 1000);
        if (now_ns() > t0 + static_cast<std::int64_t>(timeout_s * 1e9)) {
          std::fprintf(stderr, "logship-bench-push: the FIFO took nothing for too long\n");
          std::_Exit(1);
        }
        stalled_ns += now_ns() - s;
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      die_errno("write to FIFO");
    }
    fed_ns = now_ns();
  });
  std::int64_t t_done = 0;
  const std::int64_t give_up = t0 + static_cast<std::int64_t>(timeout_s * 1e9);
  while (wait_vault) {
    if (w.complete()) {
      t_done = now_ns();
      break;
    }
    if (now_ns() > give_up) {
      std::fprintf(stderr, "logship-bench-push: %s not complete after %.0f s (%" PRIu64 " bytes)\n",
                   w.path.c_str(), timeout_s, w.seen);
      std::_Exit(1);  // the feeder may be blocked: do not join it
    }
    ::usleep(static_cast<useconds_t>(poll_ms) * 1000);
  }
  feeder.join();
  if (!wait_vault) t_done = fed_ns;
  if (pid && !proc_ticks(pid, false, cpu1)) cpu1 = cpu0;
  if (fd >= 0) ::close(fd);
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::printf("wall_s=%.4f fed_s=%.4f cpu_s=%.3f eagain=%" PRIu64 " writes=%" PRIu64
              " short_writes=%" PRIu64 " stalled_s=%.4f pipe_bytes=%d vault_bytes=%" PRIu64 "\n",
              static_cast<double>(t_done - t0) / 1e9, static_cast<double>(fed_ns.load() - t0) / 1e9,
              static_cast<double>(cpu1 - cpu0) / tick, eagain, writes, short_writes,
              static_cast<double>(stalled_ns) / 1e9, pipe_size, w.seen);
  return 0;
}

// --- exec-wait -----------------------------------------------------------------------------

int cmd_exec_wait(int argc, char** argv) {
  if (argc < 5) die("usage: exec-wait DATA VAULT SIZE [--poll-ms M] -- CMD...");
  VaultWaiter w;
  w.path = argv[1];
  w.want_size = to_number<std::uint64_t>(argv[2], "SIZE");
  int poll_ms = 10, i = 3;
  double timeout_s = 600;
  for (; i < argc && std::string(argv[i]) != "--"; i += 2) {
    if (std::string(argv[i]) == "--poll-ms" && i + 1 < argc)
      poll_ms = static_cast<int>(to_number<std::uint64_t>(argv[i + 1], "poll-ms"));
    else if (std::string(argv[i]) == "--timeout" && i + 1 < argc)
      timeout_s = to_number<double>(argv[i + 1], "timeout");
    else
      die(std::string("unknown option ") + argv[i]);
  }
  if (i + 1 >= argc) die("exec-wait: no command");
  char** cmd = argv + i + 1;
  const int in = ::open(argv[0], O_RDONLY | O_CLOEXEC);
  if (in < 0) die_errno(argv[0]);
  const std::int64_t t0 = now_ns();
  const pid_t pid = ::fork();
  if (pid < 0) die_errno("fork");
  if (pid == 0) {
    ::dup2(in, 0);
    ::execvp(cmd[0], cmd);
    std::perror(cmd[0]);
    _exit(127);
  }
  ::close(in);
  std::int64_t t_done = 0;
  int status = 0;
  rusage ru{};
  bool exited = false;
  for (;;) {
    if (w.complete()) {
      t_done = now_ns();
      break;
    }
    if (!exited && ::wait4(pid, &status, WNOHANG, &ru) == pid) {
      exited = true;
      // it may have written everything just before exiting: one last look
      if (w.complete() || w.seen >= w.want_size) {
        t_done = now_ns();
        break;
      }
      std::fprintf(stderr,
                   "command exited (status %d) before the vault held %" PRIu64
                   " bytes (it has %" PRIu64 ")\n",
                   status, w.want_size, w.seen);
      return 1;
    }
    if (now_ns() > t0 + static_cast<std::int64_t>(timeout_s * 1e9)) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      std::fprintf(stderr, "%s not complete after %.0f s\n", w.path.c_str(), timeout_s);
      return 1;
    }
    ::usleep(static_cast<useconds_t>(poll_ms) * 1000);
  }
  if (!exited && ::wait4(pid, &status, 0, &ru) != pid) die_errno("wait4");
  const auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  std::printf("wall_s=%.4f cpu_s=%.3f user_s=%.3f sys_s=%.3f maxrss_kib=%ld exit=%d\n",
              static_cast<double>(t_done - t0) / 1e9, secs(ru.ru_utime) + secs(ru.ru_stime),
              secs(ru.ru_utime), secs(ru.ru_stime), ru.ru_maxrss,
              WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return 0;
}

// --- paced ---------------------------------------------------------------------------------

int cmd_paced(int argc, char** argv) {
  if (argc < 4)
    die("usage: paced FIFO RATE SECONDS ACCEPTED [--warmup S] [--len B] [--ready VAULT]");
  const char* fifo = argv[0];
  const double rate = to_number<double>(argv[1], "RATE");
  const double seconds = to_number<double>(argv[2], "SECONDS");
  double warmup = 0;
  std::size_t len = 150;
  const char* ready = nullptr;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string o = argv[i];
    if (o == "--warmup")
      warmup = to_number<double>(argv[i + 1], "warmup");
    else if (o == "--ready")
      ready = argv[i + 1];
    else if (o == "--len")
      len = to_number<std::uint64_t>(argv[i + 1], "len");
    else
      die("unknown option " + o);
  }
  FILE* acc = std::fopen(argv[3], "w");
  if (!acc) die_errno(argv[3]);
  ::signal(SIGPIPE, SIG_IGN);
  int fd = -1;
  const auto open_deadline = now_ns() + 30'000'000'000;
  while ((fd = ::open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
    if ((errno != ENXIO && errno != ENOENT) || now_ns() > open_deadline) die_errno(fifo);
    ::usleep(1000);
  }
  // --ready: one line first, and the schedule starts when VAULT holds something (the reader
  // is connected: over a WAN that takes many round trips, not what is measured)
  double ready_s = -1;
  if (ready) {
    const std::int64_t r0 = now_ns();
    const std::string first = "bench sshd[4242]: lsbwarm=ready t=" + std::to_string(r0) + "\n";
    if (::write(fd, first.data(), first.size()) != static_cast<ssize_t>(first.size()))
      die_errno("write to FIFO");
    struct stat st {};
    while (::stat(ready, &st) != 0 || st.st_size == 0) {
      if (now_ns() > r0 + 300'000'000'000) die(std::string(ready) + " still empty after 300 s");
      ::usleep(1000);
    }
    ready_s = static_cast<double>(now_ns() - r0) / 1e9;
  }
  const std::uint64_t n_warm = static_cast<std::uint64_t>(warmup * rate);
  const std::uint64_t n = static_cast<std::uint64_t>(seconds * rate);
  const double period_ns = 1e9 / rate;
  std::uint64_t ok = 0, eagain = 0, epipe = 0, enxio = 0, other = 0, late = 0;
  std::string line;
  const std::string filler =
      " pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0) "
      "from 10.2.3.4 port 51514 ssh2 ED25519 SHA256:q0Xq8v1mXbYk3S2oBwz4x9a7mK2Pz1u0Lr5d6e7f8g9"
      " and some more padding text to reach the requested length .........................";
  const std::int64_t t0 = now_ns();
  for (std::uint64_t i = 0; i < n_warm + n; ++i) {
    const std::int64_t due = t0 + static_cast<std::int64_t>(static_cast<double>(i) * period_ns);
    timespec ts{static_cast<time_t>(due / 1000000000), static_cast<long>(due % 1000000000)};
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    const bool warm = i < n_warm;
    const std::uint64_t seq = i - n_warm;
    char head[128];
    const std::int64_t t = now_ns();
    if (t - due > 1'000'000) ++late;  // more than 1 ms behind schedule
    if (warm)
      std::snprintf(head, sizeof head, "bench sshd[4242]: lsbwarm=%09" PRIu64 " t=%" PRId64, i, t);
    else
      std::snprintf(head, sizeof head, "bench sshd[4242]: lsbseq=%09" PRIu64 " t=%" PRId64, seq, t);
    line = head;
    if (line.size() + 1 < len)
      line += filler.substr(0, std::min(filler.size(), len - 1 - line.size()));
    line += '\n';
    if (fd < 0) {  // a logger reopens the pipe before each message while it has no reader
      fd = ::open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        if (!warm) ++enxio;
        continue;
      }
    }
    const ssize_t r = ::write(fd, line.data(), line.size());
    if (r == static_cast<ssize_t>(line.size())) {
      if (!warm) {
        ++ok;
        std::fprintf(acc, "%" PRIu64 "\n", seq);
      }
      continue;
    }
    if (warm) continue;
    if (r < 0 && errno == EAGAIN)
      ++eagain;
    else if (r < 0 && errno == EPIPE) {
      ++epipe;
      ::close(fd);
      fd = -1;
    } else
      ++other;  // a short write cannot happen below PIPE_BUF
  }
  if (fd >= 0) ::close(fd);
  std::fclose(acc);
  const std::int64_t t_end = now_ns();
  std::printf("sent=%" PRIu64 " ok=%" PRIu64 " eagain=%" PRIu64 " epipe=%" PRIu64 " enxio=%" PRIu64
              " other=%" PRIu64 " late=%" PRIu64 " secs=%.2f end_ns=%" PRId64,
              n, ok, eagain, epipe, enxio, other, late, static_cast<double>(t_end - t0) / 1e9,
              t_end);
  if (ready) std::printf(" ready_s=%.3f", ready_s);
  std::printf("\n");
  return 0;
}

// --- tail ----------------------------------------------------------------------------------

bool parse_seq(std::string_view line, std::uint64_t& seq, std::int64_t& t) {
  const auto at = line.find("lsbseq=");
  if (at == std::string_view::npos) return false;
  const auto tat = line.find(" t=", at);
  if (tat == std::string_view::npos) return false;
  char* end = nullptr;
  std::string s(line.substr(at + 7, tat - at - 7));
  seq = std::strtoull(s.c_str(), &end, 10);
  if (*end) return false;
  std::string ts(line.substr(tat + 3, 20));
  t = std::strtoll(ts.c_str(), &end, 10);
  return end != ts.c_str();
}

int cmd_tail(int argc, char** argv) {
  if (argc < 3) die("usage: tail VAULT N TIMEOUT_S [--idle S] [--dump FILE]");
  const std::string path = argv[0];
  const std::uint64_t want = to_number<std::uint64_t>(argv[1], "N");
  const double timeout = to_number<double>(argv[2], "TIMEOUT_S");
  std::int64_t idle_ns = 0;
  const char* dump = nullptr;
  for (int i = 3; i < argc; i += 2) {
    const std::string o = argv[i];
    if (i + 1 >= argc) die("tail: " + o + " needs a value");
    if (o == "--idle")
      idle_ns = static_cast<std::int64_t>(to_number<double>(argv[i + 1], "idle") * 1e9);
    else if (o == "--dump")
      dump = argv[i + 1];
    else
      die("unknown option " + o);
  }
  const int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (in < 0) die_errno("inotify_init1");
  int fd = -1;
  std::uint64_t off = 0;
  std::string pending;
  std::vector<std::int64_t> lat(want, -1), written(want, 0);
  std::uint64_t got = 0, dup = 0;
  std::int64_t last_new = now_ns();  // the start, until a line arrives
  const std::int64_t deadline = last_new + static_cast<std::int64_t>(timeout * 1e9);
  std::vector<char> buf(1 << 20);
  char ev[4096];
  while (got < want && now_ns() < deadline && !(idle_ns && now_ns() > last_new + idle_ns)) {
    if (fd < 0) {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && ::inotify_add_watch(in, path.c_str(), IN_MODIFY) < 0) die_errno("watch");
    }
    if (fd >= 0) {
      for (;;) {
        const ssize_t r = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(off));
        if (r <= 0) break;
        const std::int64_t arrived = now_ns();
        off += static_cast<std::uint64_t>(r);
        pending.append(buf.data(), static_cast<std::size_t>(r));
        std::size_t start = 0, nl;
        while ((nl = pending.find('\n', start)) != std::string::npos) {
          std::uint64_t seq;
          std::int64_t t;
          if (parse_seq(std::string_view(pending).substr(start, nl - start), seq, t) &&
              seq < want) {
            if (lat[seq] < 0) {
              lat[seq] = arrived - t;
              written[seq] = t;
              last_new = arrived;
              ++got;
            } else {
              ++dup;
            }
          }
          start = nl + 1;
        }
        pending.erase(0, start);
      }
    }
    pollfd p{in, POLLIN, 0};
    ::poll(&p, 1, 1);  // inotify wakes us at once; 1 ms is the fallback
    while (::read(in, ev, sizeof ev) > 0) {
    }
  }
  if (dump) {
    FILE* f = std::fopen(dump, "w");
    if (!f) die_errno(dump);
    for (std::uint64_t i = 0; i < want; ++i)
      if (lat[i] >= 0)
        std::fprintf(f, "%" PRIu64 " %" PRId64 " %.3f\n", i, written[i],
                     static_cast<double>(lat[i]) / 1e6);
    std::fclose(f);
  }
  std::vector<std::int64_t> v;
  for (auto x : lat)
    if (x >= 0) v.push_back(x);
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) {
    if (v.empty()) return -1.0;
    const auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
    return static_cast<double>(v[std::min(idx, v.size() - 1)]) / 1e6;
  };
  std::printf("lines=%" PRIu64 " missing=%" PRIu64 " dup=%" PRIu64
              " p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f last_ns=%" PRId64 "\n",
              got, want - got, dup, pct(50), pct(90), pct(99), pct(99.9), pct(100),
              got ? last_new : 0);
  return 0;
}

// --- count ---------------------------------------------------------------------------------

int cmd_count(int argc, char** argv) {
  if (argc != 2) die("usage: count N ACCEPTED < payload");
  const std::uint64_t n = to_number<std::uint64_t>(argv[0], "N");
  std::vector<std::uint32_t> seen(n, 0);
  std::vector<char> accepted(n, 0);
  {
    std::ifstream acc(argv[1]);
    std::uint64_t s;
    while (acc >> s)
      if (s < n) accepted[s] = 1;
  }
  std::string line;
  std::uint64_t other = 0, torn = 0;
  char buf[1 << 16];
  std::setvbuf(stdin, nullptr, _IOFBF, 1 << 20);
  while (std::fgets(buf, sizeof buf, stdin)) {
    std::string_view l(buf);
    std::uint64_t seq;
    std::int64_t t;
    // A line cut by a lost connection runs into whatever the next write brought: the cut
    // line is lost (torn), the last record on the line is whole.
    const auto last = l.rfind("bench sshd[4242]: lsb");
    if (last == std::string_view::npos) {
      ++other;
      continue;
    }
    if (last != l.find("bench sshd[4242]: lsb")) ++torn;
    l.remove_prefix(last);
    if (l.back() != '\n') {
      ++torn;
      continue;
    }
    if (l.find("lsbwarm=") != std::string_view::npos) continue;
    if (!parse_seq(l, seq, t) || seq >= n) {
      ++other;
      continue;
    }
    ++seen[seq];
  }
  std::uint64_t once = 0, multi = 0, extra = 0, none = 0, acc_missing = 0, acc = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    acc += accepted[i];
    if (seen[i] == 0) {
      ++none;
      if (accepted[i]) ++acc_missing;
    } else if (seen[i] == 1) {
      ++once;
    } else {
      ++multi;
      extra += seen[i] - 1;
    }
  }
  std::printf("lines=%" PRIu64 " once=%" PRIu64 " repeated=%" PRIu64 " extra_copies=%" PRIu64
              " missing=%" PRIu64 " accepted=%" PRIu64 " accepted_missing=%" PRIu64 " torn=%" PRIu64
              " other=%" PRIu64 "\n",
              n, once, multi, extra, none, acc, acc_missing, torn, other);
  return 0;
}

// --- compare -------------------------------------------------------------------------------

std::vector<std::string_view> split_lines(const Mapped& m) {
  std::vector<std::string_view> lines;
  std::size_t at = 0;
  while (at < m.size) {
    const void* nl = std::memchr(m.data + at, '\n', m.size - at);
    const std::size_t end =
        nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - m.data) : m.size;
    lines.emplace_back(m.data + at, end - at);  // a last line without newline counts too
    at = end + 1;
  }
  return lines;
}

int cmd_compare(int argc, char** argv) {
  if (argc != 2) die("usage: compare DATA OUT");
  const Mapped data(argv[0]), out(argv[1]);
  const auto lines = split_lines(data);
  // DATA's lines by hash; equal lines are matched to their occurrences in order
  std::vector<std::pair<std::size_t, std::uint32_t>> index(lines.size());
  const std::hash<std::string_view> hash;
  for (std::size_t i = 0; i < lines.size(); ++i)
    index[i] = {hash(lines[i]), static_cast<std::uint32_t>(i)};
  std::sort(index.begin(), index.end());
  std::vector<std::uint32_t> seen(lines.size(), 0);
  std::uint64_t out_lines = 0, unknown = 0, late = 0;
  std::int64_t furthest = -1;  // the furthest line of DATA delivered so far
  for (const auto l : split_lines(out)) {
    ++out_lines;
    const std::pair<std::size_t, std::uint32_t> key{hash(l), 0};
    std::int64_t match = -1, repeat = -1;
    for (auto it = std::lower_bound(index.begin(), index.end(), key);
         it != index.end() && it->first == key.first && match < 0; ++it) {
      if (lines[it->second] != l) continue;
      if (seen[it->second] == 0)
        match = it->second;
      else if (repeat < 0)
        repeat = it->second;
    }
    if (match < 0 && repeat < 0) {
      ++unknown;
      continue;
    }
    if (match < 0) {
      ++seen[static_cast<std::size_t>(repeat)];
      continue;
    }
    ++seen[static_cast<std::size_t>(match)];
    if (match < furthest) ++late;
    furthest = std::max(furthest, match);
  }
  std::uint64_t once = 0, lost = 0, repeated = 0, extra = 0;
  for (const auto n : seen) {
    if (n == 0) ++lost;
    if (n == 1) ++once;
    if (n > 1) ++repeated, extra += n - 1;
  }
  std::printf(
      "lines=%zu out_lines=%" PRIu64 " once=%" PRIu64 " lost=%" PRIu64 " duplicated=%" PRIu64
      " extra_copies=%" PRIu64 " unknown=%" PRIu64 " out_of_order=%" PRIu64 " in_order=%s\n",
      lines.size(), out_lines, once, lost, repeated, extra, unknown, late, late ? "no" : "yes");
  return 0;
}

// --- treecpu -------------------------------------------------------------------------------

int cmd_treecpu(int argc, char** argv) {
  if (argc != 1) die("usage: treecpu PID");
  const long root = static_cast<long>(to_number<std::uint64_t>(argv[0], "PID"));
  std::map<long, long> parent;
  std::map<long, std::uint64_t> ticks;
  DIR* d = ::opendir("/proc");
  if (!d) die_errno("/proc");
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    std::uint64_t t = 0;
    long pp = 0;
    if (proc_ticks(pid, true, t, &pp)) {
      parent[pid] = pp;
      ticks[pid] = t;
    }
  }
  ::closedir(d);
  std::set<long> family{root};
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [pid, pp] : parent)
      if (!family.count(pid) && family.count(pp)) {
        family.insert(pid);
        changed = true;
      }
  }
  std::uint64_t sum = 0;
  for (long pid : family) sum += ticks.count(pid) ? ticks[pid] : 0;
  std::printf("cpu_s=%.3f procs=%zu\n",
              static_cast<double>(sum) / static_cast<double>(::sysconf(_SC_CLK_TCK)),
              family.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  logship::bench::tool = {"logship-bench-push", 1};
  if (argc < 2)
    die("usage: logship-bench-push gen|feed-wait|exec-wait|paced|tail|count|compare|treecpu|"
        "libssh-send|hash-lines|intake|pipeline ...");
  const std::string cmd = argv[1];
  argc -= 2;
  argv += 2;
  if (cmd == "gen") return cmd_gen(argc, argv);
  if (cmd == "feed-wait") return cmd_feed_wait(argc, argv);
  if (cmd == "exec-wait") return cmd_exec_wait(argc, argv);
  if (cmd == "paced") return cmd_paced(argc, argv);
  if (cmd == "tail") return cmd_tail(argc, argv);
  if (cmd == "count") return cmd_count(argc, argv);
  if (cmd == "compare") return cmd_compare(argc, argv);
  if (cmd == "treecpu") return cmd_treecpu(argc, argv);
  if (cmd == "libssh-send") return cmd_libssh_send(argc, argv);
  if (cmd == "hash-lines") return cmd_hash_lines(argc, argv);
  if (cmd == "intake") return cmd_intake(argc, argv);
  if (cmd == "pipeline") return cmd_pipeline(argc, argv);
  die("unknown command " + cmd);
}
