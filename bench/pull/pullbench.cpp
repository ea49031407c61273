// Measuring tools of the logship-pull benchmark (bench/pull/run); links no logship code.
//   logship-bench-pull gen FILE MIB            syslog-like lines (100-200 B) up to MIB MiB
//   logship-bench-pull wait-tail FILE TEXT S   waits until the last 64 KiB of FILE contain
//                                              TEXT (at most S seconds); prints seconds
//   logship-bench-pull latency REMOTE COPY RATE SECS
//                                              appends numbered lines to REMOTE at RATE/s for
//                                              SECS and times each one's arrival in COPY (a raw
//                                              copy); prints "n= p50_ms= p99_ms= max_ms="
//   logship-bench-pull cpu SECS PID...         CPU seconds the processes used over SECS of wall
//                                              time; prints "cpu_pct= hwm_kib=" (VmHWM of the
//                                              first PID)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int usage() {
  std::fprintf(stderr,
               "usage: logship-bench-pull gen FILE MIB | wait-tail FILE TEXT SECS | latency "
               "REMOTE COPY RATE SECS | cpu SECS PID...\n");
  return 2;
}

std::string line(std::uint64_t i, std::mt19937_64& rng) {
  static const char* words[] = {"sshd[4242]: Accepted publickey for",
                                "sudo: pam_unix(sudo:session):",
                                "kernel: audit: type=1400 apparmor=", "CRON[991]: (root) CMD"};
  std::string s = "Nov 22 02:" + std::to_string(10 + i % 50) + ":" + std::to_string(10 + i % 49) +
                  " web1 " + words[i % 4] + " seq=" + std::to_string(i) + " ";
  const std::size_t pad = 40 + rng() % 100;
  for (std::size_t k = 0; k < pad; ++k) s += static_cast<char>('a' + rng() % 26);
  return s + "\n";
}

int gen(const char* path, long mib) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::mt19937_64 rng(42);
  const std::uint64_t want = static_cast<std::uint64_t>(mib) << 20;
  std::uint64_t done = 0, i = 0;
  std::string buf;
  while (done < want) {
    buf.clear();
    while (buf.size() < (1u << 20) && done + buf.size() < want) buf += line(++i, rng);
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    done += buf.size();
  }
  return out ? 0 : 1;
}

int wait_tail(const char* path, const std::string& text, double secs) {
  const auto start = Clock::now();
  std::string tail(64 * 1024, '\0');
  for (;;) {
    const int fd = ::open(path, O_RDONLY);
    if (fd >= 0) {
      struct stat st {};
      ::fstat(fd, &st);
      const off_t from = std::max<off_t>(0, st.st_size - static_cast<off_t>(tail.size()));
      const ssize_t n = ::pread(fd, tail.data(), tail.size(), from);
      ::close(fd);
      if (n > 0 && std::string_view(tail.data(), static_cast<size_t>(n)).find(text) !=
                       std::string_view::npos)
        break;
    }
    if (std::chrono::duration<double>(Clock::now() - start).count() > secs) {
      std::fprintf(stderr, "wait-tail: %s did not end with the expected text within %.0f s\n", path,
                   secs);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::printf("%.3f\n", std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

int latency(const char* remote, const char* copy, double rate, double secs) {
  const int out = ::open(remote, O_WRONLY | O_APPEND | O_CREAT, 0640);
  const int in = ::open(copy, O_RDONLY);
  if (out < 0 || in < 0) {
    std::perror("latency: open");
    return 1;
  }
  ::lseek(in, 0, SEEK_END);  // only lines written from now on
  // LOGSHIP_BENCH_LAT_DUMP=FILE: each line's write time and latency (ms), to see when a tail
  // happened.
  const char* dump_path = std::getenv("LOGSHIP_BENCH_LAT_DUMP");
  std::FILE* dump = dump_path ? std::fopen(dump_path, "w") : nullptr;
  std::map<std::uint64_t, Clock::time_point> sent;
  std::vector<double> ms;
  std::string pending;
  std::mt19937_64 rng(7);
  const auto start = Clock::now();
  const auto period = std::chrono::duration<double>(1.0 / rate);
  auto next = start;
  std::uint64_t n = 0;
  char buf[65536];
  for (;;) {
    const auto now = Clock::now();
    const bool writing = now - start < std::chrono::duration<double>(secs);
    // Every line that is due is written (a writer of 2,000 lines/s writes about two per wake-up),
    // each timed from its own write.
    while (writing && now >= next) {
      // Jittered, so the writes do not lock onto the poll period.
      next += std::chrono::duration_cast<Clock::duration>(period * (0.5 + (rng() % 1000) / 1000.0));
      const std::string l = "latency-probe " + std::to_string(++n) + "\n";
      sent[n] = Clock::now();
      if (::write(out, l.data(), l.size()) != static_cast<ssize_t>(l.size())) return 1;
    }
    for (ssize_t r; (r = ::read(in, buf, sizeof buf)) > 0;)
      pending.append(buf, static_cast<size_t>(r));
    const auto arrived = Clock::now();
    std::size_t used = 0;
    for (std::size_t nl; (nl = pending.find('\n', used)) != std::string::npos; used = nl + 1) {
      const std::string_view l(pending.data() + used, nl - used);
      if (l.rfind("latency-probe ", 0) != 0) continue;
      const auto it = sent.find(std::strtoull(pending.c_str() + used + 14, nullptr, 10));
      if (it == sent.end()) continue;
      ms.push_back(std::chrono::duration<double, std::milli>(arrived - it->second).count());
      if (dump)
        std::fprintf(dump, "%.1f %.1f\n",
                     std::chrono::duration<double, std::milli>(it->second - start).count(),
                     ms.back());
      sent.erase(it);
    }
    pending.erase(0, used);
    if (!writing && sent.empty()) break;
    if (!writing && now - start > std::chrono::duration<double>(secs + 30)) {
      std::fprintf(stderr, "latency: %zu lines never arrived\n", sent.size());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (dump) std::fclose(dump);
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  std::printf("n=%zu p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n", ms.size(), pct(0.50), pct(0.99),
              ms.back());
  return 0;
}

// utime + stime of a process, in seconds.
double cpu_of(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  const auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> f;
  std::size_t at = close + 2;
  while (at < s.size()) {
    const auto sp = s.find(' ', at);
    f.push_back(s.substr(at, sp - at));
    if (sp == std::string::npos) break;
    at = sp + 1;
  }
  if (f.size() < 13) return 0;  // fields 14, 15 of stat: utime, stime (f[11], f[12])
  return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

long hwm_kib(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/status");
  for (std::string l; std::getline(in, l);)
    if (l.rfind("VmHWM:", 0) == 0) return std::strtol(l.c_str() + 6, nullptr, 10);
  return -1;
}

int cpu(double secs, const std::vector<std::string>& pids) {
  double before = 0, after = 0;
  for (const auto& p : pids) before += cpu_of(p);
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  for (const auto& p : pids) after += cpu_of(p);
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("cpu_pct=%.3f hwm_kib=%ld\n", 100.0 * (after - before) / wall, hwm_kib(pids[0]));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string cmd = argv[1];
  if (cmd == "gen" && argc == 4) return gen(argv[2], std::atol(argv[3]));
  if (cmd == "wait-tail" && argc == 5) return wait_tail(argv[2], argv[3], std::atof(argv[4]));
  if (cmd == "latency" && argc == 6)
    return latency(argv[2], argv[3], std::atof(argv[4]), std::atof(argv[5]));
  if (cmd == "cpu" && argc >= 4) return cpu(std::atof(argv[2]), {argv + 3, argv + argc});
  return usage();
}
