// End-to-end tests of logship-verify --follow, the built binary: following a vault file that
// logship-push fills through a private sshd (restricted `flock cat >> FILE` key), and vault
// files written here (forgeries, truncation, replacement, an in-place edit, 100 streams).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "support/child.hpp"
#include "support/fifo_writer.hpp"
#include "support/push_args.hpp"
#include "support/sshd_fixture.hpp"
#include "support/test_files.hpp"
#include "vault_fixture.hpp"

namespace logship::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using vault::testing::at;
using vault::testing::lines;

std::string numbered(std::uint64_t i) {
  return "auth line " + std::to_string(i) + " sshd[42]: ok\n";
}

// A watcher's status document: the object of stream `name`, or "".
std::string stream_status(const std::string& status, const std::string& name) {
  const auto at_name = status.find("{\"name\":\"" + name + "\"");
  if (at_name == std::string::npos) return "";
  const auto next = status.find("{\"name\":", at_name + 1);
  return status.substr(at_name, next == std::string::npos ? std::string::npos : next - at_name);
}
std::int64_t number(const std::string& json, const std::string& key) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + key + "\":(-?[0-9]+)"))) return std::stoll(m[1]);
  return -1;
}

// A watcher run by the test: its files live in `dir`.
class Watcher {
 public:
  Watcher(fs::path dir, std::vector<std::string> args)
      : dir_(std::move(dir)), args_(std::move(args)) {
    fs::create_directories(dir_);
  }
  fs::path log() const { return dir_ / "watch.log"; }
  fs::path status() const { return dir_ / "status.json"; }
  fs::path emit() const { return dir_ / "emit.log"; }
  void start() {
    std::vector<std::string> a = {program_path("logship-verify").string(),
                                  "--follow",
                                  "--state-dir",
                                  (dir_ / "state").string(),
                                  "--status-file",
                                  status().string(),
                                  "--emit",
                                  emit().string(),
                                  "--poll-interval",
                                  "100"};
    a.insert(a.end(), args_.begin(), args_.end());
    fs::remove(status());
    child_ = std::make_unique<Child>(a, log());
    EXPECT_TRUE(eventually([&] { return fs::exists(status()); }, 10s)) << slurp(log());
  }
  void kill9() {
    child_->signal(SIGKILL);
    child_->wait_for(5s);
  }
  void signal(int sig) { child_->signal(sig); }
  bool running() { return child_ && child_->running(); }
  std::optional<int> stop() {
    child_->signal(SIGTERM);
    return child_->wait_for(1500ms);
  }
  std::string text() const { return slurp(log()); }
  // Waits until the log holds `pattern` (a regex) `n` times.
  bool logged(const std::string& pattern, std::chrono::milliseconds within, std::size_t n = 1) {
    const std::regex re(pattern);
    return eventually(
        [&] {
          const auto t = text();
          return static_cast<std::size_t>(std::distance(
                     std::sregex_iterator(t.begin(), t.end(), re), std::sregex_iterator())) >= n;
        },
        within);
  }

 private:
  fs::path dir_;
  std::vector<std::string> args_;
  std::unique_ptr<Child> child_;
};

// ---- with logship-push and a private sshd ----

class WatchPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    home_ = sshd_.dir() / "host";
    fs::create_directories(home_);
    vault_ = sshd_.dir() / "vault.log";
    sshd_.add_authorized_key(push_key_options(vault_), sshd_.client_key());
    sshd_.start();
    sshd_.write_known_hosts();
    auto init =
        run_program({program_path("logship-push").string(), "init", "--state-dir",
                     (home_ / "state").string(), "--key-out", key().string(), "--source", "web1"});
    ASSERT_EQ(init.code, 0) << init.err;
  }
  fs::path key() const { return home_ / "web1.key"; }
  fs::path fifo() const { return home_ / "in.fifo"; }
  std::unique_ptr<Child> start_push(std::vector<std::string> extra = {}) {
    const auto a = push_args(sshd_, fifo(), home_ / "state", home_ / "push.json", extra);
    auto c = std::make_unique<Child>(a, home_ / "push.log");
    EXPECT_TRUE(eventually([&] { return fs::exists(home_ / "push.json"); }, 10s))
        << slurp(home_ / "push.log");
    return c;
  }
  SshdFixture sshd_;
  fs::path home_, vault_;
};

// What was written into the FIFO comes out of --emit once, in order, although the watcher
// and the agent are each killed with SIGKILL and restarted while lines flow.
TEST_F(WatchPushTest, EmittedLinesAreTheInputOnceAcrossKillNineOfWatcherAndAgent) {
  auto push = start_push();
  Watcher w(home_ / "watch", {"--key", key().string(), vault_.string()});
  w.start();
  std::string expected;
  std::thread writer([&] {
    FifoWriter f(fifo());
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t i = 1; i <= 20'000; ++i) {
      const auto l = numbered(i);
      f.write(l);
      expected += l;
      if (i % 20 == 0) std::this_thread::sleep_until(t0 + i * 250us);
    }
  });
  std::this_thread::sleep_for(1200ms);
  w.kill9();
  w.start();
  std::this_thread::sleep_for(1000ms);
  push->signal(SIGKILL);
  push->wait_for(5s);
  push = start_push();
  std::this_thread::sleep_for(800ms);
  w.kill9();
  w.start();
  writer.join();
  EXPECT_TRUE(eventually([&] { return slurp(w.emit()).size() >= expected.size(); }, 60s))
      << slurp(w.emit()).size() << " of " << expected.size() << " bytes\n"
      << w.text();
  std::this_thread::sleep_for(500ms);  // (nothing more may come)
  const auto got = slurp(w.emit());
  EXPECT_TRUE(got == expected) << "emitted " << got.size() << " bytes, expected "
                               << expected.size();
  EXPECT_EQ(w.text().find(" warn"), std::string::npos) << w.text();  // no finding
  EXPECT_EQ(w.stop(), 0);
}

// An agent stopped for longer than max-silence is a silence finding within max-silence + 2 s,
// cleared with an info once it speaks again.
TEST_F(WatchPushTest, AStoppedAgentIsASilenceWhileItLastsAndClearedAfter) {
  auto push = start_push({"--heartbeat", "1"});
  Watcher w(home_ / "watch", {"--key", key().string(), "--max-silence", "3", vault_.string()});
  w.start();
  ASSERT_TRUE(eventually([&] { return number(slurp(w.status()), "last_seq") >= 1; }, 10s))
      << slurp(w.status());
  push->signal(SIGSTOP);
  const auto stopped = std::chrono::steady_clock::now();
  // The last heartbeat may have been up to 1 s before the stop.
  EXPECT_TRUE(w.logged("silence: no new batch", 3s + 2s + 1s)) << w.text();
  EXPECT_GE(std::chrono::steady_clock::now() - stopped, 2s);
  EXPECT_TRUE(eventually(
      [&] { return slurp(w.status()).find("\"silent\":true") != std::string::npos; }, 2s));
  push->signal(SIGCONT);
  EXPECT_TRUE(w.logged("info: silence-ended", 5s)) << w.text();
  EXPECT_TRUE(eventually(
      [&] { return slurp(w.status()).find("\"silent\":false") != std::string::npos; }, 3s));
  EXPECT_EQ(w.stop(), 0);
}

// ---- vault files written by the test ----

class WatchFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = dir_.path() / "k.key";
    const auto k = vault::testing::test_key();
    // logship-key v1 text, as logship-push init writes it
    std::ofstream(key_) << "logship-key v1 " << crypto::to_hex(k) << "\n";
    fs::permissions(key_, fs::perms::owner_read | fs::perms::owner_write);
  }
  void append(const fs::path& f, const std::string& bytes) {
    std::ofstream(f, std::ios::app | std::ios::binary) << bytes;
  }
  std::string batch(vault::testing::Sender& s, int i) {
    return s.next(lines({"event " + std::to_string(i) + " from " + std::to_string(::getpid())}),
                  at(i));
  }
  vault::testing::TempDir dir_;
  fs::path key_;
};

// A forged batch, a truncation, a replacement: each a finding within 2 s; an edit of bytes
// already verified: found by the re-verification (SIGUSR1). The watcher keeps running and
// goes on verifying what follows.
TEST_F(WatchFileTest, ForgeryTruncationReplacementAndAnEditAreFoundAndTheWatcherGoesOn) {
  const auto file = dir_.path() / "v.log";
  vault::testing::Sender s;
  std::string good;
  for (int i = 0; i < 5; ++i) good += batch(s, i);
  append(file, good);
  Watcher w(dir_.path() / "w", {"--key", key_.string(), "--rescan-interval", "0", file.string()});
  w.start();
  ASSERT_TRUE(eventually([&] { return number(slurp(w.status()), "last_seq") == 4; }, 5s));

  // A forged batch: an earlier one again, a byte of its payload changed.
  auto forged = good.substr(0, good.find("@logship end"));
  forged += good.substr(good.find("@logship end"),
                        good.find('\n', good.find("@logship end")) - good.find("@logship end") + 1);
  forged[forged.find("event 0")] = 'E';
  append(file, forged);
  EXPECT_TRUE(w.logged("warn.*(chain-break|sequence-repeat|sequence-backwards)", 2s)) << w.text();

  // An edit in place of a verified line (same length): only a re-verification sees it.
  {
    const auto pos = good.find("event 2");
    UniqueFd fd(::open(file.c_str(), O_WRONLY));
    ASSERT_EQ(::pwrite(fd.get(), "EVENT", 5, static_cast<off_t>(pos)), 5);
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(w.text().find("re-verification"), std::string::npos) << w.text();
  w.signal(SIGUSR1);
  EXPECT_TRUE(w.logged("warn.*chain-break: found by re-verification", 3s)) << w.text();

  // Truncated.
  ASSERT_EQ(::truncate(file.c_str(), static_cast<off_t>(good.size() / 2)), 0);
  EXPECT_TRUE(w.logged("warn.*file-shrunk", 2s)) << w.text();

  // Replaced: renamed away (not to a rotated name) and a new file in its place.
  fs::rename(file, dir_.path() / "elsewhere");
  append(file, batch(s, 5));
  EXPECT_TRUE(w.logged("warn.*file-replaced", 2s)) << w.text();
  EXPECT_TRUE(w.running());
  // ... and what comes next is verified: the sender's next batch continues the chain.
  append(file, batch(s, 6));
  EXPECT_TRUE(eventually([&] { return number(slurp(w.status()), "last_seq") == 6; }, 3s))
      << slurp(w.status());
  EXPECT_EQ(w.stop(), 0);
}

// The vault's rotation (rename, new file, as logrotate with dateext): no finding, every line
// emitted once, and a restart after it resumes without repeating any.
TEST_F(WatchFileTest, RotationContinuesTheStreamWithoutFindingOrRepeat) {
  const auto file = dir_.path() / "v.log";
  vault::testing::Sender s;
  std::string expected;
  auto add = [&](int i) {
    append(file, batch(s, i));
    expected += "event " + std::to_string(i) + " from " + std::to_string(::getpid()) + "\n";
  };
  for (int i = 0; i < 3; ++i) add(i);
  Watcher w(dir_.path() / "w", {"--key", key_.string(), file.string()});
  w.start();
  ASSERT_TRUE(eventually([&] { return number(slurp(w.status()), "last_seq") == 2; }, 5s));
  fs::rename(file, file.string() + "-20261205-1733400000");
  add(3);
  add(4);
  EXPECT_TRUE(w.logged("info: file-rotated", 5s)) << w.text();
  EXPECT_TRUE(eventually([&] { return number(slurp(w.status()), "last_seq") == 4; }, 5s));
  EXPECT_EQ(w.stop(), 0);
  // While it is stopped: two more rotations.
  add(5);
  fs::rename(file, file.string() + "-20261206-1733500000");
  add(6);
  fs::rename(file, file.string() + "-20261207-1733600000");
  add(7);
  w.start();
  EXPECT_TRUE(eventually([&] { return slurp(w.emit()) == expected; }, 5s))
      << slurp(w.emit()) << "\n"
      << w.text();
  w.signal(SIGUSR1);
  EXPECT_TRUE(w.logged("re-verification of 1 streams done", 5s)) << w.text();
  EXPECT_EQ(w.text().find(" warn"), std::string::npos) << w.text();
  EXPECT_EQ(w.stop(), 0);
}

// Bytes removed while the watcher was stopped: a finding at its next start, not an error.
TEST_F(WatchFileTest, AFileTruncatedWhileTheWatcherWasStoppedIsAFindingAtItsStart) {
  const auto file = dir_.path() / "v.log";
  vault::testing::Sender s;
  for (int i = 0; i < 4; ++i) append(file, batch(s, i));
  Watcher w(dir_.path() / "w", {"--key", key_.string(), file.string()});
  w.start();
  ASSERT_TRUE(eventually([&] { return number(slurp(w.status()), "last_seq") == 3; }, 5s));
  EXPECT_EQ(w.stop(), 0);
  ASSERT_EQ(::truncate(file.c_str(), 100), 0);
  w.start();
  EXPECT_TRUE(w.logged("warn.*file-shrunk.*while the watcher was stopped", 3s)) << w.text();
  EXPECT_TRUE(w.running());
  EXPECT_EQ(w.stop(), 0);
}

// 100 streams in one watcher, one of them fed garbage: the other 99 go on unaffected.
TEST_F(WatchFileTest, OneStreamFedGarbageDoesNotAffectTheOther99) {
  constexpr int kStreams = 100;
  std::vector<std::unique_ptr<vault::testing::Sender>> senders;
  std::string conf;
  for (int i = 0; i < kStreams; ++i) {
    const auto name = "s" + std::to_string(i);
    senders.push_back(std::make_unique<vault::testing::Sender>("host" + std::to_string(i), "auth"));
    append(dir_.path() / (name + ".log"), batch(*senders.back(), 0));
    conf += "[" + name + "]\nfile = " + (dir_.path() / (name + ".log")).string() +
            "\nkey = " + key_.string() + "\n";
  }
  std::ofstream(dir_.path() / "streams.conf") << conf;
  Watcher w(dir_.path() / "w", {"--streams", (dir_.path() / "streams.conf").string()});
  w.start();
  // Garbage: 20 MB of random bytes without line ends, then lines of noise.
  {
    std::string junk(20 << 20, '\0');
    std::uint32_t x = 12345;
    for (auto& c : junk) c = static_cast<char>((x = x * 1103515245 + 12345) >> 24);
    for (std::size_t i = 0; i < junk.size(); i += 997) junk[i] = '\n';
    append(dir_.path() / "s7.log", junk);
  }
  for (int i = 0; i < kStreams; ++i)
    append(dir_.path() / ("s" + std::to_string(i) + ".log"), batch(*senders[i], 1));
  EXPECT_TRUE(eventually(
      [&] {
        const auto st = slurp(w.status());
        for (int i = 0; i < kStreams; ++i)
          if (i != 7 && number(stream_status(st, "s" + std::to_string(i)), "last_seq") != 1)
            return false;
        return true;
      },
      10s))
      << slurp(w.status()).substr(0, 4000);
  const auto st = slurp(w.status());
  for (int i = 0; i < kStreams; ++i) {
    const auto one = stream_status(st, "s" + std::to_string(i));
    if (i == 7)
      EXPECT_GT(number(one, "findings"), 0) << one;
    else
      EXPECT_EQ(number(one, "findings"), 0) << one;
  }
  EXPECT_EQ(w.stop(), 0);
}

// --emit-format json: one object per verified line, lossless for any bytes (NUL, CR, bytes that
// are not UTF-8), with the batch's src, stream, seq, time and the line's index.
TEST_F(WatchFileTest, JsonEmitIsLosslessForAnyBytes) {
  const auto file = dir_.path() / "v.log";
  vault::testing::Sender s;
  const std::string nul("a\0b", 3), bad = "caf\xe9 \xff", cr = "dos line\r",
                                    quote = "say \"hi\" \\ ok";
  append(file, s.next(lines({nul, bad}), at(0)));
  append(file, s.next(lines({cr, quote, ""}), at(1)));
  Watcher w(dir_.path() / "w", {"--key", key_.string(), "--emit-format", "json", file.string()});
  w.start();
  ASSERT_TRUE(eventually([&] { return number(slurp(w.status()), "last_seq") == 1; }, 5s));
  EXPECT_EQ(w.stop(), 0);
  const std::string want =
      R"({"src":"web1","stream":"auth","seq":0,"time":"2026-11-22T02:20:40.000000Z","index":0,"line":"a\u0000b"})"
      "\n"
      R"({"src":"web1","stream":"auth","seq":0,"time":"2026-11-22T02:20:40.000000Z","index":1,"line_base64":"Y2Fm6SD/"})"
      "\n"
      R"({"src":"web1","stream":"auth","seq":1,"time":"2026-11-22T02:20:41.000000Z","index":0,"line":"dos line\u000d"})"
      "\n"
      R"({"src":"web1","stream":"auth","seq":1,"time":"2026-11-22T02:20:41.000000Z","index":1,"line":"say \"hi\" \\ ok"})"
      "\n"
      R"({"src":"web1","stream":"auth","seq":1,"time":"2026-11-22T02:20:41.000000Z","index":2,"line":""})"
      "\n";
  EXPECT_EQ(slurp(w.emit()), want);
}

// --on-finding runs the program without a shell, with the finding in argv and environment
// (a planted line that would run a command in a shell does not); a flood of findings runs it
// at most 20 times at once (4 at a time), and one more run says how many were not passed on.
TEST_F(WatchFileTest, OnFindingRunsTheProgramWithoutAShellAndRateLimited) {
  const auto file = dir_.path() / "v.log";
  const auto calls = dir_.path() / "calls";
  fs::create_directories(calls);
  const auto program = dir_.path() / "alarm.sh";
  std::ofstream(program)
      << "#!/bin/sh\n"
         "f=$(mktemp \""
      << calls.string()
      << "/call.XXXXXX\")\n"
         "printf '%s|%s|%s|%s\\n' \"$1\" \"$2\" \"$LOGSHIP_KIND\" \"$LOGSHIP_STREAM\" > \"$f\"\n"
         "printf '%s\\n' \"$5\" >> \"$f\"\n";
  fs::permissions(program, fs::perms::owner_all);
  vault::testing::Sender s;
  append(file, batch(s, 0));
  Watcher w(dir_.path() / "w",
            {"--key", key_.string(), "--on-finding", program.string(), file.string()});
  w.start();
  ASSERT_TRUE(eventually([&] { return number(slurp(w.status()), "last_seq") == 0; }, 5s));
  // A planted line whose text would run a command if it ever reached a shell.
  append(file, "$(touch " + (dir_.path() / "pwned").string() + ") `id`\n");
  auto count = [&] {
    return std::distance(fs::directory_iterator(calls), fs::directory_iterator());
  };
  auto first = [&] {  // (written in two steps by the program: wait for both)
    return count() == 1 ? slurp(fs::directory_iterator(calls)->path()) : std::string();
  };
  ASSERT_TRUE(eventually(
      [&] {
        const auto text = first();
        return std::count(text.begin(), text.end(), '\n') == 2;
      },
      3s))
      << w.text();
  const auto one = first();
  EXPECT_EQ(one.substr(0, one.find('\n')), "stray-line|v.log|stray-line|v.log") << one;
  EXPECT_FALSE(fs::exists(dir_.path() / "pwned"));
  // A flood: 200 findings within a moment.
  for (int i = 0; i < 200; ++i) {
    append(file, "planted " + std::to_string(i) + "\n");
    append(file, batch(s, 1 + i));  // (a batch between: each planted line is its own finding)
  }
  ASSERT_TRUE(w.logged("warn.*stray-line", 10s, 201)) << w.text().substr(0, 3000);
  std::this_thread::sleep_for(1s);
  const auto runs = count();
  EXPECT_LE(runs, 1 + 20 + 2) << "the program ran " << runs << " times";
  EXPECT_GE(runs, 2);
  EXPECT_TRUE(eventually(
      [&] {
        for (const auto& e : fs::directory_iterator(calls))
          if (slurp(e.path()).starts_with("suppressed|")) return true;
        return false;
      },
      5s));
  EXPECT_EQ(w.stop(), 0);
}

// Usage errors name the cause and the fix, and exit 2.
TEST(WatchCli, BadInvocationsAreUsageErrors) {
  vault::testing::TempDir dir;
  const auto verify = program_path("logship-verify").string();
  for (const auto& [args, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--follow"}, "--follow needs the file"},
           {{"--follow", "x.log"}, "--follow needs --key"},
           {{"--follow", "--streams", (dir.path() / "none.conf").string()}, "cannot read streams"},
           {{"--follow", "--key", "k", "--extract", "x"}, "--extract is for a one-off"},
           {{"--emit", "x", "f"}, "--emit is only for --follow"},
       }) {
    std::vector<std::string> a = {verify};
    a.insert(a.end(), args.begin(), args.end());
    const auto out = run_program(a);
    EXPECT_EQ(out.code, 2) << out.err;
    EXPECT_NE(out.err.find(says), std::string::npos) << out.err;
  }
}

}  // namespace
}  // namespace logship::test
