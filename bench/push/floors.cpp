// The costs that logship-push's promises impose, each measured alone so that bench/push/run
// can print logship-push's CPU next to them: libssh's send path, vault format v1's per-line
// hashing, and a durable intake (every byte read from the FIFO is on the local disk before it
// may be sent):
//
//   libssh-send PORT KEY KNOWN_HOSTS DATA [--chunk B] [--cipher C]
//                                 sends DATA into one exec channel on 127.0.0.1:PORT with
//                                 blocking ssh_channel_write calls of B bytes (default 256 KiB,
//                                 logship-push's slice), waits for the remote exit status and
//                                 reports the CPU of the transfer alone (after authentication).
//   hash-lines DATA               SHA-256 of every line (without its LF), and the 32 bytes of
//                                 each digest into a running SHA-256, as the format's batch
//                                 digest needs (docs/FORMAT.md §4); reports the CPU. Lines are
//                                 hashed two at a time with logship's crypto::sha256_x2 (the
//                                 fastest per-line SHA-256 the project has, and the one piece of
//                                 logship this tool links), the digests of 4,096 lines fed to
//                                 the running hash at once. The lines are found before the
//                                 clock starts: this is the hashing alone.
//   intake FIFO OUT [--pipe-size B] [--landing FILE]
//                                 the least a durable spool does: reads FIFO (its capacity
//                                 raised to B first) in 1 MiB reads until EOF, writes every
//                                 read to OUT as it came, fdatasyncs OUT once a second and at
//                                 the end, then removes it (a delivered spool segment goes);
//                                 no record framing and no checksum. With --landing, as the
//                                 promise that a kill loses nothing taken from the FIFO needs:
//                                 each read is a splice(2) into FILE, read back with pread(2),
//                                 FILE truncated whenever it holds 1 MiB (logship-push's
//                                 landing, without its headers). Reports the CPU from the first
//                                 byte read.
#include "floors.hpp"

#include "crypto/sha256.hpp"
#include "lib/tool.hpp"

#define OPENSSL_SUPPRESS_DEPRECATED  // the block API: what logship's crypto::Sha256 uses
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <openssl/sha.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace {

using logship::bench::die;
using logship::bench::to_number;

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double wall_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Mapping {
  const char* data = nullptr;
  std::size_t size = 0;
  explicit Mapping(const char* path) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) die(std::string(path) + ": " + std::strerror(errno));
    size = static_cast<std::size_t>(st.st_size);
    void* p = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : nullptr;
    ::close(fd);
    if (p == MAP_FAILED) die(std::string("mmap ") + path + ": " + std::strerror(errno));
    data = static_cast<const char*>(p);
  }
  ~Mapping() {
    if (data) ::munmap(const_cast<char*>(data), size);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
};

struct ExitStatus {
  int status = -1;
};

void on_exit_status(ssh_session, ssh_channel, int status, void* user) {
  static_cast<ExitStatus*>(user)->status = status;
}

}  // namespace

int cmd_libssh_send(int argc, char** argv) {
  if (argc < 4) die("usage: libssh-send PORT KEY KNOWN_HOSTS DATA [--chunk B] [--cipher C]");
  std::size_t chunk = 256 << 10;
  std::string cipher;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string o = argv[i];
    if (o == "--chunk")
      chunk = to_number<std::size_t>(argv[i + 1], "--chunk");
    else if (o == "--cipher")
      cipher = argv[i + 1];
    else
      die("unknown option " + o);
  }
  if (chunk == 0) die("bad --chunk");
  const Mapping data(argv[3]);
  ssh_session s = ssh_new();
  if (!s) die("ssh_new failed");
  const int one = 1;
  unsigned int port = to_number<unsigned int>(argv[0], "PORT");
  ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, argv[2]);
  ssh_options_set(s, SSH_OPTIONS_NODELAY, &one);  // as logship does (LIBSSH-NOTES trap 1)
  if (!cipher.empty() && (ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, cipher.c_str()) != 0 ||
                          ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, cipher.c_str()) != 0))
    die("unknown cipher " + cipher);
  if (ssh_connect(s) != SSH_OK) die(std::string("connect: ") + ssh_get_error(s));
  if (ssh_session_is_known_server(s) != SSH_KNOWN_HOSTS_OK) die("host key not in KNOWN_HOSTS");
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(argv[1], nullptr, nullptr, nullptr, &key) != SSH_OK)
    die(std::string("cannot load ") + argv[1]);
  if (ssh_userauth_publickey(s, nullptr, key) != SSH_AUTH_SUCCESS) die("key refused");
  ssh_key_free(key);
  ssh_channel c = ssh_channel_new(s);
  ExitStatus exit_status;
  ssh_channel_callbacks_struct cb{};
  cb.userdata = &exit_status;
  cb.channel_exit_status_function = on_exit_status;
  ssh_callbacks_init(&cb);
  ssh_set_channel_callbacks(c, &cb);
  if (!c || ssh_channel_open_session(c) != SSH_OK || ssh_channel_request_exec(c, "x") != SSH_OK)
    die(std::string("exec channel: ") + ssh_get_error(s));

  const double c0 = cpu_seconds(), t0 = wall_seconds();
  for (std::size_t off = 0; off < data.size;) {
    const std::size_t n = std::min(chunk, data.size - off);
    const int w = ssh_channel_write(c, data.data + off, static_cast<std::uint32_t>(n));
    if (w <= 0) die(std::string("write: ") + ssh_get_error(s));
    off += static_cast<std::size_t>(w);
  }
  if (ssh_channel_send_eof(c) != SSH_OK) die(std::string("eof: ") + ssh_get_error(s));
  ssh_event ev = ssh_event_new();  // the exit status arrives through the callback
  if (!ev || ssh_event_add_session(ev, s) != SSH_OK) die("ssh_event failed");
  for (int waited_s = 0; exit_status.status < 0; ++waited_s) {
    if (ssh_event_dopoll(ev, 1000) == SSH_ERROR) die(std::string("poll: ") + ssh_get_error(s));
    if (waited_s > 120) die("no exit status after 120 s");
  }
  ssh_event_remove_session(ev, s);
  ssh_event_free(ev);
  const double t1 = wall_seconds(), c1 = cpu_seconds();
  if (exit_status.status != 0)
    die("the remote command exited " + std::to_string(exit_status.status));
  ssh_channel_free(c);
  ssh_disconnect(s);
  ssh_free(s);
  std::printf("wall_s=%.4f cpu_s=%.3f bytes=%zu\n", t1 - t0, c1 - c0, data.size);
  return 0;
}

int cmd_hash_lines(int argc, char** argv) {
  if (argc != 1) die("usage: hash-lines DATA");
  const Mapping data(argv[0]);
  std::vector<std::string_view> lines;  // split first: the clock runs for the hashing alone
  for (const char *p = data.data, *end = data.data + data.size; p < end;) {
    const char* nl =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* stop = nl ? nl : end;
    lines.emplace_back(p, static_cast<std::size_t>(stop - p));
    p = nl ? nl + 1 : end;
  }
  std::vector<logship::crypto::Digest> hashes(4096);
  const double c0 = cpu_seconds();
  SHA256_CTX batch;
  SHA256_Init(&batch);
  for (std::size_t first = 0; first < lines.size(); first += hashes.size()) {
    // about 600 KiB of lines at a time (logship-push: a 256 KiB slice)
    const std::size_t n = std::min(hashes.size(), lines.size() - first);
    std::size_t i = 0;
    for (; i + 1 < n; i += 2)
      logship::crypto::sha256_x2(lines[first + i], lines[first + i + 1], hashes[i], hashes[i + 1]);
    if (i < n) hashes[i] = logship::crypto::sha256(lines[first + i]);
    SHA256_Update(&batch, hashes.data(), n * sizeof(logship::crypto::Digest));
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &batch);
  const double c1 = cpu_seconds();
  std::printf("cpu_s=%.3f lines=%zu bytes=%zu digest0=%02x\n", c1 - c0, lines.size(), data.size,
              digest[0]);
  return 0;
}

int cmd_intake(int argc, char** argv) {
  if (argc % 2 != 0 || argc < 2) die("usage: intake FIFO OUT [--pipe-size B] [--landing FILE]");
  int pipe_size = 0;
  const char* landing_path = nullptr;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--pipe-size")
      pipe_size = to_number<int>(argv[i + 1], "--pipe-size");
    else if (std::string(argv[i]) == "--landing")
      landing_path = argv[i + 1];
    else
      die(std::string("unknown option ") + argv[i]);
  }
  const int in = ::open(argv[0], O_RDONLY | O_CLOEXEC);
  if (in < 0) die(std::string(argv[0]) + ": " + std::strerror(errno));
  if (pipe_size && ::fcntl(in, F_SETPIPE_SZ, pipe_size) < 0)
    die(std::string("F_SETPIPE_SZ: ") + std::strerror(errno));
  const int out = ::open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) die(std::string(argv[1]) + ": " + std::strerror(errno));
  int landing = -1;
  if (landing_path) {
    landing = ::open(landing_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (landing < 0) die(std::string(landing_path) + ": " + std::strerror(errno));
  }
  std::vector<char> buf(1u << 20);
  loff_t landed = 0;
  // One read: from the pipe, or through the landing file.
  const auto take = [&]() -> ssize_t {
    if (landing < 0) return ::read(in, buf.data(), buf.size());
    if (landed >= static_cast<loff_t>(buf.size())) {
      if (::ftruncate(landing, 0) != 0) die(std::string("ftruncate: ") + std::strerror(errno));
      landed = 0;
    }
    loff_t at = landed;
    const ssize_t n = ::splice(in, nullptr, landing, &at, buf.size() - landed, SPLICE_F_MOVE);
    if (n <= 0) return n;
    const ssize_t got = ::pread(landing, buf.data(), static_cast<std::size_t>(n), landed);
    if (got != n) die("pread of the landing came back short");
    landed = at;
    return n;
  };
  double c0 = -1, t0 = 0, synced = 0;
  std::size_t total = 0;
  for (;;) {
    const ssize_t n = take();
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die(std::string("read: ") + std::strerror(errno));
    if (n == 0) break;
    if (c0 < 0) c0 = cpu_seconds(), t0 = synced = wall_seconds();
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out, buf.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) die(std::string("write: ") + std::strerror(errno));
      done += w;
    }
    total += static_cast<std::size_t>(n);
    if (const double now = wall_seconds(); now - synced >= 1.0) {
      if (::fdatasync(out) != 0) die(std::string("fdatasync: ") + std::strerror(errno));
      synced = now;
    }
  }
  if (::fdatasync(out) != 0) die(std::string("fdatasync: ") + std::strerror(errno));
  ::close(out);
  if (::unlink(argv[1]) != 0) die(std::string("unlink: ") + std::strerror(errno));
  if (landing >= 0 && (::close(landing) != 0 || ::unlink(landing_path) != 0))
    die(std::string("landing: ") + std::strerror(errno));
  const double t1 = wall_seconds(), c1 = cpu_seconds();
  if (c0 < 0) c0 = c1, t0 = t1;
  std::printf("wall_s=%.4f cpu_s=%.3f bytes=%zu\n", t1 - t0, c1 - c0, total);
  return 0;
}
