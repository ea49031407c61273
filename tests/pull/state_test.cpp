// Checkpoint records and files, and where rotated copies are looked for.
#include "follow/checkpoint.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "follow/rotated_names.hpp"
#include "pull_test_util.hpp"

namespace logship::follow {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Checkpoint sample() {
  Checkpoint c;
  c.generation = 0x0123456789abcdefULL;
  c.identity = identify("Nov 22 02:00:01 web1 sshd[1]: hello\n");
  c.offset = 123456789;
  c.local_size = 987654321;
  c.seal = "logship-seal v1 seq=3 prev=... key=... check=...\n";
  return c;
}

TEST(Checkpoint, RoundTrip) {
  const auto c = sample();
  auto back = decode(encode(c));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, c);
  Checkpoint raw = c;
  raw.seal.clear();
  EXPECT_EQ(*decode(encode(raw)), raw);
  EXPECT_EQ(generation_hex(0xabc), "0000000000000abc");
  EXPECT_NE(new_generation(), 0u);
}

TEST(Checkpoint, DamagedRecordsAreRefused) {
  const std::string good = encode(sample());
  EXPECT_FALSE(decode(""));
  EXPECT_FALSE(decode("logship-pull-checkpoint v2 gen=0\n"));
  std::string bad = good;
  bad.replace(bad.find("off="), 5, "off=x");
  EXPECT_FALSE(decode(bad));
  bad = good;
  bad.replace(bad.find("idlen="), bad.find(" id=") - bad.find("idlen="), "idlen=1025");
  EXPECT_FALSE(decode(bad));  // longer than a fingerprint
  EXPECT_FALSE(decode(good.substr(0, good.find(" local="))));
}

TEST(Checkpoint, FileKeepsTheLastSave) {
  test::TempDir dir;
  const auto path = dir.path() / "c.ckpt";
  {
    auto f = CheckpointFile::open(path);
    ASSERT_TRUE(f);
    auto empty = f->load();
    ASSERT_TRUE(empty);
    EXPECT_FALSE(empty->has_value());
    auto c = sample();
    ASSERT_TRUE(f->save(c));
    c.offset += 10;
    ASSERT_TRUE(f->save(c));
  }
  auto f = CheckpointFile::open(path);
  ASSERT_TRUE(f);
  auto c = f->load();
  ASSERT_TRUE(c && c->has_value());
  EXPECT_EQ((*c)->offset, sample().offset + 10);
}

TEST(RotatedNames, DefaultsAndDates) {
  ::setenv("TZ", "UTC", 1);
  const WallTime now =
      std::chrono::sys_days{std::chrono::year{2026} / 1 / 2} + std::chrono::hours(1);
  const auto names = rotated_names("/var/log/auth.log", default_rotated_patterns(), now);
  EXPECT_EQ(names.front(), "/var/log/auth.log.1");
  EXPECT_TRUE(contains(names, "/var/log/auth.log-20260102"));
  EXPECT_TRUE(contains(names, "/var/log/auth.log-20260101"));
  EXPECT_EQ(names.size(), 3u);  // no duplicates (UTC and local agree here)
}

TEST(RotatedNames, PatternsAndPercentInPaths) {
  const WallTime now = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};
  auto names = rotated_names("/x/100%.log", {"{}.0", "/archive/{}-%Y", "{}"}, now);
  EXPECT_EQ(names.front(), "/x/100%.log.0");
  EXPECT_TRUE(contains(names, "/archive//x/100%.log-2026"));
  EXPECT_FALSE(contains(names, "/x/100%.log"));  // never the followed path itself
  EXPECT_TRUE(valid_rotated_pattern("{}.1"));
  EXPECT_FALSE(valid_rotated_pattern("auth.1"));
  EXPECT_FALSE(valid_rotated_pattern("{}{}"));
}

}  // namespace
}  // namespace logship::follow
