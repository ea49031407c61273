// End-to-end tests of logship-pull: the built binary follows files of a private sshd (the
// "monitored host" is this machine, reached over SSH with a read-only SFTP key, or a forced
// `tail -F`) while a writer appends, rotates, truncates, deletes; the copies are checked byte
// for byte (raw) or with the built logship-verify --extract (framed).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "pull_test_util.hpp"
#include "support/child.hpp"
#include "support/silent_listener.hpp"
#include "support/sshd_fixture.hpp"
#include "support/test_files.hpp"

namespace logship::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The first "key": value in a JSON text (top-level fields come before the files; tests with
// one file read its fields). No std::regex: gcc 12 warns inside it under the sanitizers.
std::string json_raw(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  const auto from = at + key.size() + 3;
  const auto end = json.find_first_of(",}", from);
  return json.substr(from, end - from);
}
std::int64_t json_number(const std::string& json, const std::string& key) {
  const auto v = json_raw(json, key);
  if (v.empty() || !(std::isdigit(static_cast<unsigned char>(v[0])) || v[0] == '-')) return -1;
  return std::stoll(v);
}
std::string json_string(const std::string& json, const std::string& key) {
  const auto v = json_raw(json, key);
  return v.size() >= 2 && v.front() == '"' ? v.substr(1, v.size() - 2) : "";
}

std::string numbered(std::uint64_t i) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "line %08llu sshd[4242]: Accepted publickey for alice port %llu\n",
                static_cast<unsigned long long>(i), static_cast<unsigned long long>(i % 65536));
  return buf;
}

// Writes numbered lines to `file` until it holds at least `bytes`; returns what it wrote.
std::string write_numbered(const std::filesystem::path& file, std::size_t bytes) {
  std::string text;
  for (std::uint64_t i = 1; text.size() < bytes; ++i) text += numbered(i);
  std::ofstream out(file, std::ios::binary);
  out << text;
  return text;
}

// Appends numbered lines to a file at a steady rate, like a logging daemon: it keeps its
// descriptor (O_APPEND) and opens the path again only when told to (logrotate's postrotate
// HUP). Everything written is remembered in order.
class Writer {
 public:
  // `first`: the number of the first line written (numbered(first)).
  Writer(fs::path path, int lines_per_second, std::uint64_t first = 1)
      : path_(std::move(path)), count_(first - 1) {
    open();
    thread_ = std::thread([this, lines_per_second] {
      const auto period = std::chrono::microseconds(1'000'000 / lines_per_second);
      auto next = std::chrono::steady_clock::now();
      while (!stop_) {
        {
          std::lock_guard<std::mutex> l(mu_);
          if (reopen_) {
            ::close(fd_);
            open();
            reopen_ = false;
          }
          const auto line = numbered(++count_);
          if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            failed_ = true;
          written_ += line;
        }
        next += period;
        std::this_thread::sleep_until(next);
      }
    });
  }
  ~Writer() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void reopen() {
    std::lock_guard<std::mutex> l(mu_);
    reopen_ = true;
  }
  std::mutex& mutex() { return mu_; }  // held: the writer waits (logrotate's copy + truncate)
  std::string written() {
    std::lock_guard<std::mutex> l(mu_);
    return written_;
  }
  std::uint64_t count() {
    std::lock_guard<std::mutex> l(mu_);
    return count_;
  }
  bool failed() const { return failed_; }

 private:
  void open() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) failed_ = true;
  }
  fs::path path_;
  std::mutex mu_;
  int fd_ = -1;
  bool reopen_ = false;
  std::uint64_t count_ = 0;
  std::string written_;
  std::atomic<bool> stop_{false}, failed_{false};
  std::thread thread_;
};

// logrotate with `create`: FILE.1 -> FILE.2, FILE -> FILE.1, a new empty FILE.
void rotate_by_rename(const fs::path& file) {
  const fs::path one = file.string() + ".1", two = file.string() + ".2";
  if (fs::exists(one)) fs::rename(one, two);
  fs::rename(file, one);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0640);
  ::close(fd);
}

// logrotate with `copytruncate`: copy FILE to FILE.1, then cut FILE to 0.
void rotate_by_copytruncate(const fs::path& file) {
  const fs::path one = file.string() + ".1";
  fs::copy_file(file, one, fs::copy_options::overwrite_existing);
  fs::resize_file(file, 0);
}

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = sshd_.dir() / "host";
    vault_ = sshd_.dir() / "vault";
    fs::create_directories(host_);
    fs::create_directories(vault_);
    sshd_.add_authorized_key(pull_key_options(), sshd_.client_key());
    sshd_.start();
    sshd_.write_known_hosts();
    auto init = run_program({program_path("logship-pull").string(), "init", "--state-dir",
                             state().string(), "--key-out", key().string(), "--source", "web1"});
    ASSERT_EQ(init.code, 0) << init.err;
  }

  fs::path state() const { return vault_ / "state"; }
  fs::path key() const { return vault_ / "web1.key"; }
  fs::path status() const { return vault_ / "status.json"; }
  fs::path log() const { return vault_ / "pull.log"; }
  fs::path remote(const std::string& name) const { return host_ / name; }
  fs::path copy(const std::string& name) const { return vault_ / "copies" / name; }
  std::string follow(const std::string& name) const {
    return remote(name).string() + "=" + copy(name).string();
  }

  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::string> a = {program_path("logship-pull").string(),
                                  "--host",
                                  "127.0.0.1",
                                  "--port",
                                  std::to_string(sshd_.port()),
                                  "--identity",
                                  sshd_.client_key().private_key.string(),
                                  "--known-hosts",
                                  sshd_.known_hosts().string(),
                                  "--state-dir",
                                  state().string(),
                                  "--status-file",
                                  status().string(),
                                  "--status-interval",
                                  "1",
                                  "--retry-max",
                                  "1",
                                  "--connect-timeout",
                                  "3",
                                  "--source",
                                  "web1",
                                  "--log-level",
                                  "debug"};
    if (std::find(extra.begin(), extra.end(), "--poll") == extra.end())
      a.insert(a.end(), {"--poll", "100"});
    if (std::find(extra.begin(), extra.end(), "--timeout") == extra.end())
      a.insert(a.end(), {"--timeout", "3"});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // Returns once the agent wrote its status file (its signals are handled by then): a restart's
  // test must not see the one the previous agent left.
  std::unique_ptr<Child> start(std::vector<std::string> extra) {
    std::error_code ec;
    fs::remove(status(), ec);
    auto c = std::make_unique<Child>(args(std::move(extra)), log());
    EXPECT_TRUE(eventually([&] { return fs::exists(status()); }, 10s)) << slurp(log());
    return c;
  }
  void stop(std::unique_ptr<Child>& agent) {
    agent->signal(SIGTERM);
    EXPECT_EQ(agent->wait_for(10s), 0) << tail_of_log();
  }
  std::string tail_of_log() const {
    const auto l = slurp(log());
    return l.size() > 6000 ? l.substr(l.size() - 6000) : l;
  }
  std::string status_text() const { return slurp(status()); }
  // The agent's log without its debug lines.
  std::string log_events() const {
    std::istringstream in(slurp(log()));
    std::string out;
    for (std::string l; std::getline(in, l);)
      if (l.find("] debug:") == std::string::npos) out += l + "\n";
    return out.size() > 8000 ? out.substr(out.size() - 8000) : out;
  }

  Output verify(const fs::path& file, std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {program_path("logship-verify").string()};
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back(file.string());
    return run_program(a);
  }
  std::string extract(const fs::path& file) const { return verify(file, {"--extract"}).out; }

  // Waits until the copy (raw: the file; framed: what --extract prints) holds `expected`.
  void expect_copy(const fs::path& file, const std::string& expected, bool framed,
                   std::chrono::seconds timeout = 30s, bool settle = true) {
    auto content = [&] { return framed ? extract(file) : slurp(file); };
    EXPECT_TRUE(eventually([&] { return content().size() >= expected.size(); }, timeout))
        << "copy has " << content().size() << " of " << expected.size()
        << " bytes\nstatus: " << status_text() << "\nlog:\n"
        << tail_of_log();
    if (settle) std::this_thread::sleep_for(300ms);  // a repeat arriving late would show now
    const auto got = content();
    EXPECT_EQ(got.size(), expected.size());
    EXPECT_TRUE(got == expected) << "the copy differs from what was written"
                                 << first_difference(got, expected);
  }
  static std::string first_difference(const std::string& got, const std::string& want) {
    std::size_t i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
    auto around = [&](const std::string& s) {
      const auto from = i > 200 ? i - 200 : 0;
      return s.substr(from, 400);
    };
    return " at byte " + std::to_string(i) + "\n--- got:\n" + around(got) + "\n--- want:\n" +
           around(want);
  }
  // logship-verify --key finds nothing (infos allowed).
  void expect_verifies(const fs::path& file, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--key", key().string()});
    auto v = verify(file, extra);
    EXPECT_EQ(v.code, 0) << v.out << v.err;
  }

  SshdFixture sshd_;
  fs::path host_, vault_;
};

// ---- rotation under load ----

class RotationTest : public PullTest, public ::testing::WithParamInterface<const char*> {};
class ShortFileTest : public PullTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(RotationTest, RenameRotationWhileWritingTwoThousandLinesASecond) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("auth.log");
  Writer w(file, 2000);
  auto agent = start({"--follow", follow("auth.log"), "--format", GetParam(), "--heartbeat", "1"});
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(700ms);
    rotate_by_rename(file);
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + 60 * i));  // postrotate's delay
    w.reopen();  // lines up to here went to the renamed file
  }
  std::this_thread::sleep_for(500ms);
  w.stop();
  ASSERT_FALSE(w.failed());
  expect_copy(copy("auth.log"), w.written(), framed);
  EXPECT_TRUE(eventually([&] { return json_number(status_text(), "rotations") == 4; }, 5s))
      << status_text();
  EXPECT_EQ(json_number(status_text(), "truncations"), 0);
  stop(agent);
  if (framed) expect_verifies(copy("auth.log"), {"--max-silence", "3"});
}

INSTANTIATE_TEST_SUITE_P(Formats, RotationTest, ::testing::Values("raw", "framed"));

TEST_F(PullTest, CopytruncateReadsTheRestFromTheCopy) {
  const auto file = remote("app.log");
  Writer w(file, 2000);
  auto agent = start({"--follow", follow("app.log"), "--format", "framed", "--poll", "300"});
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(600ms);
    // The writer waits during copy + truncate (lines written in between would be lost by
    // logrotate itself, not by us). Meanwhile up to 300 ms of lines are not read yet: they
    // must come from the copy.
    std::lock_guard<std::mutex> hold(w.mutex());
    rotate_by_copytruncate(file);
  }
  std::this_thread::sleep_for(500ms);
  w.stop();
  expect_copy(copy("app.log"), w.written(), true);
  auto events = [&] {
    const auto st = status_text();
    return json_number(st, "copytruncations") + json_number(st, "truncations");
  };
  EXPECT_TRUE(eventually([&] { return events() == 3; }, 5s)) << status_text();
  // (one may find everything read already, the rest in the copy being empty)
  EXPECT_GE(json_number(status_text(), "copytruncations"), 2) << status_text();
  stop(agent);
  expect_verifies(copy("app.log"));
  EXPECT_NE(slurp(copy("app.log")).find("event=copytruncated"), std::string::npos);
}

TEST_F(PullTest, PlainTruncationStartsAgainAndIsRecorded) {
  const auto file = remote("app.log");
  std::string expected;
  for (int i = 1; i <= 100; ++i) expected += numbered(i);
  append(file, expected);
  auto agent = start({"--follow", follow("app.log"), "--format", "raw"});
  expect_copy(copy("app.log"), expected, false);
  // Cut to 0 and at once written past the old size (before the next poll, most likely): the
  // first bytes differ, so it is seen as a truncation, not as growth.
  std::string again;
  for (int i = 1000; i < 1300; ++i) again += numbered(i);
  fs::resize_file(file, 0);
  append(file, again);
  expected += again;
  expect_copy(copy("app.log"), expected, false);
  // And a plain `: > file` followed by a little.
  fs::resize_file(file, 0);
  std::this_thread::sleep_for(400ms);
  append(file, numbered(5000));
  expected += numbered(5000);
  expect_copy(copy("app.log"), expected, false);
  EXPECT_TRUE(eventually([&] { return json_number(status_text(), "truncations") == 2; }, 5s))
      << status_text();
  stop(agent);
}

// A quiet file is looked at with its stat, the bytes just before the offset and a read: when it
// is cut and written past the old size between two looks, those bytes differ and the full look
// that follows sees the truncation (no bytes of the new file are taken for the old one's).
TEST_F(PullTest, QuietFileTruncatedAndRewrittenPastTheOffsetIsATruncation) {
  const auto file = remote("quiet.log");
  std::string expected;
  for (int i = 1; i <= 100; ++i) expected += numbered(i);
  append(file, expected);
  auto agent = start({"--follow", follow("quiet.log"), "--format", "raw", "--poll", "300"});
  expect_copy(copy("quiet.log"), expected, false);
  std::this_thread::sleep_for(2500ms);  // long enough for the path to be trusted as quiet
  std::string again;
  for (int i = 2000; i < 2400; ++i) again += numbered(i);
  {
    auto out = std::ofstream(file, std::ios::trunc | std::ios::binary);
    out << again;  // cut and rewritten at once, longer than before
  }
  expected += again;
  expect_copy(copy("quiet.log"), expected, false);
  EXPECT_TRUE(eventually([&] { return json_number(status_text(), "truncations") == 1; }, 5s))
      << status_text();
  stop(agent);
}

TEST_F(PullTest, MissingAtStartThenCreatedThenDeletedAndRecreated) {
  const auto file = remote("late.log");
  auto agent = start({"--follow", follow("late.log"), "--format", "raw"});
  EXPECT_TRUE(eventually([&] { return json_string(status_text(), "state") == "connected"; }, 10s));
  EXPECT_TRUE(eventually(
      [&] { return status_text().find("\"state\":\"missing\"") != std::string::npos; }, 5s))
      << status_text();
  // A dangling symlink and a directory are reported, not fatal.
  fs::create_symlink(host_ / "nowhere", file);
  EXPECT_TRUE(eventually(
      [&] { return status_text().find("dangling symbolic link") != std::string::npos; }, 5s))
      << status_text();
  fs::remove(file);
  fs::create_directory(file);
  EXPECT_TRUE(
      eventually([&] { return status_text().find("a directory") != std::string::npos; }, 5s))
      << status_text();
  fs::remove(file);

  std::string expected;
  for (int i = 1; i <= 50; ++i) expected += numbered(i);
  append(file, expected);
  expect_copy(copy("late.log"), expected, false);

  // Deleted with lines not read yet, recreated at once: the deleted file is finished through
  // its open handle, then the new one is read from 0.
  std::string more;
  for (int i = 51; i <= 80; ++i) more += numbered(i);
  std::string fresh;
  for (int i = 81; i <= 90; ++i) fresh += numbered(i);
  append(file, more);
  fs::remove(file);
  append(file, fresh);
  expected += more + fresh;
  expect_copy(copy("late.log"), expected, false);
  EXPECT_TRUE(eventually([&] { return json_number(status_text(), "rotations") == 1; }, 5s))
      << status_text();
  stop(agent);
  EXPECT_NE(slurp(log()).find("missing: no such file"), std::string::npos);
}

// The rotated copy of a copytruncate is found by its identity under a dated name
// (logrotate's dateext) and under an administrator's pattern, while the writer waits.
TEST_F(PullTest, CopytruncateCopyFoundUnderADatedNameAndAConfiguredPattern) {
  const auto dated = remote("dated.log"), custom = remote("custom.log");
  std::string want_dated, want_custom;
  auto add = [](const fs::path& f, std::string& want, int from, int to) {
    std::string t;
    for (int i = from; i <= to; ++i) t += numbered(i);
    append(f, t);
    want += t;
  };
  add(dated, want_dated, 1, 100);
  add(custom, want_custom, 1, 100);
  // A long poll, so that the lines added just before each rotation are unread when it happens.
  auto agent =
      start({"--follow", follow("dated.log"), "--follow", follow("custom.log"), "--format", "raw",
             "--poll", "1500", "--rotated-name", "{}-%Y%m%d", "--rotated-name", "{}.old"});
  expect_copy(copy("dated.log"), want_dated, false, 30s, false);
  expect_copy(copy("custom.log"), want_custom, false, 30s, false);
  add(dated, want_dated, 101, 150);
  add(custom, want_custom, 101, 150);
  char day[16];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::strftime(day, sizeof day, "%Y%m%d", &utc);
  fs::copy_file(dated, dated.string() + "-" + day);
  fs::resize_file(dated, 0);
  fs::copy_file(custom, custom.string() + ".old");
  fs::resize_file(custom, 0);
  add(dated, want_dated, 151, 160);
  add(custom, want_custom, 151, 160);
  expect_copy(copy("dated.log"), want_dated, false);
  expect_copy(copy("custom.log"), want_custom, false);
  stop(agent);  // (the status file written at exit shows every event)
  const auto st = status_text();
  EXPECT_EQ(json_number(st, "truncations"), 0) << st;
  EXPECT_EQ(json_number(st, "copytruncations"), 1) << st;  // (of the first file)
  EXPECT_NE(slurp(log()).find("from the rotated copy " + dated.string() + "-" + day),
            std::string::npos)
      << log_events();
  EXPECT_NE(slurp(log()).find("from the rotated copy " + custom.string() + ".old"),
            std::string::npos)
      << log_events();
}

// A file shorter than the fingerprint (1 KiB): its identity grows with it, and rename
// rotation, copytruncate and truncation of short files are told apart.
TEST_P(ShortFileTest, RotatedCopytruncatedAndTruncatedWhileShort) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("short.log");
  std::string want;
  auto add = [&](int from, int to) {
    std::string t;
    for (int i = from; i <= to; ++i) t += numbered(i);
    append(file, t);
    want += t;
  };
  add(1, 2);  // 138 bytes
  auto agent = start({"--follow", follow("short.log"), "--format", GetParam()});
  expect_copy(copy("short.log"), want, framed, 30s, false);
  add(3, 5);
  expect_copy(copy("short.log"), want, framed, 30s, false);
  rotate_by_rename(file);  // the new file is shorter than the old one
  add(6, 6);
  expect_copy(copy("short.log"), want, framed, 30s, false);
  add(7, 8);
  rotate_by_copytruncate(file);  // the rest, still short, is in short.log.1
  add(9, 9);
  expect_copy(copy("short.log"), want, framed, 30s, false);
  fs::resize_file(file, 0);  // truncated, nothing lost
  add(10, 11);
  expect_copy(copy("short.log"), want, framed);
  stop(agent);  // (the status file written at exit shows every event)
  const auto st = status_text();
  EXPECT_EQ(json_number(st, "rotations"), 1) << st;
  EXPECT_EQ(json_number(st, "copytruncations") + json_number(st, "truncations"), 2) << st;
  if (framed) expect_verifies(copy("short.log"));
}

// SFTP times are whole seconds: a file copytruncated and written again to the very size that was
// read, within the second of the last look, has the same size and mtime as then. A look at the
// path alone must not take that for a quiet file (the lines in the copy and the new ones were
// never read).
TEST_P(ShortFileTest, RewrittenToTheSameSizeWithinTheSecondOfTheLastLook) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("same.log");
  append(file, numbered(1));
  auto agent = start({"--follow", follow("same.log"), "--format", GetParam()});
  const auto copied = [&](int upto) {
    std::string t;
    for (int i = 1; i <= upto; ++i) t += numbered(i);
    return t;
  };
  expect_copy(copy("same.log"), copied(1), framed, 30s, false);
  // What follows has to happen within one second of the host's clock: start it at the
  // beginning of one.
  const auto now = std::chrono::system_clock::now();
  std::this_thread::sleep_until(std::chrono::ceil<std::chrono::seconds>(now) + 10ms);
  append(file, numbered(2));
  expect_copy(copy("same.log"), copied(2), framed, 30s, false);  // read: size 2 lines, mtime s
  append(file, numbered(3) + numbered(4));
  rotate_by_copytruncate(file);
  append(file, numbered(5) + numbered(6));  // the same size again (lines of equal length)
  expect_copy(copy("same.log"), copied(6), framed);
  stop(agent);
  if (framed) expect_verifies(copy("same.log"));
}

INSTANTIATE_TEST_SUITE_P(Formats, ShortFileTest, ::testing::Values("raw", "framed"));

// A followed path that turns into a dangling symbolic link, then a directory, then a file again:
// reported in the status file (and the Prometheus textfile), never fatal, nothing lost.
TEST_F(PullTest, PathBecomesADanglingSymlinkThenADirectoryThenAFileAgain) {
  const auto file = remote("odd.log");
  const auto prom = vault_ / "pull.prom";
  std::string want;
  for (int i = 1; i <= 20; ++i) want += numbered(i);
  append(file, want);
  auto agent =
      start({"--follow", follow("odd.log"), "--format", "raw", "--prometheus-file", prom.string()});
  expect_copy(copy("odd.log"), want, false, 30s, false);
  EXPECT_TRUE(eventually(
      [&] {
        const auto p = slurp(prom);
        return p.find("logship_pull_up{source=\"web1\"} 1") != std::string::npos &&
               p.find("logship_pull_file_following{source=\"web1\",file=\"" + file.string() +
                      "\"} 1") != std::string::npos;
      },
      5s))
      << slurp(prom);
  std::string more;
  for (int i = 21; i <= 30; ++i) more += numbered(i);
  append(file, more);  // (read from the held file after the path changes, if not before)
  want += more;
  fs::rename(file, remote("odd.log.1"));
  fs::create_symlink(host_ / "nowhere", file);
  EXPECT_TRUE(eventually(
      [&] { return status_text().find("dangling symbolic link") != std::string::npos; }, 5s))
      << status_text();
  EXPECT_TRUE(eventually(
      [&] {
        return slurp(prom).find("logship_pull_file_following{source=\"web1\",file=\"" +
                                file.string() + "\"} 0") != std::string::npos;
      },
      5s))
      << slurp(prom);
  fs::remove(file);
  fs::create_directory(file);
  EXPECT_TRUE(
      eventually([&] { return status_text().find("a directory") != std::string::npos; }, 5s))
      << status_text();
  expect_copy(copy("odd.log"), want, false, 30s, false);
  fs::remove(file);
  std::string fresh;
  for (int i = 31; i <= 40; ++i) fresh += numbered(i);
  append(file, fresh);
  want += fresh;
  expect_copy(copy("odd.log"), want, false);
  EXPECT_TRUE(eventually([&] { return json_string(status_text(), "state") == "connected"; }, 5s));
  EXPECT_TRUE(agent->running());
  // The host goes away: the textfile says so, and since when.
  sshd_.stop();
  sshd_.cut_connections();
  EXPECT_TRUE(eventually(
      [&] {
        const auto p = slurp(prom);
        return p.find("logship_pull_up{source=\"web1\"} 0") != std::string::npos &&
               p.find("logship_pull_unreachable_since_seconds{source=\"web1\"} 0\n") ==
                   std::string::npos;
      },
      10s))
      << slurp(prom);
  EXPECT_NE(json_string(status_text(), "unreachable_since"), "");
  stop(agent);
}

// ---- crashes and outages ----

class CrashTest : public PullTest, public ::testing::WithParamInterface<const char*> {};
class StopTest : public PullTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CrashTest, KillNineDuringCatchUpThenRestart) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("big.log");
  const std::string expected = write_numbered(file, 96u << 20);
  const std::vector<std::string> a = {"--follow", follow("big.log"),       "--format",
                                      GetParam(), "--checkpoint-interval", "50"};
  int killed_mid_way = 0;
  for (std::uint64_t at : {4u << 20, 24u << 20, 48u << 20}) {
    auto agent = std::make_unique<Child>(args(a), log());
    const bool reached = eventually(
        [&] {
          std::error_code ec;
          return fs::file_size(copy("big.log"), ec) >= at && !ec;
        },
        30s);
    agent->signal(SIGKILL);
    agent->wait_for(10s);
    std::error_code ec;
    if (reached && fs::file_size(copy("big.log"), ec) < expected.size()) ++killed_mid_way;
  }
  EXPECT_GE(killed_mid_way, 2) << "the copy was complete before the kill: make the file larger";
  auto agent = start(a);
  expect_copy(copy("big.log"), expected, framed, 60s);
  stop(agent);
  if (framed) expect_verifies(copy("big.log"));
}

// kill -9 while a writer appends, then a copytruncate and a rename rotation while nobody
// watches: at each restart the old file's rest is found by its identity (FILE.1) and read first.
TEST_P(CrashTest, KillNineThenRotatedWhileDownThenRestart) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("app.log");
  Writer w(file, 2000);
  const std::vector<std::string> a = {"--follow", follow("app.log"), "--format", GetParam()};
  // Each agent is killed once it has logged `event` (after the checkpoint of the generation it
  // starts) and copied more (not after a fixed time: on a busy machine it may not even have
  // connected by then).
  const auto copying = [&](const std::string& event, std::uintmax_t size) {
    return eventually(
        [&] {
          std::error_code ec;
          const auto now = fs::file_size(copy("app.log"), ec);
          return !ec && now > size + 4096 && slurp(log()).find(event) != std::string::npos;
        },
        20s);
  };
  auto agent = std::make_unique<Child>(args(a), log());
  ASSERT_TRUE(copying("following from offset 0", 0)) << slurp(log());
  agent->signal(SIGKILL);
  agent->wait_for(10s);
  {
    std::lock_guard<std::mutex> hold(w.mutex());
    rotate_by_copytruncate(file);
  }
  std::this_thread::sleep_for(300ms);
  const auto before = fs::file_size(copy("app.log"));
  agent = std::make_unique<Child>(args(a), log());
  // (" from 0": a new generation after the copy was read, as "rotated" or "copytruncated"
  // depending on what the first agent had checkpointed)
  ASSERT_TRUE(copying(" from 0", before)) << slurp(log());
  agent->signal(SIGKILL);
  agent->wait_for(10s);
  rotate_by_rename(file);
  std::this_thread::sleep_for(50ms);
  w.reopen();
  std::this_thread::sleep_for(300ms);
  agent = start(a);
  std::this_thread::sleep_for(500ms);
  w.stop();
  ASSERT_FALSE(w.failed());
  expect_copy(copy("app.log"), w.written(), framed);
  stop(agent);
  if (framed) expect_verifies(copy("app.log"));
}

INSTANTIATE_TEST_SUITE_P(Formats, CrashTest, ::testing::Values("raw", "framed"));

TEST_F(PullTest, ConnectionCutDuringRotation) {
  const auto file = remote("auth.log");
  Writer w(file, 2000);
  auto agent = start({"--follow", follow("auth.log"), "--format", "framed"});
  std::this_thread::sleep_for(800ms);
  // The connection drops and stays down while the file is rotated and the writer moves on.
  sshd_.stop();
  sshd_.cut_connections();
  rotate_by_rename(file);
  std::this_thread::sleep_for(100ms);
  w.reopen();
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(eventually([&] { return json_string(status_text(), "state") == "unreachable"; }, 5s))
      << status_text();
  EXPECT_NE(json_string(status_text(), "unreachable_since"), "");
  sshd_.start();
  // Cut again while it catches up with the renamed file, as a flaky link would.
  std::this_thread::sleep_for(1500ms);
  sshd_.cut_connections();
  std::this_thread::sleep_for(800ms);
  w.stop();
  expect_copy(copy("auth.log"), w.written(), true);
  // The renamed file was found as auth.log.1 by its identity and read to its end.
  EXPECT_TRUE(eventually([&] { return json_number(status_text(), "rotations") == 1; }, 5s))
      << status_text();
  EXPECT_EQ(json_number(status_text(), "replaced"), 0);
  stop(agent);
  expect_verifies(copy("auth.log"));
}

// Each followed file is a stream with its own key, derived from a genesis key that evolves
// at each stream start: afterwards no file of the state directory holds the verification key,
// so whoever reads it cannot reseal these streams; a batch moved between the copies is found.
TEST_F(PullTest, EachStreamHasItsOwnKeyAndTheStateDirectoryNoLongerHoldsTheFirst) {
  append(remote("auth.log"), numbered(1) + numbered(2));
  append(remote("syslog"), numbered(3));
  auto agent = start({"--follow", follow("auth.log"), "--follow", follow("syslog")});
  expect_copy(copy("auth.log"), numbered(1) + numbered(2), true);
  expect_copy(copy("syslog"), numbered(3), true);
  stop(agent);
  const auto key_text = slurp(key());
  const auto g0 = key_text.substr(key_text.find("logship-key v1 ") + 15, 64);
  for (const auto& e : fs::recursive_directory_iterator(state())) {
    if (!e.is_regular_file()) continue;
    EXPECT_EQ(slurp(e.path()).find(g0), std::string::npos) << e.path() << " holds the key";
  }
  const auto a = slurp(copy("auth.log")), b = slurp(copy("syslog"));
  EXPECT_NE(a.find(" genesis="), std::string::npos) << a;
  EXPECT_NE(a.substr(a.find(" genesis=") + 9, 1), b.substr(b.find(" genesis=") + 9, 1));
  expect_verifies(copy("auth.log"));
  expect_verifies(copy("syslog"));
  // auth.log's first batch (begin line to end line) put into syslog's copy.
  const auto first = a.substr(a.find("@logship begin"), a.find('\n', a.find("@logship end")) + 1);
  append(copy("syslog"), first);
  auto v = verify(copy("syslog"), {"--key", key().string()});
  EXPECT_EQ(v.code, 1) << v.out;
  EXPECT_NE(v.out.find("stream-mixed"), std::string::npos) << v.out;
}

TEST_F(PullTest, HundredFilesOnOneSession) {
  std::vector<std::string> a;
  std::vector<std::string> expected(100);
  for (int f = 0; f < 100; ++f) {
    const auto name = "f" + std::to_string(f) + ".log";
    for (int i = 0; i < 20; ++i) expected[f] += numbered(f * 1000 + i);
    append(remote(name), expected[f]);
    a.push_back("--follow");
    a.push_back(follow(name));
  }
  a.push_back("--format");
  a.push_back("raw");
  auto agent = start(a);
  for (int f = 0; f < 100; ++f) {
    const auto name = "f" + std::to_string(f) + ".log";
    const auto line = numbered(f * 1000 + 500);
    append(remote(name), line);
    expected[f] += line;
  }
  for (int f = 0; f < 100; ++f)
    expect_copy(copy("f" + std::to_string(f) + ".log"), expected[f], false, 30s, false);
  std::this_thread::sleep_for(300ms);
  for (int f = 0; f < 100; ++f)
    EXPECT_EQ(slurp(copy("f" + std::to_string(f) + ".log")), expected[f]);
  int sftp_servers = 0;
  for (const auto& p : sshd_.processes()) sftp_servers += p.comm == "sftp-server";
  EXPECT_EQ(sftp_servers, 1);
  EXPECT_TRUE(eventually([&] { return json_number(status_text(), "connections") == 1; }, 5s));
  stop(agent);
}

TEST_F(PullTest, SecondInstanceExitsZeroSighupIgnoredUnreachableReported) {
  append(remote("a.log"), numbered(1));
  auto agent = start({"--follow", follow("a.log"), "--format", "raw"});
  auto second = run_program(args({"--follow", follow("a.log"), "--format", "raw"}));
  EXPECT_EQ(second.code, 0);
  EXPECT_NE(second.err.find("already running"), std::string::npos) << second.err;
  agent->signal(SIGHUP);
  std::this_thread::sleep_for(300ms);  // time for a wrong SIGHUP handling to kill it
  EXPECT_TRUE(agent->running());
  stop(agent);
}

// A host whose TCP port answers but whose SSH never speaks: the agent sits in its SSH
// handshake with 60 s of --connect-timeout left. SIGTERM ends it at once all the same.
TEST_F(PullTest, SigtermEndsTheAgentAtOnceWhileItIsConnecting) {
  const SilentListener silent;
  append(remote("auth.log"), numbered(1));
  auto a = args({"--follow", follow("auth.log")});
  for (std::size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == "--port") a[i + 1] = std::to_string(silent.port());
    if (a[i] == "--connect-timeout") a[i + 1] = "60";
  }
  Child agent(a, log());
  ASSERT_TRUE(
      eventually([&] { return slurp(log()).find("following 1 file") != std::string::npos; }, 10s))
      << slurp(log());
  std::this_thread::sleep_for(1500ms);  // connecting by now: the handshake never completes
  const auto t0 = std::chrono::steady_clock::now();
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_for(10s), 0) << tail_of_log();
  const auto took = std::chrono::steady_clock::now() - t0;
  std::printf(
      "exit after SIGTERM while connecting: %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_LT(took, 1s) << tail_of_log();
}

// SIGTERM while a request is in flight on a link that stopped answering: the agent exits at
// once (not after --timeout), and what it copied is exactly what a restart continues from.
TEST_P(StopTest, SigtermDuringAStalledRequestExitsAtOnceLosingNothing) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("auth.log");
  std::string expected;
  for (int i = 1; i <= 2000; ++i) expected += numbered(i);
  append(file, expected);
  const std::vector<std::string> a = {"--follow", follow("auth.log"), "--format",
                                      GetParam(), "--timeout",        "60"};
  auto agent = start(a);
  expect_copy(copy("auth.log"), expected, framed, 30s, false);
  std::string more;
  for (int i = 2001; i <= 2500; ++i) more += numbered(i);
  append(file, more);
  expected += more;
  sshd_.freeze_connections();
  // The agent is stuck in a request once its status file stops being rewritten (every 1 s).
  const auto stuck = [&] {
    std::error_code ec;
    const auto t = fs::last_write_time(status(), ec);
    return !ec && fs::file_time_type::clock::now() - t > 2500ms;
  };
  ASSERT_TRUE(eventually(stuck, 20s)) << tail_of_log();
  const auto t0 = std::chrono::steady_clock::now();
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait_for(20s), 0) << tail_of_log();
  const auto took = std::chrono::steady_clock::now() - t0;
  std::printf(
      "exit after SIGTERM with a request in flight: %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_LT(took, 2500ms) << "SIGTERM waited for the stalled request";
  sshd_.thaw_connections();
  auto again = start(a);
  expect_copy(copy("auth.log"), expected, framed);
  stop(again);
  if (framed) expect_verifies(copy("auth.log"));
}

// SIGTERM in the middle of a catch-up: quick, and the restart continues without a loss or a
// repeat.
TEST_P(StopTest, SigtermDuringCatchUpThenRestart) {
  const bool framed = std::string(GetParam()) == "framed";
  const auto file = remote("big.log");
  const std::string expected = write_numbered(file, 64u << 20);
  const std::vector<std::string> a = {"--follow", follow("big.log"), "--format", GetParam()};
  auto agent = std::make_unique<Child>(args(a), log());
  ASSERT_TRUE(eventually(
      [&] {
        std::error_code ec;
        return fs::file_size(copy("big.log"), ec) >= (8u << 20) && !ec;
      },
      30s));
  const auto t0 = std::chrono::steady_clock::now();
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait_for(20s), 0) << tail_of_log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
  std::error_code ec;
  EXPECT_LT(fs::file_size(copy("big.log"), ec), expected.size()) << "stopped after the end";
  auto again = start(a);
  expect_copy(copy("big.log"), expected, framed, 60s);
  stop(again);
  if (framed) expect_verifies(copy("big.log"));
}

INSTANTIATE_TEST_SUITE_P(Formats, StopTest, ::testing::Values("raw", "framed"));

// ---- tail mode ----

class TailModeTest : public PullTest {
 protected:
  void SetUp() override {
    PullTest::SetUp();
    tail_key_ = sshd_.make_client_key("tail");
    sshd_.add_authorized_key(tail_key_options(remote("auth.log")), tail_key_);
  }
  std::vector<std::string> tail_args() const {
    auto a = args({"--mode", "tail", "--format", "raw", "--follow", follow("auth.log")});
    for (std::size_t i = 0; i + 1 < a.size(); ++i)
      if (a[i] == "--identity") a[i + 1] = tail_key_.private_key.string();
    return a;
  }
  int tails() const {
    int n = 0;
    for (const auto& p : sshd_.processes()) n += p.comm == "tail";
    return n;
  }
  ClientKey tail_key_;
};

// The copy's line numbers, in order.
std::vector<std::uint64_t> line_numbers(const std::string& copy) {
  std::vector<std::uint64_t> out;
  std::istringstream in(copy);
  for (std::string line; std::getline(in, line);) out.push_back(std::stoull(line.substr(5, 8)));
  return out;
}

// What the reconnects of tail mode did to a copy of lines 1..total: the copy is runs of
// consecutive lines; between two runs, a new `tail -F` started 10 lines before the end of the
// file as it was then, so it either skipped lines (lost) or printed some again (repeated).
struct Restarts {
  std::uint64_t breaks = 0, lost = 0, repeated = 0;
  std::uint64_t max_repeat = 0;  // most lines printed again at one restart
  std::string problem;           // a violation of those semantics, "" when none
};
Restarts restarts(const std::vector<std::uint64_t>& lines, std::uint64_t total) {
  Restarts r;
  if (lines.empty()) {
    r.problem = "empty copy";
    return r;
  }
  if (lines.front() != 1) r.problem = "the first tail did not start at line 1";
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto a = lines[i - 1], b = lines[i];
    if (b == a + 1) continue;
    ++r.breaks;
    if (b > a) {
      r.lost += b - a - 1;
    } else {
      r.repeated += a - b + 1;
      r.max_repeat = std::max(r.max_repeat, a - b + 1);
    }
  }
  for (auto n : lines)
    if (n < 1 || n > total) r.problem = "line " + std::to_string(n) + " was never written";
  if (lines.back() != total) r.problem = "the copy does not end with the last line written";
  return r;
}

TEST_F(TailModeTest, MeasuresWhatAReconnectLosesAndRepeats) {
  const auto file = remote("auth.log");
  std::string first;
  for (int i = 1; i <= 5; ++i) first += numbered(i);
  append(file, first);
  auto agent = std::make_unique<Child>(tail_args(), log());
  auto connections = [&] { return json_number(status_text(), "connections"); };
  // The first tail printed the short file whole: the copy starts at line 1.
  ASSERT_TRUE(eventually([&] { return slurp(copy("auth.log")) == first; }, 10s)) << tail_of_log();
  std::uint64_t total = 0;
  {
    Writer w(file, 2000, 6);
    std::this_thread::sleep_for(500ms);  // lines written and copied while the link is up
    const auto before = connections();
    sshd_.cut_connections();  // down until the agent notices and reconnects, lines still written
    EXPECT_TRUE(eventually([&] { return connections() > before; }, 10s)) << tail_of_log();
    std::this_thread::sleep_for(700ms);  // and copied again for a while
    w.stop();
    total = w.count();
  }
  ASSERT_TRUE(eventually([&] { return slurp(copy("auth.log")).ends_with(numbered(total)); }, 10s))
      << tail_of_log();
  const auto busy_lines = line_numbers(slurp(copy("auth.log")));
  const auto busy = restarts(busy_lines, total);
  const auto busy_connections = connections();

  // The same on a quiet file: nothing is written while the link is down, so each new tail
  // prints (up to) the last 10 lines again and loses nothing.
  sshd_.cut_connections();
  EXPECT_TRUE(eventually([&] { return connections() > busy_connections; }, 10s)) << tail_of_log();
  // (a moment for the new tail's repeat to arrive; the line below is copied either way)
  (void)eventually(
      [&] { return line_numbers(slurp(copy("auth.log"))).size() >= busy_lines.size() + 10; }, 3s);
  append(file, numbered(total + 1));
  ASSERT_TRUE(
      eventually([&] { return slurp(copy("auth.log")).ends_with(numbered(total + 1)); }, 10s));
  // Each reconnect (normally one) printed at most the last 10 lines once more; how many
  // depends on when the cut came, so the counts are printed, not asserted.
  const auto quiet_reconnects = static_cast<std::uint64_t>(connections() - busy_connections);
  const auto quiet_lines = line_numbers(slurp(copy("auth.log")));
  const auto quiet = restarts(quiet_lines, total + 1);

  std::printf(
      "tail mode, reconnects while 2000 lines/s are written: %llu restart(s) seen in the copy "
      "(%lld connections), %llu lines lost, %llu repeated (of %llu); on a quiet file: %llu "
      "reconnect(s), %llu lost, %llu repeated\n",
      static_cast<unsigned long long>(busy.breaks), static_cast<long long>(busy_connections),
      static_cast<unsigned long long>(busy.lost), static_cast<unsigned long long>(busy.repeated),
      static_cast<unsigned long long>(total), static_cast<unsigned long long>(quiet_reconnects),
      static_cast<unsigned long long>(quiet.lost - busy.lost),
      static_cast<unsigned long long>(quiet.repeated - busy.repeated));
  RecordProperty("busy_lost_lines", std::to_string(busy.lost));
  RecordProperty("busy_repeated_lines", std::to_string(busy.repeated));
  RecordProperty("quiet_repeated_lines", std::to_string(quiet.repeated - busy.repeated));
  // What must hold however long the link stayed down: each restart shows in the copy at most
  // once per connection made, and repeats at most tail's 10 lines; the copy holds only lines
  // written, in runs, and ends with the last one.
  EXPECT_EQ(busy.problem, "");
  EXPECT_LE(busy.breaks, static_cast<std::uint64_t>(busy_connections - 1));
  EXPECT_LE(busy.max_repeat, 10u);
  // On the quiet file nothing was written while the link was down: nothing more is lost, and
  // each reconnect repeats at most 10 lines.
  EXPECT_EQ(quiet.problem, "");
  EXPECT_GE(quiet_reconnects, 1u);
  EXPECT_EQ(quiet.lost, busy.lost);
  EXPECT_LE(quiet.breaks - busy.breaks, quiet_reconnects);
  EXPECT_LE(quiet.repeated - busy.repeated, 10 * quiet_reconnects);
  EXPECT_LE(quiet.max_repeat, 10u);
  stop(agent);
  EXPECT_TRUE(eventually([&] { return tails() == 0; }, 5s)) << "a remote tail outlived SIGTERM";
}

TEST_F(TailModeTest, NoRemoteTailLeftAfterKillOrFrozenLink) {
  append(remote("auth.log"), numbered(1));
  auto agent = std::make_unique<Child>(tail_args(), log());
  ASSERT_TRUE(eventually([&] { return tails() == 1; }, 10s)) << tail_of_log();
  // The agent dies without closing anything: sshd sees the connection close, tail goes.
  agent->signal(SIGKILL);
  agent->wait_for(5s);
  EXPECT_TRUE(eventually([&] { return tails() == 0; }, 10s)) << "a remote tail outlived kill -9";

  // A frozen link: the agent times out, reconnects (a second tail), and when the old
  // connection wakes up and finds its client gone, its tail goes too.
  agent = std::make_unique<Child>(tail_args(), log());
  ASSERT_TRUE(eventually([&] { return tails() == 1; }, 10s)) << tail_of_log();
  sshd_.freeze_connections();
  EXPECT_TRUE(eventually([&] { return tails() == 2; }, 20s)) << tail_of_log();
  sshd_.thaw_connections();
  append(remote("auth.log"), numbered(2));
  EXPECT_TRUE(eventually([&] { return tails() == 1; }, 10s))
      << "the frozen connection's tail stayed";
  stop(agent);
  EXPECT_TRUE(eventually([&] { return tails() == 0; }, 5s));
}

}  // namespace
}  // namespace logship::test
