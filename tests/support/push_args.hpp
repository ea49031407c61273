// The command line of logship-push as the integration tests run it: the FIFO `fifo` shipped
// as source web1, stream auth, to the vault of `sshd`, with short time-outs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/sshd_fixture.hpp"
#include "support/test_files.hpp"

namespace logship::test {

inline std::vector<std::string> push_args(const SshdFixture& sshd,
                                          const std::filesystem::path& fifo,
                                          const std::filesystem::path& state,
                                          const std::filesystem::path& status,
                                          const std::vector<std::string>& extra = {}) {
  std::vector<std::string> a = {program_path("logship-push").string(),
                                "--input",
                                fifo.string(),
                                "--source",
                                "web1",
                                "--stream",
                                "auth",
                                "--host",
                                "127.0.0.1",
                                "--port",
                                std::to_string(sshd.port()),
                                "--identity",
                                sshd.client_key().private_key.string(),
                                "--known-hosts",
                                sshd.known_hosts().string(),
                                "--state-dir",
                                state.string(),
                                "--status-file",
                                status.string(),
                                "--status-interval",
                                "1",
                                "--retry-max",
                                "1",
                                "--timeout",
                                "3",
                                "--connect-timeout",
                                "3",
                                "--log-level",
                                "debug"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

}  // namespace logship::test
