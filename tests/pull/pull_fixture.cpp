#include "pull_fixture.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

namespace logship::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// (No std::regex: gcc 12 warns inside it under the sanitizers.)
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

std::string write_numbered(const fs::path& file, std::size_t bytes) {
  std::string text;
  for (std::uint64_t i = 1; text.size() < bytes; ++i) text += numbered(i);
  std::ofstream out(file, std::ios::binary);
  out << text;
  return text;
}

void rotate_by_rename(const fs::path& file) {
  const fs::path one = file.string() + ".1", two = file.string() + ".2";
  if (fs::exists(one)) fs::rename(one, two);
  fs::rename(file, one);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0640);
  ::close(fd);
}

void rotate_by_copytruncate(const fs::path& file) {
  const fs::path one = file.string() + ".1";
  fs::copy_file(file, one, fs::copy_options::overwrite_existing);
  fs::resize_file(file, 0);
}

void PullTest::SetUp() {
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

std::vector<std::string> PullTest::args(std::vector<std::string> extra) const {
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

std::unique_ptr<Child> PullTest::start(std::vector<std::string> extra) {
  std::error_code ec;
  fs::remove(status(), ec);
  auto c = std::make_unique<Child>(args(std::move(extra)), log());
  EXPECT_TRUE(wait_until([&] { return fs::exists(status()); }, 10s, "the status file"))
      << slurp(log());
  return c;
}

void PullTest::stop(std::unique_ptr<Child>& agent) {
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait_for(10s), 0) << tail_of_log();
}

std::string PullTest::tail_of_log() const {
  const auto l = slurp(log());
  return l.size() > 6000 ? l.substr(l.size() - 6000) : l;
}

std::string PullTest::log_events() const {
  std::istringstream in(slurp(log()));
  std::string out;
  for (std::string l; std::getline(in, l);)
    if (l.find("] debug:") == std::string::npos) out += l + "\n";
  return out.size() > 8000 ? out.substr(out.size() - 8000) : out;
}

::testing::AssertionResult PullTest::status_shows(const std::string& key, std::int64_t value,
                                                  std::chrono::milliseconds timeout) {
  auto r = wait_until([&] { return json_number(status_text(), key) == value; }, timeout,
                      "\"" + key + "\": " + std::to_string(value) + " in the status file");
  if (!r) r << "\nstatus: " << status_text();
  return r;
}

Output PullTest::verify(const fs::path& file, std::vector<std::string> extra) const {
  std::vector<std::string> a = {program_path("logship-verify").string()};
  a.insert(a.end(), extra.begin(), extra.end());
  a.push_back(file.string());
  return run_program(a);
}

void PullTest::expect_copy(const fs::path& file, const std::string& expected, bool framed,
                           std::chrono::seconds timeout, bool settle) {
  auto content = [&] { return framed ? extract(file) : slurp(file); };
  EXPECT_TRUE(wait_until([&] { return content().size() >= expected.size(); }, timeout,
                         "the copy to be complete"))
      << "copy has " << content().size() << " of " << expected.size()
      << " bytes\nstatus: " << status_text() << "\nlog:\n"
      << tail_of_log();
  // (a repeat arriving late would show now: nothing to wait for, the time is the test)
  if (settle) std::this_thread::sleep_for(300ms);
  const auto got = content();
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected) << "the copy differs from what was written: "
                               << first_difference(got, expected);
}

void PullTest::expect_verifies(const fs::path& file, std::vector<std::string> extra) {
  extra.insert(extra.begin(), {"--key", key().string()});
  auto v = verify(file, extra);
  EXPECT_EQ(v.code, 0) << v.out << v.err;
}

}  // namespace logship::test
