#include "cli/agent.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli/agent_loop.hpp"

namespace logship::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class AgentShellTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("logship-agent-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A test agent: its run records the options, its init keeps a marker file.
  Agent agent() {
    Agent a;
    a.name = "test";
    a.info = {"logship-test", "logship-test [options]", "A test agent.", ""};
    a.add_run_options = [](OptionSet& set) { add_status_options(set); };
    a.run = [this](const po::variables_map& vm) {
      ran_with_ = status_options(vm);
      return 7;
    };
    a.init.description = "Makes a test state.";
    a.init.source_help = "source";
    a.init.marker = [](const fs::path& d) { return d / "test.state"; };
    a.init.refusal = "already holds a test state";
    a.init.subdir = "files";
    a.init.key_of = "for source";
    a.init.key_note = "Keep it safe.";
    a.init.advice = "";
    a.init.keep = [this](const fs::path& d, const crypto::Digest&) {
      kept_in_.push_back(d);
      if (fail_keep_) throw std::runtime_error("cannot keep");
      std::ofstream(d / "test.state") << "k";
    };
    return a;
  }
  int main(std::vector<std::string> args) {
    args.insert(args.begin(), "logship-test");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    const auto saved = spdlog::default_logger();
    const int code = agent_main(static_cast<int>(argv.size()), argv.data(), agent());
    spdlog::drop("logship-test");  // each agent_main() sets its logger up again
    spdlog::set_default_logger(saved);
    return code;
  }
  int init(const std::string& key) {
    return main({"init", "--state-dir", (dir_ / "state").string(), "--key-out",
                 (dir_ / key).string(), "--source", "web1", "--log-level", "off"});
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path dir_;
  std::vector<fs::path> kept_in_;
  bool fail_keep_ = false;
  std::optional<StatusOptions> ran_with_;
};

TEST_F(AgentShellTest, InitMakesThePrivateDirectoryTheKeyFileAndLetsTheAgentKeepK0) {
  ASSERT_EQ(init("k0"), kExitOk);
  const auto state = dir_ / "state";
  EXPECT_EQ(kept_in_, std::vector<fs::path>{state});
  EXPECT_TRUE(fs::is_directory(state / "files"));
  struct stat st {};
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir_ / "k0").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto key = slurp(dir_ / "k0");
  EXPECT_NE(key.find("logship verification key (K0) for source web1, made 20"), std::string::npos)
      << key;
  EXPECT_NE(key.find("Keep it safe."), std::string::npos) << key;
}

TEST_F(AgentShellTest, InitRefusesAnInitialisedDirectoryAndWritesNoKey) {
  ASSERT_EQ(init("k0"), kExitOk);
  EXPECT_EQ(init("k1"), kExitUsage);
  EXPECT_FALSE(fs::exists(dir_ / "k1"));
  EXPECT_EQ(kept_in_.size(), 1u) << "the agent is not asked to keep a second key";
}

TEST_F(AgentShellTest, InitFailsWhenTheAgentCannotKeepTheKey) {
  fail_keep_ = true;
  EXPECT_EQ(init("k0"), kExitFailure);
}

TEST_F(AgentShellTest, InitWantsAKeyFile) {
  EXPECT_EQ(main({"init", "--state-dir", (dir_ / "state").string()}), kExitUsage);
  EXPECT_FALSE(fs::exists(dir_ / "state"));
}

TEST_F(AgentShellTest, RunGetsItsOptionsAndItsExitCodeIsTheProgramsOwn) {
  EXPECT_EQ(main({"--status-file", "s.json", "--status-interval", "3", "--log-level", "off"}), 7);
  ASSERT_TRUE(ran_with_);
  EXPECT_EQ(ran_with_->files.json, fs::path("s.json"));
  EXPECT_FALSE(ran_with_->files.prometheus);
  EXPECT_EQ(ran_with_->interval, 3s);
}

TEST_F(AgentShellTest, BadOptionsAreUsageErrors) {
  EXPECT_EQ(main({"--status-interval", "0"}), kExitUsage);
  EXPECT_EQ(main({"--no-such-option"}), kExitUsage);
  EXPECT_FALSE(ran_with_);
}

TEST(AgentStateDir, XdgThenHomeThenTheWorkingDirectory) {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  const std::string saved_xdg = xdg ? xdg : "", saved_home = home ? home : "";
  ::setenv("XDG_STATE_HOME", "/x", 1);
  ::setenv("HOME", "/h", 1);
  EXPECT_EQ(default_state_dir("push"), fs::path("/x/logship/push"));
  ::unsetenv("XDG_STATE_HOME");
  EXPECT_EQ(default_state_dir("pull"), fs::path("/h/.local/state/logship/pull"));
  ::unsetenv("HOME");
  EXPECT_EQ(default_state_dir("pull"), fs::path("logship-pull-state"));
  if (xdg) ::setenv("XDG_STATE_HOME", saved_xdg.c_str(), 1);
  if (home) ::setenv("HOME", saved_home.c_str(), 1);
}

TEST(AgentStateDir, ASecondInstanceFindsTheDirectoryLocked) {
  const auto dir = fs::temp_directory_path() / ("logship-agent-lock-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    auto lock = lock_state_dir(dir);
    ASSERT_TRUE(lock);
    pid_t child = ::fork();
    if (child == 0) ::_exit(lock_state_dir(dir) ? 1 : 0);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child must be refused";
  }
  EXPECT_TRUE(lock_state_dir(dir)) << "released with its holder";
  fs::remove_all(dir);
}

TEST(AgentLoop, StatusIsDueAtOnceThenEveryInterval) {
  ManualClock clock;
  AgentLoop loop(clock, 5s);
  EXPECT_TRUE(loop.status_due());
  EXPECT_FALSE(loop.status_due());
  clock.advance(4999ms);
  EXPECT_FALSE(loop.status_due());
  clock.advance(1ms);
  EXPECT_TRUE(loop.status_due());
  EXPECT_FALSE(loop.status_due());
}

TEST(AgentLoop, SigtermStopsSighupDoesNot) {
  ManualClock clock;
  AgentLoop loop(clock, 5s);
  ::raise(SIGHUP);  // blocked: pending until read
  EXPECT_FALSE(loop.stopping());
  ::raise(SIGTERM);
  EXPECT_TRUE(loop.stopping());
  EXPECT_TRUE(loop.stopping()) << "stays stopped";
}

TEST(AgentLoop, StopEndsTheLoop) {
  ManualClock clock;
  AgentLoop loop(clock, 5s);
  EXPECT_FALSE(loop.stopping());
  loop.stop();
  EXPECT_TRUE(loop.stopping());
}

TEST(AgentLoop, WaitWakesForItsDescriptorAndASignal) {
  ManualClock clock;
  AgentLoop loop(clock, 5s);
  (void)loop.status_due();  // the next is 5 s away on the manual clock
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(loop.wait(fds[0], clock.now() + 1h)) << "nothing came: woken by kMaxWait";
  EXPECT_GE(std::chrono::steady_clock::now() - start, AgentLoop::kMaxWait - 50ms);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  EXPECT_TRUE(loop.wait(fds[0], clock.now() + 1h));
  ::raise(SIGTERM);
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(loop.wait(-1, clock.now() + 1h));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 500ms) << "a signal wakes it at once";
  EXPECT_TRUE(loop.stopping());
  clock.advance(5s);
  const auto due = std::chrono::steady_clock::now();
  EXPECT_FALSE(loop.wait(-1, clock.now() + 1h));
  EXPECT_LT(std::chrono::steady_clock::now() - due, 500ms) << "a due status wakes it at once";
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace logship::cli
