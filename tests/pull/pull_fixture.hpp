// PullTest: the set-up of the end-to-end tests of logship-pull: a private sshd whose "host"
// directory holds the followed files (a read-only SFTP key), a "vault" directory with the
// agent's state and copies, and the built binary started on them; the copies are checked byte
// for byte (raw) or with the built logship-verify --extract (framed).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/child.hpp"
#include "support/sshd_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"
#include "support/wait.hpp"
#include "writer.hpp"

namespace logship::test {

// The first "key": value in a JSON text (top-level fields come before the files; tests with
// one file read its fields): raw, as a number (-1 if none), as a string ("" if none).
std::string json_raw(const std::string& json, const std::string& key);
std::int64_t json_number(const std::string& json, const std::string& key);
std::string json_string(const std::string& json, const std::string& key);

// Writes numbered lines to `file` until it holds at least `bytes`; returns what it wrote.
std::string write_numbered(const std::filesystem::path& file, std::size_t bytes);
// logrotate with `create`: FILE.1 -> FILE.2, FILE -> FILE.1, a new empty FILE.
void rotate_by_rename(const std::filesystem::path& file);
// logrotate with `copytruncate`: copy FILE to FILE.1, then cut FILE to 0.
void rotate_by_copytruncate(const std::filesystem::path& file);

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override;

  std::filesystem::path state() const { return vault_ / "state"; }
  std::filesystem::path key() const { return vault_ / "web1.key"; }
  std::filesystem::path status() const { return vault_ / "status.json"; }
  std::filesystem::path log() const { return vault_ / "pull.log"; }
  std::filesystem::path remote(const std::string& name) const { return host_ / name; }
  std::filesystem::path copy(const std::string& name) const { return vault_ / "copies" / name; }
  std::string follow(const std::string& name) const {
    return remote(name).string() + "=" + copy(name).string();
  }

  // logship-pull's command line for this sshd, with `extra` (--poll 100 and --timeout 3
  // unless given).
  std::vector<std::string> args(std::vector<std::string> extra) const;
  // Returns once the agent wrote its status file (its signals are handled by then): a
  // restart's test must not see the one the previous agent left.
  std::unique_ptr<Child> start(std::vector<std::string> extra);
  void stop(std::unique_ptr<Child>& agent);  // SIGTERM, exit code 0
  std::string tail_of_log() const;
  std::string status_text() const { return slurp(status()); }
  std::string log_events() const;  // the agent's log without its debug lines
  // Waits until the status file's `key` is the number `value`.
  ::testing::AssertionResult status_shows(const std::string& key, std::int64_t value,
                                          std::chrono::milliseconds timeout);

  Output verify(const std::filesystem::path& file, std::vector<std::string> extra = {}) const;
  std::string extract(const std::filesystem::path& file) const {
    return verify(file, {"--extract"}).out;
  }

  // Waits until the copy (raw: the file; framed: what --extract prints) holds `expected`;
  // `settle`: then waits a little more, and a repeat arriving late would show.
  void expect_copy(const std::filesystem::path& file, const std::string& expected, bool framed,
                   std::chrono::seconds timeout = std::chrono::seconds(30), bool settle = true);
  // logship-verify --key finds nothing (infos allowed).
  void expect_verifies(const std::filesystem::path& file, std::vector<std::string> extra = {});

  SshdFixture sshd_;
  std::filesystem::path host_, vault_;
};

}  // namespace logship::test
