// logship-bench-fanin: the measuring tools of bench/fanin/run (no logship code linked, so the
// measurements do not depend on what they measure). Times are CLOCK_REALTIME nanoseconds, so
// that a line's send time written by one process can be compared with its arrival seen by
// another.
//
//   feed LIST RATE SECONDS START_NS OUT
//        one writer for every FIFO named in LIST (one path a line; agent i is line i). From
//        START_NS on, each FIFO gets RATE lines/s for SECONDS, the writes of all FIFOs spread
//        evenly over time (agent i's k-th line is due at START + (k + i/N) / RATE). A line is
//        syslog-like, 120-170 bytes, and carries "fanin a=I s=K t=NS" (agent, per-agent sequence
//        number from 0, CLOCK_REALTIME of the write). Non-blocking writes; a line that meets
//        EAGAIN is kept and written again at the next tick (counted: the agent did not drain its
//        FIFO). OUT gets "I SENT EAGAIN" per agent; stdout "lines= eagain= late_max_ms=".
//   watch LIST LINES BATCHES
//        follows the vault files named in LIST ("I PATH" a line; inotify, and every file's size
//        checked every 10 ms as well) until SIGTERM, then writes LINES ("a s t_sent t_arrive
//        t_sealed" for every payload line seen, first copy; t_sealed 0 when no end line sealed
//        it) and BATCHES ("a seq t_begin t_end bytes lines", one per begin line seen, resends
//        included; t_end 0 for a copy still open at the stop, -1 for a torn copy).
//   sample OUT (--cgroup DIR | --tree PID) --agents PIDFILE [--sshd-log FILE]
//        until SIGTERM, every second: "t_ns vault_cpu_us procs_mean procs_max agents_cpu_us
//        rss_sum_kib rss_max_kib hwm_max_kib agents_alive sessions refused" (the vault processes
//        counted every 100 ms; sessions and refused: sshd log lines so far). --cgroup: a cgroup v2
//        directory (cpu.stat usage_usec, cgroup.procs); --tree: the sshd master and its live
//        descendants from /proc (utime+stime+cutime+cstime: what they reaped is included).
//   stats LINES BATCHES SAMPLES WIN_START_NS WIN_END_NS AGENTS_START_NS N
//        key=value figures over the window (see bench/fanin/run).
//   check AGENT SENT
//        reads `logship-verify --extract` on stdin; prints "once= lost= dup= disorder= foreign="
//        for sequence numbers 0..SENT-1 of agent AGENT.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "lib/tool.hpp"

namespace {

using i64 = std::int64_t;

i64 now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return i64{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void sleep_until(i64 t) {
  timespec ts{};
  ts.tv_sec = t / 1000000000;
  ts.tv_nsec = t % 1000000000;
  while (::clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

using logship::bench::die;
using logship::bench::die_errno;
using logship::bench::to_number;

volatile sig_atomic_t g_stop = 0;
void on_stop(int) {
  g_stop = 1;
}
void catch_stop() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

// The value of " KEY=<digits>" in a line (KEY given with its '='), or -1.
i64 field(std::string_view line, std::string_view key) {
  for (std::size_t at = 0; (at = line.find(key, at)) != std::string_view::npos; ++at) {
    if (at != 0 && line[at - 1] != ' ') continue;
    i64 v = 0;
    std::size_t i = at + key.size();
    if (i >= line.size() || line[i] < '0' || line[i] > '9') continue;
    for (; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) v = v * 10 + (line[i] - '0');
    return v;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
int cmd_feed(int argc, char** argv) {
  if (argc != 7) die("usage: feed LIST RATE SECONDS START_NS OUT");
  const auto fifos = read_lines(argv[2]);
  const double rate = to_number<double>(argv[3], "RATE");
  const double secs = to_number<double>(argv[4], "SECONDS");
  const i64 start = to_number<i64>(argv[5], "START_NS");
  const std::string out_path = argv[6];
  const std::size_t n = fifos.size();
  if (n == 0 || rate <= 0 || secs <= 0) die("feed: nothing to do");
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<int> fds(n, -1);
  const i64 open_deadline = now_ns() + i64{30} * 1000000000;
  for (std::size_t i = 0; i < n; ++i) {
    while ((fds[i] = ::open(fifos[i].c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
      if (errno != ENXIO || now_ns() > open_deadline) die_errno("open " + fifos[i]);
      ::usleep(10000);  // no reader yet: the agent has not opened its FIFO
    }
  }
  const i64 per_agent = static_cast<i64>(std::llround(rate * secs));
  const i64 total = per_agent * static_cast<i64>(n);
  const double step_ns = 1e9 / (rate * static_cast<double>(n));
  std::vector<i64> sent(n, 0), eagain(n, 0);
  std::vector<std::string> held(n);  // a line that met EAGAIN, written again first
  i64 late_max = 0, lines = 0, eagain_all = 0;
  static const char* const kUsers[] = {"root", "alice", "bob", "deploy", "backup", "www-data"};
  auto write_line = [&](std::size_t a) {
    std::string& line = held[a];
    if (line.empty()) {
      const i64 t = now_ns();
      const time_t secs_t = static_cast<time_t>(t / 1000000000);
      tm utc{};
      ::gmtime_r(&secs_t, &utc);
      char stamp[40];
      std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
      const i64 k = sent[a];
      char buf[320];
      const int len = std::snprintf(
          buf, sizeof buf,
          "%s.%06" PRId64 "+00:00 host%03zu sshd[%" PRId64 "]: fanin a=%zu s=%" PRId64 " t=%" PRId64
          " pam_unix(sshd:session): session opened for user %s(uid=%" PRId64 ") by (uid=0)%.*s\n",
          stamp, (t / 1000) % 1000000, a, 1000 + (k * 7919) % 60000, a, k, t, kUsers[k % 6],
          1000 + k % 500, static_cast<int>(k % 40), "                                        ");
      line.assign(buf, static_cast<std::size_t>(len));
    }
    const ssize_t w = ::write(fds[a], line.data(), line.size());
    if (w == static_cast<ssize_t>(line.size())) {
      line.clear();
      ++sent[a];
      ++lines;
      return;
    }
    if (w < 0 && errno == EAGAIN) {
      ++eagain[a];
      ++eagain_all;
      return;
    }
    if (w < 0) die_errno("write " + fifos[a]);
    die("short write into " + fifos[a]);  // lines are below PIPE_BUF: writes are atomic
  };
  for (i64 k = 0; k < total && !g_stop; ++k) {
    const i64 due = start + static_cast<i64>(static_cast<double>(k) * step_ns);
    const i64 now = now_ns();
    if (due > now)
      sleep_until(due);
    else
      late_max = std::max(late_max, now - due);
    const std::size_t a = static_cast<std::size_t>(k % static_cast<i64>(n));
    if (!held[a].empty()) {  // an older line of this agent still waits: it goes first
      write_line(a);
      if (!held[a].empty()) continue;
    }
    write_line(a);
  }
  // lines still held: a few more tries, 10 ms apart
  for (int tries = 0; tries < 500; ++tries) {
    bool any = false;
    for (std::size_t a = 0; a < n; ++a)
      if (!held[a].empty()) {
        write_line(a);
        any = any || !held[a].empty();
      }
    if (!any) break;
    ::usleep(10000);
  }
  std::ofstream out(out_path);
  for (std::size_t a = 0; a < n; ++a) out << a << ' ' << sent[a] << ' ' << eagain[a] << '\n';
  if (!out) die("cannot write " + out_path);
  std::printf("lines=%" PRId64 " eagain=%" PRId64 " late_max_ms=%.1f\n", lines, eagain_all,
              static_cast<double>(late_max) / 1e6);
  return 0;
}

// ---------------------------------------------------------------------------------------------
struct LineRec {
  i64 t_sent = 0, t_arrive = 0, t_sealed = 0;
};
struct BatchRec {
  std::size_t a;
  i64 seq, t_begin, t_end, bytes, lines;
};

struct Followed {
  std::size_t a = 0;
  std::string path;
  int fd = -1;
  i64 offset = 0;    // bytes read
  std::string part;  // an incomplete last line
  bool in_batch = false;
  BatchRec open{};
  i64 begin_off = 0;
  std::vector<i64> pending;  // sequence numbers of the lines of the open batch
};

int cmd_watch(int argc, char** argv) {
  if (argc != 5) die("usage: watch LIST LINES BATCHES");
  catch_stop();
  std::vector<Followed> files;
  for (const auto& l : read_lines(argv[2])) {
    std::istringstream in(l);
    Followed f;
    if (!(in >> f.a >> f.path)) die("bad LIST line: " + l);
    files.push_back(std::move(f));
  }
  const int ino = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ino < 0) die_errno("inotify_init1");
  std::map<int, std::size_t> by_wd;
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto& f = files[i];
    f.fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd < 0) die_errno("open " + f.path);
    const int wd = ::inotify_add_watch(ino, f.path.c_str(), IN_MODIFY);
    if (wd < 0) die_errno("inotify_add_watch " + f.path);
    by_wd[wd] = i;
  }
  std::vector<std::vector<LineRec>> lines(files.size());
  std::vector<BatchRec> batches;

  auto on_line = [&](Followed& f, std::string_view line, i64 end_off, i64 now) {
    if (line.starts_with("@logship begin ")) {
      if (f.in_batch) {  // torn: its lines come again in the resend
        f.open.t_end = -1;
        batches.push_back(f.open);
      }
      f.in_batch = true;
      f.open = BatchRec{f.a, field(line, "seq="), now, 0, 0, 0};
      f.begin_off = end_off - static_cast<i64>(line.size()) - 1;
      f.pending.clear();
      return;
    }
    if (line.starts_with("@logship end ")) {
      if (!f.in_batch) return;
      f.open.t_end = now;
      f.open.bytes = end_off - f.begin_off;
      batches.push_back(f.open);
      for (const i64 s : f.pending) {
        auto& r = lines[f.a][static_cast<std::size_t>(s)];
        if (r.t_sealed == 0) r.t_sealed = now;
      }
      f.pending.clear();
      f.in_batch = false;
      return;
    }
    if (f.in_batch) ++f.open.lines;
    const i64 s = field(line, "s="), t = field(line, "t=");
    if (s < 0 || t <= 0 || field(line, "a=") != static_cast<i64>(f.a)) return;
    auto& v = lines[f.a];
    if (v.size() <= static_cast<std::size_t>(s)) v.resize(static_cast<std::size_t>(s) + 1);
    auto& r = v[static_cast<std::size_t>(s)];
    if (r.t_arrive == 0) r = LineRec{t, now, 0};
    if (f.in_batch) f.pending.push_back(s);
  };
  std::vector<char> buf(1 << 20);
  auto drain = [&](Followed& f) {
    for (;;) {
      const ssize_t r = ::pread(f.fd, buf.data(), buf.size(), f.offset);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) die_errno("read " + f.path);
      if (r == 0) return;
      const i64 now = now_ns();
      const i64 base = f.offset;
      f.offset += r;
      std::string_view data(buf.data(), static_cast<std::size_t>(r));
      std::size_t from = 0;
      for (std::size_t nl; (nl = data.find('\n', from)) != std::string_view::npos; from = nl + 1) {
        const i64 end_off = base + static_cast<i64>(nl) + 1;
        if (!f.part.empty()) {
          f.part.append(data.substr(from, nl - from));
          on_line(f, f.part, end_off, now);
          f.part.clear();
        } else {
          on_line(f, data.substr(from, nl - from), end_off, now);
        }
      }
      f.part.append(data.substr(from));
    }
  };

  std::vector<char> evbuf(64 * 1024);
  i64 next_scan = 0;
  while (!g_stop) {
    pollfd p{ino, POLLIN, 0};
    ::poll(&p, 1, 10);
    for (;;) {
      const ssize_t r = ::read(ino, evbuf.data(), evbuf.size());
      if (r <= 0) break;
      for (ssize_t off = 0; off < r;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(evbuf.data() + off);
        const auto it = by_wd.find(ev->wd);
        if (it != by_wd.end()) drain(files[it->second]);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
    const i64 now = now_ns();
    if (now >= next_scan) {  // the fallback: every file's size every 10 ms
      next_scan = now + 10000000;
      for (auto& f : files) {
        struct stat st {};
        if (::fstat(f.fd, &st) == 0 && st.st_size > f.offset) drain(f);
      }
    }
  }
  for (auto& f : files) {
    drain(f);
    if (f.in_batch) batches.push_back(f.open);  // still open: t_end 0
  }
  std::ofstream lo(argv[3]);
  for (std::size_t a = 0; a < lines.size(); ++a)
    for (std::size_t s = 0; s < lines[a].size(); ++s) {
      const auto& r = lines[a][s];
      if (r.t_arrive)
        lo << a << ' ' << s << ' ' << r.t_sent << ' ' << r.t_arrive << ' ' << r.t_sealed << '\n';
    }
  std::ofstream bo(argv[4]);
  for (const auto& b : batches)
    bo << b.a << ' ' << b.seq << ' ' << b.t_begin << ' ' << b.t_end << ' ' << b.bytes << ' '
       << b.lines << '\n';
  if (!lo || !bo) die("cannot write the watch results");
  return 0;
}

// ---------------------------------------------------------------------------------------------
// utime+stime (+cutime+cstime with children) in ticks and the parent pid, from /proc/PID/stat.
bool proc_stat(long pid, bool children, i64& ticks, long& ppid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  const ssize_t r = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (r <= 0) return false;
  buf[r] = 0;
  const char* p = std::strrchr(buf, ')');
  if (!p) return false;
  std::istringstream in(p + 2);
  std::vector<std::string> f;  // f[0] is field 3 (state)
  for (std::string w; f.size() < 15 && in >> w;) f.push_back(w);
  if (f.size() < 15) return false;
  ppid = std::stol(f[1]);
  ticks = std::stoll(f[11]) + std::stoll(f[12]);
  if (children) ticks += std::stoll(f[13]) + std::stoll(f[14]);
  return true;
}

// The vault's CPU (us) and process count: a cgroup v2 directory, or the process tree of a pid.
struct VaultProbe {
  std::string cgroup;
  long root = 0;

  bool cpu_procs(i64& cpu_us, i64& procs) const {
    if (!cgroup.empty()) {
      std::ifstream st(cgroup + "/cpu.stat");
      std::string k;
      cpu_us = -1;
      for (i64 v; st >> k >> v;)
        if (k == "usage_usec") cpu_us = v;
      procs = count_procs();
      return cpu_us >= 0;
    }
    // the tree: every live process whose ancestry reaches root
    std::map<long, std::pair<long, i64>> all;  // pid -> (ppid, ticks)
    DIR* d = ::opendir("/proc");
    if (!d) return false;
    while (const dirent* e = ::readdir(d)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (!end || *end || pid <= 0) continue;
      i64 t = 0;
      long pp = 0;
      if (proc_stat(pid, true, t, pp)) all[pid] = {pp, t};
    }
    ::closedir(d);
    std::set<long> in{root};
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [pid, v] : all)
        if (!in.count(pid) && in.count(v.first)) grew = in.insert(pid).second || grew;
    }
    i64 ticks = 0;
    procs = 0;
    for (const long pid : in)
      if (all.count(pid)) {
        ticks += all[pid].second;
        ++procs;
      }
    cpu_us = ticks * 1000000 / ::sysconf(_SC_CLK_TCK);
    return procs > 0;
  }
  i64 count_procs() const {
    if (cgroup.empty()) {
      i64 cpu = 0, procs = 0;
      cpu_procs(cpu, procs);
      return procs;
    }
    std::ifstream in(cgroup + "/cgroup.procs");
    i64 n = 0;
    for (std::string l; std::getline(in, l);) n += !l.empty();
    return n;
  }
};

i64 status_kib(long pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string l; std::getline(in, l);)
    if (l.starts_with(key)) return std::atoll(l.c_str() + std::strlen(key));
  return -1;
}

int cmd_sample(int argc, char** argv) {
  if (argc < 3)
    die("usage: sample OUT (--cgroup DIR | --tree PID) --agents PIDFILE [--sshd-log F]");
  catch_stop();
  VaultProbe vault;
  std::string agents_file, sshd_log;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) die("sample: " + a + " needs a value");
    if (a == "--cgroup")
      vault.cgroup = argv[++i];
    else if (a == "--tree")
      vault.root = static_cast<long>(to_number<i64>(argv[++i], "PID"));
    else if (a == "--agents")
      agents_file = argv[++i];
    else if (a == "--sshd-log")
      sshd_log = argv[++i];
    else
      die("sample: unknown option " + a);
  }
  std::vector<long> agents;
  std::FILE* out = std::fopen(argv[2], "w");
  if (!out) die_errno(std::string("open ") + argv[2]);
  const i64 tck = ::sysconf(_SC_CLK_TCK);
  std::ifstream log;
  i64 sessions = 0, refused = 0;
  std::string log_part;
  i64 next = now_ns();
  i64 procs_sum = 0, procs_max = 0, procs_n = 0;  // since the last row
  while (!g_stop) {
    {  // the agents' pids, once the run has written them
      std::ifstream in(agents_file);
      std::vector<long> now_known;
      for (std::string l; std::getline(in, l);)
        if (!l.empty()) now_known.push_back(std::atol(l.c_str()));
      if (now_known.size() > agents.size()) agents = now_known;
    }
    i64 vcpu = 0, vprocs = 0;
    if (!vault.cpu_procs(vcpu, vprocs)) vcpu = -1;
    if (vault.cgroup.empty())
      procs_sum = procs_max = vprocs, procs_n = 1;  // the tree: once a second
    i64 acpu = 0, rss_sum = 0, rss_max = 0, hwm_max = 0, alive = 0;
    for (const long pid : agents) {
      i64 t = 0;
      long pp = 0;
      if (!proc_stat(pid, false, t, pp)) continue;
      ++alive;
      acpu += t * 1000000 / tck;
      const i64 rss = status_kib(pid, "VmRSS:"), hwm = status_kib(pid, "VmHWM:");
      rss_sum += std::max<i64>(rss, 0);
      rss_max = std::max(rss_max, rss);
      hwm_max = std::max(hwm_max, hwm);
    }
    if (!sshd_log.empty()) {  // count the sshd log's lines so far
      if (!log.is_open()) log.open(sshd_log);
      log.clear();
      for (std::string l; std::getline(log, l);) {
        if (log.eof()) {  // no newline yet: keep it for the next round
          log_part += l;
          break;
        }
        l = log_part + l;
        log_part.clear();
        if (l.find("Starting session:") != std::string::npos) ++sessions;
        if (l.find("drop connection #") != std::string::npos ||
            l.find("exceeded MaxStartups") != std::string::npos)
          ++refused;
      }
    }
    std::fprintf(out,
                 "%" PRId64 " %" PRId64 " %.2f %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64
                 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n",
                 now_ns(), vcpu,
                 procs_n ? static_cast<double>(procs_sum) / static_cast<double>(procs_n) : 0.0,
                 procs_max, acpu, rss_sum, rss_max, hwm_max, alive, sessions, refused);
    std::fflush(out);
    // a cgroup's process count every 100 ms
    procs_sum = procs_max = procs_n = 0;
    for (int k = 0; k < 10 && !g_stop; ++k) {
      next += 100000000;
      if (!vault.cgroup.empty()) {
        const i64 p = vault.count_procs();
        procs_sum += p;
        procs_max = std::max(procs_max, p);
        ++procs_n;
      }
      sleep_until(next);
    }
  }
  std::fclose(out);
  return 0;
}

// ---------------------------------------------------------------------------------------------
double pct(std::vector<double>& v, double p) {  // nearest rank; v is sorted here
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  std::size_t r = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(r, 1, v.size()) - 1];
}

int cmd_stats(int argc, char** argv) {
  if (argc != 9) die("usage: stats LINES BATCHES SAMPLES WIN_START WIN_END AGENTS_START N");
  const i64 ws = to_number<i64>(argv[5], "WIN_START"), we = to_number<i64>(argv[6], "WIN_END");
  const i64 t_agents = to_number<i64>(argv[7], "AGENTS_START");
  const std::size_t n = static_cast<std::size_t>(to_number<i64>(argv[8], "N"));
  const double win_s = static_cast<double>(we - ws) / 1e9;
  // lines: latency and sealed lag of those written in the window; first arrival per agent
  std::vector<double> lat_ms, sealed_s;
  std::vector<i64> first(n, 0);
  i64 unsealed = 0;
  {
    std::ifstream in(argv[2]);
    std::size_t a, s;
    i64 ts, tar, tse;
    while (in >> a >> s >> ts >> tar >> tse) {
      if (a < n && (first[a] == 0 || tar < first[a])) first[a] = tar;
      if (ts < ws || ts >= we) continue;
      lat_ms.push_back(static_cast<double>(tar - ts) / 1e6);
      if (tse)
        sealed_s.push_back(static_cast<double>(tse - ts) / 1e9);
      else
        ++unsealed;
    }
  }
  // batches begun in the window: channels; the longest unsealed tails
  i64 channels = 0, torn = 0, still_open = 0, tail_bytes_max = 0;
  double tail_s_max = 0;
  std::vector<double> tails;
  {
    std::ifstream in(argv[3]);
    std::size_t a;
    i64 seq, tb, te, bytes, nl;
    while (in >> a >> seq >> tb >> te >> bytes >> nl) {
      if (tb < ws || tb >= we) continue;
      ++channels;
      if (te < 0) ++torn;
      if (te == 0) ++still_open;
      if (te <= 0) continue;
      const double s = static_cast<double>(te - tb) / 1e9;
      tails.push_back(s);
      tail_s_max = std::max(tail_s_max, s);
      tail_bytes_max = std::max(tail_bytes_max, bytes);
    }
  }
  // samples: the first at or after the window's start, the last at or before its end
  struct Sample {
    i64 t, vcpu;
    double procs_mean;
    i64 procs_max, acpu, rss_sum, rss_max, hwm_max, alive, sessions, refused;
  };
  std::vector<Sample> all;
  {
    std::ifstream in(argv[4]);
    Sample x{};
    while (in >> x.t >> x.vcpu >> x.procs_mean >> x.procs_max >> x.acpu >> x.rss_sum >> x.rss_max >>
           x.hwm_max >> x.alive >> x.sessions >> x.refused)
      all.push_back(x);
  }
  const Sample* s0 = nullptr;
  const Sample* s1 = nullptr;
  double procs_sum = 0, rss_mean_sum = 0;
  i64 procs_max = 0, rss_max = 0, hwm_max = 0, nsamp = 0;
  for (const auto& x : all) {
    if (x.t < ws || x.t > we) continue;
    if (!s0) s0 = &x;
    s1 = &x;
    if (&x != s0) {  // the first sample's figures describe the second before the window
      procs_sum += x.procs_mean;
      procs_max = std::max(procs_max, x.procs_max);
      rss_mean_sum += x.alive ? static_cast<double>(x.rss_sum) / static_cast<double>(x.alive) : 0;
      rss_max = std::max(rss_max, x.rss_max);
      ++nsamp;
    }
    hwm_max = std::max(hwm_max, x.hwm_max);
  }
  for (const auto& x : all) hwm_max = std::max(hwm_max, x.hwm_max);
  i64 refused = all.empty() ? 0 : all.back().refused;
  i64 sessions_total = all.empty() ? 0 : all.back().sessions;
  // the start-up storm: from the agents' start to the window
  i64 storm_cpu = -1;
  for (const auto& x : all)
    if (x.t <= ws) storm_cpu = x.vcpu;
  const double storm_s = all.empty() ? 0 : static_cast<double>(ws - all.front().t) / 1e9;
  if (storm_cpu >= 0 && !all.empty()) storm_cpu -= all.front().vcpu;
  i64 all_first = 0;
  std::size_t with_first = 0;
  for (const i64 t : first)
    if (t) {
      ++with_first;
      all_first = std::max(all_first, t);
    }
  auto f = [](double v, int d = 1) {
    if (std::isnan(v)) return std::string("-");
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", d, v);
    return std::string(b);
  };
  std::printf("window_s=%s lines=%zu unsealed_lines=%" PRId64 "\n", f(win_s).c_str(), lat_ms.size(),
              unsealed);
  std::printf("lat_p50_ms=%s lat_p99_ms=%s lat_max_ms=%s\n", f(pct(lat_ms, 50), 2).c_str(),
              f(pct(lat_ms, 99), 2).c_str(), f(pct(lat_ms, 100), 2).c_str());
  std::printf("sealed_p50_s=%s sealed_p99_s=%s sealed_max_s=%s\n", f(pct(sealed_s, 50), 3).c_str(),
              f(pct(sealed_s, 99), 3).c_str(), f(pct(sealed_s, 100), 3).c_str());
  std::printf("channels=%" PRId64 " channels_per_s=%s torn=%" PRId64 " open_at_stop=%" PRId64
              " tail_p99_s=%s tail_max_s=%s tail_max_bytes=%" PRId64 "\n",
              channels, f(static_cast<double>(channels) / win_s, 1).c_str(), torn, still_open,
              f(pct(tails, 99), 3).c_str(), f(tail_s_max, 3).c_str(), tail_bytes_max);
  if (s0 && s1 && s1 != s0) {
    const double span_s = static_cast<double>(s1->t - s0->t) / 1e9;
    std::printf("sampled_s=%s vault_cpu_pct=%s agents_cpu_pct=%s\n", f(span_s).c_str(),
                f(static_cast<double>(s1->vcpu - s0->vcpu) / 1e4 / span_s).c_str(),
                f(static_cast<double>(s1->acpu - s0->acpu) / 1e4 / span_s).c_str());
    std::printf("sessions_in_window=%" PRId64 " sessions_per_s=%s\n", s1->sessions - s0->sessions,
                f(static_cast<double>(s1->sessions - s0->sessions) / span_s).c_str());
  } else {
    std::printf("sampled_s=0 vault_cpu_pct=- agents_cpu_pct=-\n");
  }
  std::printf("procs_mean=%s procs_max=%" PRId64 " rss_mean_mib=%s rss_max_mib=%s hwm_max_mib=%s\n",
              f(nsamp ? procs_sum / static_cast<double>(nsamp) : std::nan("")).c_str(), procs_max,
              f(nsamp ? rss_mean_sum / static_cast<double>(nsamp) / 1024 : std::nan("")).c_str(),
              f(static_cast<double>(rss_max) / 1024).c_str(),
              f(static_cast<double>(hwm_max) / 1024).c_str());
  std::printf(
      "refused=%" PRId64 " sessions_total=%" PRId64
      " first_lines=%zu all_first_s=%s "
      "startup_s=%s startup_vault_cpu_s=%s\n",
      refused, sessions_total, with_first,
      f(with_first ? static_cast<double>(all_first - t_agents) / 1e9 : std::nan(""), 2).c_str(),
      f(storm_s).c_str(),
      f(storm_cpu >= 0 ? static_cast<double>(storm_cpu) / 1e6 : std::nan(""), 2).c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------
int cmd_check(int argc, char** argv) {
  if (argc != 4) die("usage: check AGENT SENT");
  const i64 agent = to_number<i64>(argv[2], "AGENT"), sent = to_number<i64>(argv[3], "SENT");
  std::vector<int> seen(static_cast<std::size_t>(sent), 0);
  i64 disorder = 0, foreign = 0, last = -1;
  for (std::string l; std::getline(std::cin, l);) {
    const i64 a = field(l, "a="), s = field(l, "s=");
    if (a != agent || s < 0 || s >= sent || l.find(" fanin ") == std::string::npos) {
      ++foreign;
      continue;
    }
    if (s <= last) ++disorder;
    last = s;
    ++seen[static_cast<std::size_t>(s)];
  }
  i64 once = 0, lost = 0, dup = 0;
  for (const int c : seen) {
    once += c == 1;
    lost += c == 0;
    dup += c > 1 ? c - 1 : 0;
  }
  std::printf("once=%" PRId64 " lost=%" PRId64 " dup=%" PRId64 " disorder=%" PRId64
              " foreign=%" PRId64 "\n",
              once, lost, dup, disorder, foreign);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  logship::bench::tool = {"logship-bench-fanin", 2};
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "feed") return cmd_feed(argc, argv);
  if (cmd == "watch") return cmd_watch(argc, argv);
  if (cmd == "sample") return cmd_sample(argc, argv);
  if (cmd == "stats") return cmd_stats(argc, argv);
  if (cmd == "check") return cmd_check(argc, argv);
  std::fprintf(stderr, "usage: logship-bench-fanin feed|watch|sample|stats|check ... (see %s)\n",
               __FILE__);
  return 2;
}
