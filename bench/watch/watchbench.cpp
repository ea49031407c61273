// logship-bench-watch: the measuring tools of bench/watch/run (logship-verify --follow). All
// times are CLOCK_MONOTONIC.
//
//   run [--status FILE --bytes N] [--timeout S] -- CMD...
//                                 runs CMD (its stdout to /dev/null, its stderr ours); with
//                                 --status, polls FILE (a --status-file JSON) every 10 ms until the
//                                 "bytes_verified" of its streams add up to N, then sends CMD
//                                 SIGTERM. Prints CMD's rusage (wait4): "user_s= sys_s= cpu_s=
//                                 wall_s= done_s= maxrss_kib= exit="; done_s: when the status file
//                                 showed N bytes (else wall_s).
//   lag VAULT OUT TAILOUT N TIMEOUT_S [--idle S] [--dump FILE]
//                                 follows three growing files at once (inotify, 1 ms poll
//                                 fallback), each read to its end in that order on every wake:
//                                 VAULT (the vault file), TAILOUT (what `tail -F VAULT` wrote;
//                                 "-": none) and OUT (what the watcher's --emit wrote). For each
//                                 payload line "... lsbseq=S ..." (S < N): when it appeared in
//                                 VAULT and when the end line of its batch did, when it appeared
//                                 in OUT and in TAILOUT. Prints, in ms (p50/p99/max), per batch
//                                 with lines: watch_ = its end line in VAULT -> its last line in
//                                 OUT, tail_ = its end line in VAULT -> in TAILOUT; per line:
//                                 watchline_, tailline_ (line in VAULT -> in TAILOUT), and with
//                                 t=NS in the lines (logship-bench-push paced) e2e_ (writer ->
//                                 OUT) and sealed_ (writer -> end line in VAULT). Ends when every
//                                 line arrived in both, at TIMEOUT_S, or (--idle) S seconds after
//                                 the last new one. Also the lines of the biggest batch and of
//                                 the one with the longest watch_ lag.
//   key KEY_OUT                   writes the key that `write` and `gen-streams` seal with.
//   write VAULT RATE SECONDS [--batch-ms MS] [--len B]
//                                 the direct writer: seals RATE*SECONDS lines "lsbseq=N" in
//                                 batches of RATE*MS/1000 lines (default 250 ms, as
//                                 logship-push --batch-open) with the `key` key first, then
//                                 appends them to VAULT at RATE lines/s: the begin line when
//                                 a batch starts, one write(2) per line, the end line after its
//                                 last line (as logship-push streams an open batch).
//   gen-streams DIR N KEY_OUT BATCHES
//                                 N vault files DIR/sNNNN.vault of BATCHES sealed batches of 10
//                                 lines each (one key, KEY_OUT), and DIR/streams.conf naming them
//                                 (max-silence = 180); prints their total bytes.
//   sample SECONDS PID...         CPU of each PID over SECONDS (/proc/PID/stat utime+stime),
//                                 then its VmHWM and VmRSS: "pid= cpu_s= core_pct= hwm_kib=
//                                 rss_kib=" per PID, one line each.
//   cpu PID                       the CPU PID has used so far: "cpu_s=".
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "util/files.hpp"
#include "vault/batch_builder.hpp"
#include "vault/key_file.hpp"

namespace {

using namespace logship;
using namespace logship::vault;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "logship-bench-watch: %s\n", msg.c_str());
  std::exit(2);
}
[[noreturn]] void die_errno(const std::string& what) {
  die(what + ": " + std::strerror(errno));
}

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::uint64_t to_u64(const char* s, const char* what) {
  char* end = nullptr;
  errno = 0;
  const auto v = std::strtoull(s, &end, 10);
  if (errno || end == s || *end) die(std::string("bad ") + what + ": " + s);
  return v;
}

double to_double(const char* s, const char* what) {
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end || v < 0) die(std::string("bad ") + what + ": " + s);
  return v;
}

void sleep_until(std::int64_t due) {
  timespec ts{static_cast<time_t>(due / 1'000'000'000), static_cast<long>(due % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

void write_or_die(int fd, std::string_view bytes, const char* what) {
  if (auto st = write_all(fd, bytes, what); !st) die(st.error().message);
}

// --- run ---------------------------------------------------------------------------------------

// The sum of every "bytes_verified": value in a status file (0 while it does not exist).
std::uint64_t status_bytes(const char* path) {
  std::ifstream in(path);
  if (!in) return 0;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  constexpr std::string_view kField = "\"bytes_verified\":";
  std::uint64_t sum = 0;
  for (auto at = text.find(kField); at != std::string::npos; at = text.find(kField, at + 1))
    sum += std::strtoull(text.c_str() + at + kField.size(), nullptr, 10);
  return sum;
}

int cmd_run(int argc, char** argv) {
  const char* status = nullptr;
  std::uint64_t want = 0;
  double timeout = 600;
  int i = 0;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; i += 2) {
    if (i + 1 >= argc) die("run: option " + std::string(argv[i]) + " needs a value");
    const std::string o = argv[i];
    if (o == "--status")
      status = argv[i + 1];
    else if (o == "--bytes")
      want = to_u64(argv[i + 1], "bytes");
    else if (o == "--timeout")
      timeout = to_double(argv[i + 1], "timeout");
    else
      die("run: unknown option " + o);
  }
  if (i + 1 >= argc) die("usage: run [--status FILE --bytes N] [--timeout S] -- CMD...");
  char** cmd = argv + i + 1;
  const std::int64_t t0 = now_ns();
  const pid_t pid = ::fork();
  if (pid < 0) die_errno("fork");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, STDOUT_FILENO) < 0) _exit(127);
    ::execvp(cmd[0], cmd);
    std::perror(cmd[0]);
    _exit(127);
  }
  std::int64_t done = -1;
  bool timed_out = false;
  int wstatus = 0;
  rusage ru{};
  for (;;) {
    const pid_t r = ::wait4(pid, &wstatus, status ? WNOHANG : 0, &ru);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) die_errno("wait4");
    if (!status) continue;
    if (done < 0 && status_bytes(status) >= want) {
      done = now_ns();
      ::kill(pid, SIGTERM);
    }
    if (!timed_out && now_ns() - t0 > static_cast<std::int64_t>(timeout * 1e9)) {
      timed_out = true;
      std::fprintf(stderr,
                   "logship-bench-watch run: %s: %" PRIu64 " of %" PRIu64
                   " bytes verified after %.0f s; stopping it\n",
                   status, status_bytes(status), want, timeout);
      ::kill(pid, SIGTERM);
    }
    ::usleep(10'000);
  }
  const std::int64_t t1 = now_ns();
  const double user = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6;
  const double sys = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
  const int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  std::printf("user_s=%.3f sys_s=%.3f cpu_s=%.3f wall_s=%.3f done_s=%.3f maxrss_kib=%ld exit=%d\n",
              user, sys, user + sys, static_cast<double>(t1 - t0) / 1e9,
              static_cast<double>((done < 0 ? t1 : done) - t0) / 1e9, ru.ru_maxrss,
              timed_out ? 124 : code);
  return timed_out ? 1 : 0;
}

// --- lag ---------------------------------------------------------------------------------------

// "lsbseq=N" (and "t=NS" after it) in a line; false when it has none.
bool parse_seq(std::string_view line, std::uint64_t& seq, std::int64_t& t) {
  const auto at = line.find("lsbseq=");
  if (at == std::string_view::npos) return false;
  seq = std::strtoull(std::string(line.substr(at + 7, 20)).c_str(), nullptr, 10);
  t = -1;
  const auto tat = line.find(" t=", at);
  if (tat != std::string_view::npos)
    t = std::strtoll(std::string(line.substr(tat + 3, 20)).c_str(), nullptr, 10);
  return true;
}

// A file read as it grows, line by line.
struct Follower {
  UniqueFd fd;
  std::string partial;
  template <typename F>
  void drain(F&& on_line) {
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      partial.append(buf, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', start)) {
        on_line(std::string_view(partial).substr(start, nl - start));
        start = nl + 1;
      }
      partial.erase(0, start);
    }
  }
};

struct Stats {
  std::size_t n = 0;
  double p50 = -1, p99 = -1, max = -1;
};
Stats stats(std::vector<double> v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {  // nearest rank
    auto k = static_cast<std::size_t>(q * static_cast<double>(v.size()) + 0.999999);
    return v[std::clamp<std::size_t>(k, 1, v.size()) - 1];
  };
  s.p50 = rank(0.50);
  s.p99 = rank(0.99);
  s.max = v.back();
  return s;
}
void print_stats(const char* name, const Stats& s) {
  std::printf(" %s_n=%zu %s_p50_ms=%.2f %s_p99_ms=%.2f %s_max_ms=%.2f", name, s.n, name, s.p50,
              name, s.p99, name, s.max);
}

// "seq=N" of an end line.
std::uint64_t end_seq(std::string_view line) {
  const auto at = line.find(" seq=");
  if (at == std::string_view::npos) return UINT64_MAX;
  return std::strtoull(std::string(line.substr(at + 5, 20)).c_str(), nullptr, 10);
}

int cmd_lag(int argc, char** argv) {
  if (argc < 5) die("usage: lag VAULT OUT TAILOUT N TIMEOUT_S [--idle S] [--dump FILE]");
  const std::uint64_t n = to_u64(argv[3], "N");
  const double timeout = to_double(argv[4], "TIMEOUT_S");
  double idle = 0;
  const char* dump = nullptr;
  for (int i = 5; i + 1 < argc; i += 2) {
    const std::string o = argv[i];
    if (o == "--idle")
      idle = to_double(argv[i + 1], "idle");
    else if (o == "--dump")
      dump = argv[i + 1];
    else
      die("lag: unknown option " + o);
  }
  const bool with_tail = std::strcmp(argv[2], "-") != 0;
  UniqueFd ino(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!ino.valid()) die_errno("inotify_init1");
  Follower vault, out, tail;
  auto open_follow = [&](Follower& f, const char* path) {
    f.fd.reset(::open(path, O_RDONLY | O_CLOEXEC));
    if (!f.fd.valid()) die_errno(path);
    if (::inotify_add_watch(ino.get(), path, IN_MODIFY) < 0) die_errno("inotify_add_watch");
  };
  open_follow(vault, argv[0]);
  open_follow(out, argv[1]);
  if (with_tail) open_follow(tail, argv[2]);

  // Per payload line (by lsbseq): when it appeared in VAULT, OUT and TAILOUT, the writer's t=,
  // and its batch. Per batch (by the end line's seq=, first copy only): when its end line
  // appeared in VAULT and in TAILOUT, and its lines.
  std::vector<std::int64_t> t_line(n, -1), t_out(n, -1), t_tail(n, -1), t_writer(n, -1);
  struct BatchRec {
    std::int64_t end = -1, tail_end = -1;
    std::vector<std::uint64_t> lines;
  };
  std::map<std::uint64_t, BatchRec> batches;
  std::map<std::uint64_t, std::int64_t> tail_early;  // end lines in TAILOUT not yet in VAULT
  std::vector<std::uint64_t> pending;                // lines of the batch being read in VAULT
  std::uint64_t got_out = 0, got_tail = 0;
  std::int64_t now = now_ns();
  const std::int64_t deadline = now + static_cast<std::int64_t>(timeout * 1e9);
  std::int64_t last_new = now;
  bool any = false;
  for (;;) {
    now = now_ns();
    vault.drain([&](std::string_view line) {
      if (line.starts_with("@logship begin ")) {
        pending.clear();
      } else if (line.starts_with("@logship end ")) {
        const auto bs = end_seq(line);
        if (!pending.empty() && !batches.contains(bs)) {
          const auto early = tail_early.find(bs);
          batches[bs] = BatchRec{now, early == tail_early.end() ? -1 : now, std::move(pending)};
        }
        pending.clear();
      } else {
        std::uint64_t s = 0;
        std::int64_t t = 0;
        if (!parse_seq(line, s, t) || s >= n) return;
        if (t_line[s] < 0) t_line[s] = now;
        if (t >= 0 && t_writer[s] < 0) t_writer[s] = t;
        pending.push_back(s);
      }
    });
    if (with_tail) {
      now = now_ns();
      tail.drain([&](std::string_view line) {
        if (line.starts_with("@logship end ")) {
          // (read here before it was read in VAULT: it came between the two reads)
          auto it = batches.find(end_seq(line));
          if (it == batches.end())
            tail_early.emplace(end_seq(line), now);
          else if (it->second.tail_end < 0)
            it->second.tail_end = now;
          return;
        }
        std::uint64_t s = 0;
        std::int64_t t = 0;
        if (!parse_seq(line, s, t) || s >= n || t_tail[s] >= 0) return;
        t_tail[s] = now;
        ++got_tail;
        last_new = now;
        any = true;
      });
    }
    now = now_ns();
    out.drain([&](std::string_view line) {
      std::uint64_t s = 0;
      std::int64_t t = 0;
      if (!parse_seq(line, s, t) || s >= n || t_out[s] >= 0) return;
      t_out[s] = now;
      ++got_out;
      last_new = now;
      any = true;
    });
    if (got_out == n && (!with_tail || got_tail == n)) break;
    now = now_ns();
    if (now > deadline) break;
    if (idle > 0 && any && now - last_new > static_cast<std::int64_t>(idle * 1e9)) break;
    pollfd p{ino.get(), POLLIN, 0};
    ::poll(&p, 1, 1);  // inotify wakes us at once; 1 ms is the fallback
    char evbuf[4096];
    while (::read(ino.get(), evbuf, sizeof evbuf) > 0) {
    }
  }
  // A line that arrived between the read of VAULT and that of TAILOUT or OUT is read there
  // first: its lag counts as 0 (the error is at most one wake, microseconds).

  auto ms = [](std::int64_t d) { return static_cast<double>(d) / 1e6; };
  std::vector<double> w_batch, t_batch, w_line, t_line_lag, e2e, sealed;
  std::uint64_t batch_lines = 0, batches_out = 0, lines_sealed = 0;
  double slowest_ms = -1;
  std::size_t slowest_lines = 0, biggest_lines = 0;
  for (const auto& [bs, b] : batches) {
    batch_lines += b.lines.size();
    std::int64_t last_out = -1;
    bool all_out = true;
    for (auto s : b.lines) {
      ++lines_sealed;
      if (t_out[s] < 0) {
        all_out = false;
        continue;
      }
      last_out = std::max(last_out, t_out[s]);
      w_line.push_back(ms(std::max<std::int64_t>(0, t_out[s] - b.end)));
      if (t_writer[s] >= 0) {
        e2e.push_back(ms(t_out[s] - t_writer[s]));
        sealed.push_back(ms(b.end - t_writer[s]));
      }
    }
    if (all_out) {
      ++batches_out;
      w_batch.push_back(ms(std::max<std::int64_t>(0, last_out - b.end)));
      if (w_batch.back() >= slowest_ms) {
        slowest_ms = w_batch.back();
        slowest_lines = b.lines.size();
      }
    }
    biggest_lines = std::max(biggest_lines, b.lines.size());
    if (b.tail_end >= 0) t_batch.push_back(ms(b.tail_end - b.end));
  }
  for (std::uint64_t s = 0; s < n; ++s)
    if (t_tail[s] >= 0)  // (read in TAILOUT first: see above)
      t_line_lag.push_back(
          ms(t_line[s] < 0 ? 0 : std::max<std::int64_t>(0, t_tail[s] - t_line[s])));
  if (dump) {
    FILE* f = std::fopen(dump, "w");
    if (!f) die_errno(dump);
    std::fprintf(f, "# batch_seq lines vault_end_ns tail_end_ns last_out_ns\n");
    for (const auto& [bs, b] : batches) {
      std::int64_t last_out = -1;
      for (auto s : b.lines) last_out = std::max(last_out, t_out[s]);
      std::fprintf(f, "%" PRIu64 " %zu %" PRId64 " %" PRId64 " %" PRId64 "\n", bs, b.lines.size(),
                   b.end, b.tail_end, last_out);
    }
    std::fclose(f);
  }
  std::printf("lines=%" PRIu64 " sealed_in_vault=%" PRIu64 " in_out=%" PRIu64 " in_tail=%" PRIu64
              " batches=%zu batches_out=%" PRIu64
              " lines_per_batch=%.0f biggest_batch_lines=%zu slowest_batch_lines=%zu",
              n, lines_sealed, got_out, got_tail, batches.size(), batches_out,
              batches.empty()
                  ? 0.0
                  : static_cast<double>(batch_lines) / static_cast<double>(batches.size()),
              biggest_lines, slowest_lines);
  print_stats("watch", stats(w_batch));        // end line in VAULT -> last line in OUT
  print_stats("tail", stats(t_batch));         // end line in VAULT -> end line in TAILOUT
  print_stats("watchline", stats(w_line));     // end line in VAULT -> the line in OUT
  print_stats("tailline", stats(t_line_lag));  // line in VAULT -> line in TAILOUT
  print_stats("e2e", stats(e2e));              // writer -> OUT
  print_stats("sealed", stats(sealed));        // writer -> end line in VAULT
  std::printf("\n");
  return 0;
}

// --- write -------------------------------------------------------------------------------------

crypto::Digest bench_key() {
  crypto::Digest k0{};
  for (std::size_t i = 0; i < k0.size(); ++i) k0[i] = static_cast<std::uint8_t>(0x5a ^ i);
  return k0;
}

VaultTime vault_time(long long t) {
  return VaultTime{std::chrono::seconds(1'790'000'000 + t)};
}

int cmd_key(int argc, char** argv) {
  if (argc != 1) die("usage: key KEY_OUT");
  if (auto st = write_key_file(argv[0], bench_key(), "benchmark key"); !st) die(st.error().message);
  return 0;
}

int cmd_write(int argc, char** argv) {
  if (argc < 3) die("usage: write VAULT RATE SECONDS [--batch-ms MS] [--len B]");
  const double rate = to_double(argv[1], "RATE");
  const double seconds = to_double(argv[2], "SECONDS");
  double batch_ms = 250;
  std::size_t len = 150;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string o = argv[i];
    if (o == "--batch-ms")
      batch_ms = to_double(argv[i + 1], "batch-ms");
    else if (o == "--len")
      len = to_u64(argv[i + 1], "len");
    else
      die("write: unknown option " + o);
  }
  const auto n = static_cast<std::uint64_t>(rate * seconds);
  const auto per_batch =
      std::max<std::uint64_t>(1, static_cast<std::uint64_t>(rate * batch_ms / 1000));
  const auto k0 = bench_key();

  // Sealed first: what is timed is only the appending.
  struct Batch {
    std::string begin;
    std::vector<std::string> lines;  // vault lines with their '\n'
    std::string end;
  };
  std::vector<Batch> batches;
  auto state = SealState::initial(k0);
  const std::string filler =
      " bench sshd[4242]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by "
      "(uid=0) from 10.2.3.4 port 51514 ssh2 ED25519 SHA256:q0Xq8v1mXbYk3S2oBwz4x9a7mK2Pz1u0Lr5d6"
      "e7f8g9 and some padding ...........................................................";
  for (std::uint64_t first = 0; first < n; first += per_batch) {
    auto b = BatchBuilder::open(
        state,
        BatchHeader{"bench", "lag", vault_time(static_cast<long long>(batches.size())), 0, {}});
    if (!b) die(b.error().message);
    Batch out;
    out.begin = b->begin_line();
    for (std::uint64_t s = first; s < std::min(n, first + per_batch); ++s) {
      char head[64];
      std::snprintf(head, sizeof head, "lsbseq=%09" PRIu64, s);
      std::string line = head;
      if (line.size() + 1 < len)
        line += filler.substr(0, std::min(filler.size(), len - 1 - line.size()));
      std::string framed;
      if (auto st = b->add(line, LineEnd::newline, framed); !st) die(st.error().message);
      out.lines.push_back(std::move(framed));
    }
    auto sealed = b->seal(state);
    if (!sealed) die(sealed.error().message);
    out.end = sealed->end_line;
    if (auto st = state.commit(*sealed); !st) die(st.error().message);
    batches.push_back(std::move(out));
  }

  UniqueFd fd(::open(argv[0], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) die_errno(argv[0]);
  const double period_ns = 1e9 / rate;
  std::uint64_t i = 0, late = 0;
  const std::int64_t t0 = now_ns();
  for (const auto& b : batches) {
    for (std::size_t k = 0; k < b.lines.size(); ++k, ++i) {
      const std::int64_t due = t0 + static_cast<std::int64_t>(static_cast<double>(i) * period_ns);
      sleep_until(due);
      if (now_ns() - due > 1'000'000) ++late;
      if (k == 0) write_or_die(fd.get(), b.begin, argv[0]);
      write_or_die(fd.get(), b.lines[k], argv[0]);
    }
    write_or_die(fd.get(), b.end, argv[0]);
  }
  std::printf("lines=%" PRIu64 " batches=%zu lines_per_batch=%" PRIu64 " late=%" PRIu64
              " secs=%.2f\n",
              n, batches.size(), per_batch, late, static_cast<double>(now_ns() - t0) / 1e9);
  return 0;
}

// --- gen-streams -------------------------------------------------------------------------------

int cmd_gen_streams(int argc, char** argv) {
  if (argc != 4) die("usage: gen-streams DIR N KEY_OUT BATCHES");
  const std::string dir = argv[0];
  const std::uint64_t n = to_u64(argv[1], "N");
  const std::uint64_t nb = to_u64(argv[3], "BATCHES");
  const auto k0 = bench_key();
  if (auto st = write_key_file(argv[2], k0, "benchmark key"); !st) die(st.error().message);
  std::string conf;
  std::uint64_t total = 0;
  for (std::uint64_t s = 0; s < n; ++s) {
    char name[32];
    std::snprintf(name, sizeof name, "s%04" PRIu64, s);
    const std::string path = dir + "/" + name + ".vault";
    auto state = SealState::initial(k0);
    std::string buf;
    for (std::uint64_t b = 0; b < nb; ++b) {
      auto bb = BatchBuilder::open(state, BatchHeader{"web" + std::to_string(s),
                                                      "auth",
                                                      vault_time(static_cast<long long>(b * 10)),
                                                      0,
                                                      {}});
      if (!bb) die(bb.error().message);
      buf += bb->begin_line();
      for (int l = 0; l < 10; ++l) {
        char line[160];
        std::snprintf(line, sizeof line,
                      "Nov 22 02:20:%02d web%" PRIu64
                      " sshd[%d]: Failed password for invalid user "
                      "admin from 203.0.113.7 port %d ssh2",
                      static_cast<int>(b % 60), s, 1000 + l, 40000 + static_cast<int>(b * 10) + l);
        if (auto st = bb->add(line, LineEnd::newline, buf); !st) die(st.error().message);
      }
      auto sealed = bb->seal(state);
      if (!sealed) die(sealed.error().message);
      buf += sealed->end_line;
      if (auto st = state.commit(*sealed); !st) die(st.error().message);
    }
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    if (!fd.valid()) die_errno(path);
    write_or_die(fd.get(), buf, path.c_str());
    total += buf.size();
    conf += "[" + std::string(name) + "]\nfile = " + path + "\nkey = " + argv[2] +
            "\nmax-silence = 180\n";
  }
  const std::string conf_path = dir + "/streams.conf";
  UniqueFd fd(::open(conf_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd.valid()) die_errno(conf_path);
  write_or_die(fd.get(), conf, conf_path.c_str());
  std::printf("%" PRIu64 "\n", total);
  return 0;
}

// --- sample ------------------------------------------------------------------------------------

// utime+stime of a process (all its threads) in ticks.
std::uint64_t proc_ticks(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = s.rfind(')');
  if (!in.good() && s.empty()) die("no process " + std::to_string(pid));
  if (close == std::string::npos) die("bad /proc/" + std::to_string(pid) + "/stat");
  std::istringstream f(s.substr(close + 2));
  std::string field;
  std::vector<std::string> v;  // v[0] is field 3 (state)
  while (f >> field) v.push_back(field);
  if (v.size() < 13) die("short /proc/" + std::to_string(pid) + "/stat");
  return std::stoull(v[11]) + std::stoull(v[12]);  // fields 14, 15
}

long status_kib(long pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(key)) return std::strtol(line.c_str() + std::strlen(key) + 1, nullptr, 10);
  return -1;
}

int cmd_sample(int argc, char** argv) {
  if (argc < 2) die("usage: sample SECONDS PID...");
  const double secs = to_double(argv[0], "SECONDS");
  std::vector<long> pids;
  std::vector<std::uint64_t> t0;
  for (int i = 1; i < argc; ++i) pids.push_back(static_cast<long>(to_u64(argv[i], "PID")));
  const std::int64_t w0 = now_ns();
  for (auto p : pids) t0.push_back(proc_ticks(p));
  sleep_until(w0 + static_cast<std::int64_t>(secs * 1e9));
  const double wall = static_cast<double>(now_ns() - w0) / 1e9;
  const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (std::size_t i = 0; i < pids.size(); ++i) {
    const double cpu = static_cast<double>(proc_ticks(pids[i]) - t0[i]) / hz;
    std::printf("pid=%ld cpu_s=%.2f core_pct=%.3f hwm_kib=%ld rss_kib=%ld\n", pids[i], cpu,
                cpu * 100 / wall, status_kib(pids[i], "VmHWM:"), status_kib(pids[i], "VmRSS:"));
  }
  return 0;
}

int cmd_cpu(int argc, char** argv) {
  if (argc != 1) die("usage: cpu PID");
  const auto ticks = proc_ticks(static_cast<long>(to_u64(argv[0], "PID")));
  std::printf("cpu_s=%.2f\n",
              static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK)));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2)
    die("usage: logship-bench-watch run|lag|key|write|gen-streams|sample|cpu ... (see the source)");
  const std::string cmd = argv[1];
  if (cmd == "run") return cmd_run(argc - 2, argv + 2);
  if (cmd == "lag") return cmd_lag(argc - 2, argv + 2);
  if (cmd == "key") return cmd_key(argc - 2, argv + 2);
  if (cmd == "write") return cmd_write(argc - 2, argv + 2);
  if (cmd == "gen-streams") return cmd_gen_streams(argc - 2, argv + 2);
  if (cmd == "sample") return cmd_sample(argc - 2, argv + 2);
  if (cmd == "cpu") return cmd_cpu(argc - 2, argv + 2);
  die("unknown command " + cmd);
}
