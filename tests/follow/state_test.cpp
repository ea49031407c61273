// Checkpoint records and files, and where rotated copies are looked for.
#include "follow/checkpoint.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "follow/genesis.hpp"
#include "follow/rotated_names.hpp"
#include "support/temp_dir.hpp"
#include "support/test_files.hpp"
#include "vault/hashing.hpp"

namespace logship::follow {
namespace {

std::string bytes_of(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Each stream start takes the next genesis position, and the file never holds an earlier G
// again: not the verification key G_0, not G_1 once the second stream started.
TEST(Genesis, StartingAStreamEvolvesTheKeyOnDiskAndErasesTheOld) {
  test::TempDir dir;
  const auto path = dir.path() / "genesis.seal";
  crypto::Digest g0{};
  for (std::size_t i = 0; i < g0.size(); ++i) g0[i] = static_cast<std::uint8_t>(0xa0 + i);
  const auto g1 = vault::next_genesis(g0), g2 = vault::next_genesis(g1);
  ASSERT_TRUE(GenesisKey::create(path, g0));
  EXPECT_FALSE(GenesisKey::create(path, g0)) << "never over an existing key";
  auto key = GenesisKey::open(path);
  ASSERT_TRUE(key) << key.error().message;
  auto a = key->start_stream("web1", "/var/log/auth.log");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->genesis(), 0u);
  EXPECT_EQ(a->key(), vault::stream_key(g0, 0, "web1", "/var/log/auth.log"));
  auto b = key->start_stream("web1", "/var/log/syslog");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->genesis(), 1u);
  EXPECT_EQ(b->key(), vault::stream_key(g1, 1, "web1", "/var/log/syslog"));
  const auto disk = bytes_of(path);
  EXPECT_EQ(disk.find(crypto::to_hex(g0)), std::string::npos);
  EXPECT_EQ(disk.find(crypto::to_hex(g1)), std::string::npos);
  EXPECT_NE(disk.find(crypto::to_hex(g2)), std::string::npos);
  auto again = GenesisKey::open(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->position(), 2u);
  // The stream's seal state keeps its position across a restart (checkpoint record).
  auto back = vault::SealState::restore(b->persist());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->genesis(), 1u);
  EXPECT_EQ(back->key(), b->key());
}

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
