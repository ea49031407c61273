#include "support/sshd_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/run_command.hpp"

namespace logship::test {

namespace fs = std::filesystem;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(5);  // while waiting for sshd
constexpr int kPortAttempts = 20;                             // bind collisions tolerated

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("sshd fixture: " + what);
}

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A port the kernel considers free right now: bind 127.0.0.1:0, read it back, close.
std::uint16_t kernel_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    fail(std::string("bind 127.0.0.1:0: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

void make_key(const fs::path& path, const std::string& comment) {
  fs::remove(path);
  fs::remove(path.string() + ".pub");
  run_checked({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path.string()});
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace

std::string push_key_options(const fs::path& file, int lock_wait_seconds) {
  // The lock's wait stays below the agents' --timeout, as KEYS.md asks: the tests run them
  // with --timeout 3, so 1 s here (a margin for a slow process start on a loaded machine)
  // where logship-keys mints 20 s against the default 30 s.
  return "restrict,command=\"exec flock -w " + std::to_string(lock_wait_seconds) + " " +
         file.string() + " cat >> " + file.string() + "\"";
}
std::string pull_key_options() {
  return "restrict,command=\"/usr/lib/openssh/sftp-server -R\"";
}
std::string tail_key_options(const fs::path& file) {
  return "restrict,command=\"tail -F " + file.string() + "\"";
}

SshdFixture::SshdFixture() {
  const passwd* pw = ::getpwuid(::geteuid());
  if (pw == nullptr) fail("no passwd entry for uid " + std::to_string(::geteuid()));
  user_ = pw->pw_name;
  std::string tmpl = (fs::temp_directory_path() / "logship-sshd-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) fail(std::string("mkdtemp: ") + std::strerror(errno));
  dir_ = tmpl;
  if (::geteuid() == 0 && !fs::exists("/run/sshd")) {
    // sshd started as root insists on its privilege-separation directory.
    fs::create_directories("/run/sshd");
    ::chmod("/run/sshd", 0755);
  }
  make_key(host_key(), "logship-test-host");
  client_key_ = make_client_key("client");
  std::ofstream(authorized_keys()).flush();
  write_config();
}

SshdFixture::~SshdFixture() {
  try {
    cut_connections();  // first, so that none is orphaned to init
    stop();
  } catch (...) {
  }
  // A process that was ending may still append to the log meanwhile: try a few times.
  std::error_code ec;
  for (int i = 0; i < 20 && fs::exists(dir_, ec); ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    fs::remove_all(dir_, ec);
  }
}

ClientKey SshdFixture::make_client_key(const std::string& name) {
  const fs::path path = dir_ / name;
  make_key(path, "logship-test-" + name);
  std::string line = read_whole(path.string() + ".pub");
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return ClientKey{path, line};
}

void SshdFixture::add_authorized_key(const std::string& options, const ClientKey& key) {
  std::ofstream out(authorized_keys(), std::ios::app);
  out << (options.empty() ? "" : options + " ") << key.public_line << "\n";
  if (!out.flush()) fail("cannot write " + authorized_keys().string());
}

void SshdFixture::write_config() const {
  std::ofstream out(dir_ / "sshd_config");
  out << "ListenAddress 127.0.0.1\n"
      << "Port " << (port_ ? port_ : 22) << "\n"
      << "HostKey " << host_key().string() << "\n"
      << "PidFile " << (dir_ / "sshd.pid").string() << "\n"
      << "AuthorizedKeysFile " << authorized_keys().string() << "\n"
      << "UsePAM no\nStrictModes no\nPasswordAuthentication no\n"
      << "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
      << "PermitRootLogin prohibit-password\nUseDNS no\nPrintMotd no\nPrintLastLog no\n"
      << "Subsystem sftp internal-sftp\nLogLevel VERBOSE\n"
      // bash sources ~/.bashrc for commands run by sshd only when SHLVL < 2: keep the test
      // user's start-up files (root's pyenv rehash, with its lock) out of forced commands.
      << "SetEnv SHLVL=1\n";
  if (!out.flush()) fail("cannot write sshd_config");
}

bool SshdFixture::try_start(std::uint16_t port) {
  port_ = port;
  write_config();
  std::error_code ec;
  log_offset_ = fs::exists(log_file()) ? fs::file_size(log_file(), ec) : 0;
  const std::string config = (dir_ / "sshd_config").string();
  const std::string log_path = log_file().string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the test process
    // Processes orphaned under the server (a forced command whose sshd was killed) are
    // adopted by the listener, not by init, so they stay in its process tree.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (::getppid() != parent) ::_exit(127);
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::close_range(3, ~0U, 0);
    ::execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-E", log_path.c_str(), "-f",
            config.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  const std::string listening = "Server listening on 127.0.0.1 port " + std::to_string(port);
  for (;;) {
    const std::string text = log();
    int status = 0;
    const bool exited = ::waitpid(pid_, &status, WNOHANG) == pid_;
    if (text.find("Address already in use") != std::string::npos ||
        text.find("Cannot bind any address") != std::string::npos) {
      if (!exited) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
      pid_ = -1;
      return false;
    }
    if (exited) {
      pid_ = -1;
      fail("sshd exited during start-up; its log:\n" + text);
    }
    // Logged right after listen(2). (No probe connection: sshd forks a child for it that
    // holds the listening socket a little while, even past a stop().)
    if (text.find(listening) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      fail("sshd did not listen within " + std::to_string(kStartTimeout.count()) +
           " s; its log:\n" + text);
    }
    std::this_thread::sleep_for(kPollInterval);  // polling a condition, not synchronising
  }
}

void SshdFixture::start() {
  if (running()) return;
  if (port_ != 0) {  // restart: the same port, which we just released
    for (int i = 0; i < kPortAttempts; ++i) {
      if (try_start(port_)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    fail("port " + std::to_string(port_) + " stayed busy");
  }
  for (int i = 0; i < kPortAttempts; ++i) {
    if (try_start(kernel_free_port())) {
      if (!fs::exists(known_hosts())) write_known_hosts(false);
      return;
    }
  }
  port_ = 0;
  fail("no free port after " + std::to_string(kPortAttempts) + " attempts");
}

void SshdFixture::stop() {
  if (!running()) return;
  // Connections outlive the listener (as with a real sshd); remember them for the fault
  // controls and for teardown.
  for (const auto& p : descendants(all_processes(), {pid_})) {
    if (p.ppid == pid_) orphan_roots_.push_back(p.pid);
  }
  ::kill(pid_, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  pid_ = -1;
}

void SshdFixture::restart() {
  stop();
  start();
}

std::string SshdFixture::log() const {
  const std::string all = read_whole(log_file());
  return all.size() >= log_offset_ ? all.substr(log_offset_) : all;
}

void SshdFixture::write_known_hosts(bool hashed) {
  if (port_ == 0) fail("write_known_hosts before start()");
  std::string key = read_whole(host_key().string() + ".pub");
  std::istringstream fields(key);
  std::string type, blob;
  fields >> type >> blob;
  {
    std::ofstream out(known_hosts(), std::ios::trunc);
    out << "[127.0.0.1]:" << port_ << " " << type << " " << blob << "\n";
    if (!out.flush()) fail("cannot write " + known_hosts().string());
  }
  if (hashed) {
    run_checked({"ssh-keygen", "-q", "-H", "-f", known_hosts().string()});
    fs::remove(known_hosts().string() + ".old");
  }
}

std::string SshdFixture::host_key_fingerprint() const {
  const std::string out =
      run_checked({"ssh-keygen", "-l", "-E", "sha256", "-f", host_key().string() + ".pub"});
  std::istringstream fields(out);
  std::string bits, fingerprint;
  fields >> bits >> fingerprint;
  return fingerprint;
}

void SshdFixture::replace_host_key() {
  make_key(host_key(), "logship-test-host-replaced");
  if (running()) restart();
}

std::vector<ProcessInfo> SshdFixture::connection_processes() const {
  std::vector<pid_t> roots = orphan_roots_;
  roots.insert(roots.end(), frozen_.begin(), frozen_.end());
  if (pid_ > 0) roots.push_back(pid_);
  const auto snapshot = all_processes();
  auto out = descendants(snapshot, roots);
  for (const auto& p : snapshot) {  // the remembered roots themselves, while alive
    const bool remembered = std::find(roots.begin(), roots.end(), p.pid) != roots.end();
    const bool listed =
        std::any_of(out.begin(), out.end(), [&](const ProcessInfo& q) { return q.pid == p.pid; });
    if (remembered && p.pid != pid_ && !listed) out.push_back(p);
  }
  // Zombies have finished; whether they are reaped is up to their parent (maybe init).
  out.erase(
      std::remove_if(out.begin(), out.end(), [](const ProcessInfo& p) { return p.state == 'Z'; }),
      out.end());
  return out;
}

void SshdFixture::cut_connections() {
  // A connection may fork while we kill it (its child is then adopted by the listener, and
  // holds the client's socket): kill until none is left.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (auto live = connection_processes(); !live.empty(); live = connection_processes()) {
    if (std::chrono::steady_clock::now() > deadline) fail("connections survive SIGKILL for 5 s");
    signal_all(live, SIGKILL);
    std::this_thread::sleep_for(kPollInterval);
  }
}

void SshdFixture::freeze_connections() {
  const auto live = connection_processes();
  signal_all(live, SIGSTOP);
  for (const auto& p : live) frozen_.push_back(p.pid);  // thawed even if orphaned meanwhile
  await_state(live, true);
}

void SshdFixture::thaw_connections() {
  const auto live = connection_processes();
  signal_all(live, SIGCONT);
  frozen_.clear();
  await_state(live, false);
}

void SshdFixture::await_state(const std::vector<ProcessInfo>& targets, bool stopped) const {
  // Signals are delivered asynchronously: poll /proc until each target shows the state.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    bool done = true;
    for (const auto& p : all_processes()) {
      const bool target = std::any_of(targets.begin(), targets.end(),
                                      [&](const ProcessInfo& t) { return t.pid == p.pid; });
      const bool is_stopped = p.state == 'T' || p.state == 't';
      if (target && p.state != 'Z' && is_stopped != stopped) done = false;
    }
    if (done) return;
    if (std::chrono::steady_clock::now() > deadline) {
      fail(std::string("processes did not ") + (stopped ? "stop" : "resume") + " within 5 s");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::vector<ProcessInfo> SshdFixture::processes() const {
  return connection_processes();
}

}  // namespace logship::test
