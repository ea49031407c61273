#include "cli/cli.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace logship::cli {
namespace {

struct Fixture {
  ProgramInfo info{"logship-test", "logship-test [options] FILE...", "Test program.", ""};
  OptionSet set;
  Fixture() {
    set.options.add_options()("host", po::value<std::string>(), "vault host")(
        "port", po::value<int>()->default_value(22), "port");
    set.hidden.add_options()("file", po::value<std::vector<std::string>>(), "files");
    set.positional.add("file", -1);
  }
};

std::string temp_config(const std::string& text) {
  auto p = std::filesystem::temp_directory_path() /
           ("logship-cli-" + std::to_string(::getpid()) + ".ini");
  std::ofstream(p) << text;
  return p.string();
}

TEST(Cli, CommandLineWinsOverConfig) {
  Fixture f;
  auto cfg = temp_config("host = vault.example\nport = 2222\n");
  const char* argv[] = {"prog", "--config", cfg.c_str(), "--host", "cli.example", "a", "b"};
  auto vm = parse(7, argv, f.info, f.set);
  ASSERT_TRUE(vm);
  EXPECT_EQ((*vm)["host"].as<std::string>(), "cli.example");
  EXPECT_EQ((*vm)["port"].as<int>(), 2222);
  EXPECT_EQ((*vm)["file"].as<std::vector<std::string>>().size(), 2u);
  std::filesystem::remove(cfg);
}

TEST(Cli, UnknownConfigKeyIsAUsageErrorNamingFileAndKey) {
  Fixture f;
  auto cfg = temp_config("hots = typo\n");
  const char* argv[] = {"prog", "--config", cfg.c_str()};
  try {
    (void)parse(3, argv, f.info, f.set);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(cfg), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("hots"), std::string::npos) << e.what();
  }
  std::filesystem::remove(cfg);
}

TEST(Cli, MissingConfigFileIsAUsageError) {
  Fixture f;
  const char* argv[] = {"prog", "--config", "/nonexistent/logship.ini"};
  EXPECT_THROW((void)parse(3, argv, f.info, f.set), UsageError);
}

TEST(Cli, BadValueIsAUsageError) {
  Fixture f;
  const char* argv[] = {"prog", "--port", "twenty-two"};
  EXPECT_THROW((void)parse(3, argv, f.info, f.set), UsageError);
}

TEST(Cli, HelpReturnsNothing) {
  Fixture f;
  const char* argv[] = {"prog", "--help"};
  testing::internal::CaptureStdout();
  EXPECT_FALSE(parse(2, argv, f.info, f.set));
  auto out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("Usage: logship-test"), std::string::npos);
  EXPECT_NE(out.find("--host"), std::string::npos);
  EXPECT_NE(out.find("--log-level"), std::string::npos);
}

TEST(Cli, RunMapsExceptionsToExitCodes) {
  ProgramInfo info{"t", "", "", ""};
  testing::internal::CaptureStderr();
  EXPECT_EQ(run(info, [] { return 0; }), kExitOk);
  EXPECT_EQ(run(info, []() -> int { throw UsageError("bad"); }), kExitUsage);
  EXPECT_EQ(run(info, []() -> int { throw std::runtime_error("boom"); }), kExitFailure);
  auto err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("t: bad\n"), std::string::npos);
  EXPECT_NE(err.find("t: boom\n"), std::string::npos);
}

TEST(Cli, ParseSize) {
  EXPECT_EQ(parse_size("0", "x"), 0u);
  EXPECT_EQ(parse_size("4096", "x"), 4096u);
  EXPECT_EQ(parse_size("64K", "x"), 65536u);
  EXPECT_EQ(parse_size("256M", "x"), 256ull << 20);
  EXPECT_EQ(parse_size("2GiB", "x"), 2ull << 30);
  for (const char* bad : {"", "M", "12Q", "-1", "1.5M", "9999999999999999"})
    EXPECT_THROW(parse_size(bad, "spool-max"), UsageError) << bad;
  try {
    parse_size("lots", "spool-max");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--spool-max"), std::string::npos);
  }
}

TEST(Cli, UnknownLogLevelIsAUsageError) {
  EXPECT_THROW(setup_logging("t", "chatty"), UsageError);
}

}  // namespace
}  // namespace logship::cli
