// The costs that logship-push's promises impose, each measured alone so that bench/push/run
// can print logship-push's CPU next to them: libssh's send path, vault format v1's per-line
// hashing, and a durable intake (every byte read from the FIFO is in a file before it may be
// sent, and on the disk within a second):
//
//   libssh-send PORT KEY KNOWN_HOSTS DATA [--chunk B] [--cipher C]
//                                 sends DATA into one exec channel on 127.0.0.1:PORT (cipher C,
//                                 else the order logship's agents offer) with blocking
//                                 ssh_channel_write calls of B bytes (default 256 KiB,
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
//   intake FIFO OUT [--pipe-size B] [--landing FILE] [--format raw|records]
//                                 the least a durable spool does: reads FIFO (its capacity
//                                 raised to B first) in 1 MiB reads until EOF, writes every
//                                 read to OUT as it came, fdatasyncs OUT once a second and at
//                                 the end, then removes it (a delivered spool segment goes);
//                                 no record framing and no checksum. With --landing, as the
//                                 promise that a kill loses nothing taken from the FIFO needs:
//                                 each read is a splice(2) into FILE, read back with pread(2),
//                                 FILE truncated whenever it holds 1 MiB (logship-push's
//                                 landing, without its headers). With --format records, the
//                                 whole lines of each read are written as spool records
//                                 (logship's spool::append_record and seal_records: an id, a
//                                 length and a CRC-32C before each line, what lets the spool
//                                 find a torn or damaged record and resume at a line), 256 KiB
//                                 per write(2) as the spool writes them, instead of as they
//                                 came.
//                                 Reports the CPU from the first byte read.
//   pipeline FIFO OUT PORT KEY KNOWN_HOSTS LANDING [--pipe-size B] [--format raw|records]
//                                 the three as one process, as logship-push runs them: the
//                                 intake above (with the landing) on one thread; on another,
//                                 what it wrote read back from OUT 256 KiB at a time, its whole
//                                 lines hashed as hash-lines does, and sent as libssh-send does,
//                                 into one exec channel (connected before the clock starts).
//                                 With --format records the intake writes spool records as
//                                 above, and the sender decodes the whole records of each read
//                                 (as logship-push reads its own, without checking their CRC
//                                 again), hashes their lines and copies each line and its LF
//                                 into the buffer it sends: the spool's framing both ways.
//                                 Reports wall time and CPU from the first byte read to the
//                                 remote exit status: the throughput the promises allow here.
#include "floors.hpp"

#include "crypto/sha256.hpp"
#include "lib/tool.hpp"
#include "spool/segment.hpp"
#include "ssh/options.hpp"
#include "util/files.hpp"

#define OPENSSL_SUPPRESS_DEPRECATED  // the block API: what logship's crypto::Sha256 uses
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <openssl/sha.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
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

// One exec channel on 127.0.0.1:PORT, authenticated with KEY, as logship-push opens it.
class ExecChannel {
 public:
  ExecChannel(const char* port_arg, const char* key_file, const char* known_hosts,
              const std::string& cipher) {
    s_ = ssh_new();
    if (!s_) die("ssh_new failed");
    const int one = 1;
    unsigned int port = to_number<unsigned int>(port_arg, "PORT");
    ssh_options_set(s_, SSH_OPTIONS_HOST, "127.0.0.1");
    ssh_options_set(s_, SSH_OPTIONS_PORT, &port);
    ssh_options_set(s_, SSH_OPTIONS_KNOWNHOSTS, known_hosts);
    ssh_options_set(s_, SSH_OPTIONS_NODELAY, &one);  // as logship does (LIBSSH-NOTES trap 1)
    // Without --cipher, the order logship's agents offer (AES-GCM first on a CPU with AES-NI).
    const std::string order =
        cipher.empty() ? logship::ssh::default_ciphers(logship::ssh::has_hardware_aes()) : cipher;
    if (!order.empty() && (ssh_options_set(s_, SSH_OPTIONS_CIPHERS_C_S, order.c_str()) != 0 ||
                           ssh_options_set(s_, SSH_OPTIONS_CIPHERS_S_C, order.c_str()) != 0))
      die("unknown cipher " + order);
    if (ssh_connect(s_) != SSH_OK) die(std::string("connect: ") + ssh_get_error(s_));
    if (ssh_session_is_known_server(s_) != SSH_KNOWN_HOSTS_OK) die("host key not in KNOWN_HOSTS");
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(key_file, nullptr, nullptr, nullptr, &key) != SSH_OK)
      die(std::string("cannot load ") + key_file);
    if (ssh_userauth_publickey(s_, nullptr, key) != SSH_AUTH_SUCCESS) die("key refused");
    ssh_key_free(key);
    c_ = ssh_channel_new(s_);
    cb_.userdata = &exit_status_;
    cb_.channel_exit_status_function = [](ssh_session, ssh_channel, int status, void* user) {
      *static_cast<int*>(user) = status;
    };
    ssh_callbacks_init(&cb_);
    if (!c_ || ssh_set_channel_callbacks(c_, &cb_) != SSH_OK ||
        ssh_channel_open_session(c_) != SSH_OK || ssh_channel_request_exec(c_, "x") != SSH_OK)
      die(std::string("exec channel: ") + ssh_get_error(s_));
  }
  ~ExecChannel() {
    ssh_channel_free(c_);
    ssh_disconnect(s_);
    ssh_free(s_);
  }
  ExecChannel(const ExecChannel&) = delete;
  ExecChannel& operator=(const ExecChannel&) = delete;

  // Blocking ssh_channel_write calls of at most `chunk` bytes.
  void write(const char* p, std::size_t n, std::size_t chunk) {
    for (std::size_t off = 0; off < n;) {
      const std::size_t k = std::min(chunk, n - off);
      const int w = ssh_channel_write(c_, p + off, static_cast<std::uint32_t>(k));
      if (w <= 0) die(std::string("write: ") + ssh_get_error(s_));
      off += static_cast<std::size_t>(w);
    }
  }
  // EOF, then the remote command's exit status, which must be 0.
  void finish() {
    if (ssh_channel_send_eof(c_) != SSH_OK) die(std::string("eof: ") + ssh_get_error(s_));
    ssh_event ev = ssh_event_new();  // the exit status arrives through the callback
    if (!ev || ssh_event_add_session(ev, s_) != SSH_OK) die("ssh_event failed");
    for (int waited_s = 0; exit_status_ < 0; ++waited_s) {
      if (ssh_event_dopoll(ev, 1000) == SSH_ERROR) die(std::string("poll: ") + ssh_get_error(s_));
      if (waited_s > 120) die("no exit status after 120 s");
    }
    ssh_event_remove_session(ev, s_);
    ssh_event_free(ev);
    if (exit_status_ != 0) die("the remote command exited " + std::to_string(exit_status_));
  }

 private:
  ssh_session s_ = nullptr;
  ssh_channel c_ = nullptr;
  int exit_status_ = -1;
  ssh_channel_callbacks_struct cb_{};
};

// The durable intake: FIFO -> (landing ->) OUT, fdatasync'd once a second. run() calls
// `written(total)` after each write to OUT.
class DurableIntake {
 public:
  DurableIntake(const char* fifo, const char* out, int pipe_size, const char* landing)
      : out_path_(out), landing_path_(landing ? landing : "") {
    in_ = ::open(fifo, O_RDONLY | O_CLOEXEC);
    if (in_ < 0) die(std::string(fifo) + ": " + std::strerror(errno));
    if (pipe_size && ::fcntl(in_, F_SETPIPE_SZ, pipe_size) < 0)
      die(std::string("F_SETPIPE_SZ: ") + std::strerror(errno));
    out_ = ::open(out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (out_ < 0) die(std::string(out) + ": " + std::strerror(errno));
    if (landing) {
      landing_ = ::open(landing, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (landing_ < 0) die(std::string(landing) + ": " + std::strerror(errno));
    }
  }
  DurableIntake(const DurableIntake&) = delete;
  DurableIntake& operator=(const DurableIntake&) = delete;

  // Until EOF; returns the bytes taken. c0/t0: CPU and wall time at the first byte.
  // `written(bytes)`: the bytes in OUT so far, after each write to it.
  template <typename Written>
  std::size_t run(double& c0, double& t0, Written written) {
    double synced = 0;
    std::size_t total = 0;
    for (;;) {
      const ssize_t n = take();
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) die(std::string("read: ") + std::strerror(errno));
      if (n == 0) break;
      if (total == 0) c0 = cpu_seconds(), t0 = synced = wall_seconds();
      const std::string_view got(buf_.data(), static_cast<std::size_t>(n));
      if (records_)
        write_records(got);
      else
        write_out(got);
      total += static_cast<std::size_t>(n);
      if (const double now = wall_seconds(); now - synced >= 1.0) {
        if (::fdatasync(out_) != 0) die(std::string("fdatasync: ") + std::strerror(errno));
        synced = now;
      }
      written(out_bytes_);
    }
    if (records_ && !carry_.empty()) {  // the input ended inside a line: a partial record
      encoded_.clear();
      logship::spool::encode_record(encoded_, ++id_, true, carry_);  // one: no need to batch
      write_out(encoded_);
      written(out_bytes_);
    }
    if (::fdatasync(out_) != 0) die(std::string("fdatasync: ") + std::strerror(errno));
    return total;
  }
  std::size_t out_bytes() const { return out_bytes_; }
  // Writes spool records instead of the bytes as they came.
  void as_records() { records_ = true; }
  // The spool segment and the landing go, as delivered ones do.
  void remove() {
    ::close(out_);
    if (::unlink(out_path_.c_str()) != 0) die(std::string("unlink: ") + std::strerror(errno));
    if (landing_ >= 0 && (::close(landing_) != 0 || ::unlink(landing_path_.c_str()) != 0))
      die(std::string("landing: ") + std::strerror(errno));
  }

 private:
  // One read: from the pipe, or through the landing file.
  ssize_t take() {
    if (landing_ < 0) return ::read(in_, buf_.data(), buf_.size());
    if (landed_ >= static_cast<loff_t>(buf_.size())) {
      if (::ftruncate(landing_, 0) != 0) die(std::string("ftruncate: ") + std::strerror(errno));
      landed_ = 0;
    }
    loff_t at = landed_;
    const ssize_t n = ::splice(in_, nullptr, landing_, &at,
                               buf_.size() - static_cast<std::size_t>(landed_), SPLICE_F_MOVE);
    if (n <= 0) return n;
    const ssize_t got = ::pread(landing_, buf_.data(), static_cast<std::size_t>(n), landed_);
    if (got != n) die("pread of the landing came back short");
    landed_ = at;
    return n;
  }

  void write_out(std::string_view bytes) {
    if (auto st = logship::write_all(out_, bytes, out_path_); !st) die(st.error().message);
    out_bytes_ += bytes.size();
  }
  // The whole lines of `bytes`, joined to the part of a line the last read ended in, as spool
  // records, written 256 KiB at a time as the spool writes them (its write buffer: the CRCs
  // are filled in while the records are in the cache); the part of a line `bytes` ends in
  // waits for the next read.
  void write_records(std::string_view bytes) {
    const auto flush = [&] {
      logship::spool::seal_records(encoded_);
      write_out(encoded_);
      encoded_.clear();
    };
    for (;;) {
      const std::size_t nl = bytes.find('\n');
      if (nl == std::string_view::npos) break;
      if (carry_.empty()) {
        logship::spool::append_record(encoded_, ++id_, false, bytes.substr(0, nl));
      } else {
        carry_.append(bytes.substr(0, nl));
        logship::spool::append_record(encoded_, ++id_, false, carry_);
        carry_.clear();
      }
      bytes.remove_prefix(nl + 1);
      if (encoded_.size() >= kRecordsWrite) flush();
    }
    carry_.append(bytes);
    if (!encoded_.empty()) flush();
  }
  static constexpr std::size_t kRecordsWrite = 256u << 10;  // logship-push's spool write buffer

  std::string out_path_, landing_path_;
  int in_ = -1, out_ = -1, landing_ = -1;
  bool records_ = false;
  std::uint64_t id_ = 0;
  std::size_t out_bytes_ = 0;
  std::string encoded_, carry_;
  std::vector<char> buf_ = std::vector<char>(1u << 20);
  loff_t landed_ = 0;
};

// The lines of `bytes`, without their LF (the last one also without it), appended to `lines`.
void split_lines(std::string_view bytes, std::vector<std::string_view>& lines) {
  for (const char *p = bytes.data(), *end = p + bytes.size(); p < end;) {
    const char* nl =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* stop = nl ? nl : end;
    lines.emplace_back(p, static_cast<std::size_t>(stop - p));
    p = nl ? nl + 1 : end;
  }
}

// The SHA-256 of each line, two at a time as logship-push hashes them, and the digests into
// the running batch digest in one update. `hashes`: reused space.
void hash_lines(std::span<const std::string_view> lines,
                std::vector<logship::crypto::Digest>& hashes, SHA256_CTX& batch) {
  hashes.resize(lines.size());
  std::size_t i = 0;
  for (; i + 1 < lines.size(); i += 2)
    logship::crypto::sha256_x2(lines[i], lines[i + 1], hashes[i], hashes[i + 1]);
  if (i < lines.size()) hashes[i] = logship::crypto::sha256(lines[i]);
  SHA256_Update(&batch, hashes.data(), hashes.size() * sizeof(logship::crypto::Digest));
}

// The value of --format: whether the floor writes spool records.
bool records_format(const std::string& value) {
  if (value != "raw" && value != "records")
    die("--format takes raw or records, not '" + value + "'");
  return value == "records";
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
  ExecChannel channel(argv[0], argv[1], argv[2], cipher);
  const double c0 = cpu_seconds(), t0 = wall_seconds();
  channel.write(data.data, data.size, chunk);
  channel.finish();
  const double t1 = wall_seconds(), c1 = cpu_seconds();
  std::printf("wall_s=%.4f cpu_s=%.3f bytes=%zu\n", t1 - t0, c1 - c0, data.size);
  return 0;
}

int cmd_hash_lines(int argc, char** argv) {
  if (argc != 1) die("usage: hash-lines DATA");
  const Mapping data(argv[0]);
  std::vector<std::string_view> lines;  // split first: the clock runs for the hashing alone
  split_lines(std::string_view(data.data, data.size), lines);
  constexpr std::size_t kGroup = 4096;  // about 600 KiB of lines (logship-push: 256 KiB slices)
  std::vector<logship::crypto::Digest> hashes(kGroup);
  const double c0 = cpu_seconds();
  SHA256_CTX batch;
  SHA256_Init(&batch);
  const std::span<const std::string_view> all(lines);
  for (std::size_t first = 0; first < all.size(); first += kGroup)
    hash_lines(all.subspan(first, std::min(kGroup, all.size() - first)), hashes, batch);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &batch);
  const double c1 = cpu_seconds();
  std::printf("cpu_s=%.3f lines=%zu bytes=%zu digest0=%02x\n", c1 - c0, lines.size(), data.size,
              digest[0]);
  return 0;
}

int cmd_intake(int argc, char** argv) {
  if (argc % 2 != 0 || argc < 2)
    die("usage: intake FIFO OUT [--pipe-size B] [--landing FILE] [--format raw|records]");
  int pipe_size = 0;
  const char* landing_path = nullptr;
  bool records = false;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string o = argv[i];
    if (o == "--pipe-size")
      pipe_size = to_number<int>(argv[i + 1], "--pipe-size");
    else if (o == "--landing")
      landing_path = argv[i + 1];
    else if (o == "--format")
      records = records_format(argv[i + 1]);
    else
      die("unknown option " + o);
  }
  DurableIntake intake(argv[0], argv[1], pipe_size, landing_path);
  if (records) intake.as_records();
  double c0 = -1, t0 = 0;
  const std::size_t total = intake.run(c0, t0, [](std::size_t) {});
  intake.remove();
  const double t1 = wall_seconds(), c1 = cpu_seconds();
  if (c0 < 0) c0 = c1, t0 = t1;
  std::printf("wall_s=%.4f cpu_s=%.3f bytes=%zu\n", t1 - t0, c1 - c0, total);
  return 0;
}

int cmd_pipeline(int argc, char** argv) {
  if (argc < 6 || argc % 2 != 0)
    die("usage: pipeline FIFO OUT PORT KEY KNOWN_HOSTS LANDING [--pipe-size B] "
        "[--format raw|records]");
  int pipe_size = 0;
  bool records = false;
  for (int i = 6; i + 1 < argc; i += 2) {
    const std::string o = argv[i];
    if (o == "--pipe-size")
      pipe_size = to_number<int>(argv[i + 1], "--pipe-size");
    else if (o == "--format")
      records = records_format(argv[i + 1]);
    else
      die("unknown option " + o);
  }
  ExecChannel channel(argv[2], argv[3], argv[4], "");  // connected before the clock starts
  DurableIntake intake(argv[0], argv[1], pipe_size, argv[5]);
  if (records) intake.as_records();
  std::mutex mu;
  std::condition_variable more;
  std::size_t written = 0;
  bool ended = false;
  // The sender: what the intake wrote, read back 256 KiB at a time, its whole lines (or whole
  // records) hashed two at a time into the batch digest, and sent.
  std::size_t sent = 0;
  std::thread sender([&] {
    const int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(std::string(argv[1]) + ": " + std::strerror(errno));
    std::vector<char> buf(256u << 10);
    std::vector<std::string_view> lines;
    std::vector<logship::crypto::Digest> hashes;
    std::string framed;  // records: their lines, each with its LF
    SHA256_CTX batch;
    SHA256_Init(&batch);
    std::size_t need = 1;  // bytes past `sent` to wait for: more than a line's start
    for (;;) {
      std::size_t avail = 0;
      bool last = false;
      {
        std::unique_lock lock(mu);
        more.wait(lock, [&] { return written >= sent + need || ended; });
        avail = std::min(written - sent, buf.size());
        last = ended && written - sent <= buf.size();
      }
      if (avail == 0) break;
      const ssize_t got = ::pread(fd, buf.data(), avail, static_cast<off_t>(sent));
      if (got != static_cast<ssize_t>(avail)) die("pread of the spool came back short");
      const std::string_view view(buf.data(), avail);
      std::size_t n = 0;  // bytes of OUT taken: whole lines or records, or the data's end
      lines.clear();
      if (records) {
        framed.clear();
        for (;;) {
          logship::spool::RecordView r;
          std::size_t size = 0;
          const auto d = logship::spool::decode_view(view.substr(n), r, size, false);
          if (d == logship::spool::Decode::corrupt) die("the floor's spool holds a bad record");
          if (d == logship::spool::Decode::need_more) break;
          lines.push_back(r.data);
          framed.append(r.data);
          if (!r.partial) framed.push_back('\n');
          n += size;
        }
        if (n == 0) {
          if (last || avail == buf.size()) die("a record larger than a read, or cut at the end");
          need = avail + 1;  // wait for the rest of the record
          continue;
        }
        hash_lines(lines, hashes, batch);
        channel.write(framed.data(), framed.size(), framed.size());
      } else {
        n = avail;
        if (!last) {
          const void* nl = ::memrchr(buf.data(), '\n', avail);
          if (!nl) {
            if (avail < buf.size()) {  // wait for the rest of the line
              need = avail + 1;
              continue;
            }
          } else {
            n = static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data()) + 1;
          }
        }
        split_lines(view.substr(0, n), lines);
        hash_lines(lines, hashes, batch);
        channel.write(buf.data(), n, n);
      }
      need = 1;
      std::lock_guard lock(mu);
      sent += n;
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_Final(digest, &batch);
    ::close(fd);
  });
  double c0 = -1, t0 = 0;
  const std::size_t total = intake.run(c0, t0, [&](std::size_t t) {
    {
      std::lock_guard lock(mu);
      written = t;
    }
    more.notify_one();
  });
  {
    std::lock_guard lock(mu);
    ended = true;
  }
  more.notify_one();
  sender.join();
  channel.finish();
  const std::size_t out_bytes = intake.out_bytes();
  intake.remove();
  const double t1 = wall_seconds(), c1 = cpu_seconds();
  if (c0 < 0) c0 = c1, t0 = t1;
  if (sent != out_bytes)
    die("the sender sent " + std::to_string(sent) + " of " + std::to_string(out_bytes));
  std::printf("wall_s=%.4f cpu_s=%.3f bytes=%zu\n", t1 - t0, c1 - c0, total);
  return 0;
}
