// Helpers shared by the SSH integration tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "ssh/deadline.hpp"
#include "ssh/options.hpp"
#include "ssh/session.hpp"
#include "support/sshd_fixture.hpp"

namespace logship::ssh {

// Options for a client of `sshd` using `key`.
inline SessionOptions options_for(const test::SshdFixture& sshd, const test::ClientKey& key) {
  SessionOptions o;
  o.host = "127.0.0.1";
  o.port = sshd.port();
  o.user = sshd.user();
  o.identity_file = key.private_key;
  o.known_hosts_file = sshd.known_hosts();
  o.connect_timeout = std::chrono::seconds(10);
  o.op_timeout = std::chrono::seconds(10);
  return o;
}

// `n` pseudo-random bytes covering every byte value.
inline std::string random_bytes(std::size_t n, unsigned seed = 7) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(rng() & 0xff);
  return s;
}

inline SteadyTime in_seconds(int s) {
  return deadline_in(system_clock(), std::chrono::seconds(s));
}

// Seconds elapsed since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A test with a running private sshd.
class SshdTest : public ::testing::Test {
 protected:
  void SetUp() override { sshd_.start(); }
  std::unique_ptr<Session> connect(const SessionOptions& o) {
    auto s = Session::connect(o);
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  test::SshdFixture sshd_;
};

}  // namespace logship::ssh
