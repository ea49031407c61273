#include "crypto/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

namespace logship::crypto {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.update("a").update("bc");
  EXPECT_EQ(to_hex(h.finish()), to_hex(sha256("abc")));
  EXPECT_EQ(to_hex(h.update("abc").finish()), to_hex(sha256("abc"))) << "reusable after finish";
}

TEST(Sha256, TwoAtOnceEqualsOneByOne) {
  std::string bytes(2100, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + i / 256);
  const std::string_view all(bytes);
  // Every length up to two blocks past the padding edges, against every other, then long ones.
  for (std::size_t a = 0; a <= 140; ++a) {
    for (std::size_t b = 0; b <= 140; b += 1 + a % 5) {
      Digest da{}, db{};
      sha256_x2(all.substr(3, a), all.substr(500, b), da, db);
      ASSERT_EQ(to_hex(da), to_hex(sha256(all.substr(3, a)))) << a << " " << b;
      ASSERT_EQ(to_hex(db), to_hex(sha256(all.substr(500, b)))) << a << " " << b;
    }
  }
  for (std::size_t a : {150, 1000, 1023, 1024, 1025, 2000}) {
    Digest da{}, db{};
    sha256_x2(all.substr(0, a), all.substr(1, 2000 - a), da, db);
    EXPECT_EQ(to_hex(da), to_hex(sha256(all.substr(0, a)))) << a;
    EXPECT_EQ(to_hex(db), to_hex(sha256(all.substr(1, 2000 - a)))) << a;
  }
  Digest d1{}, d2{};
  sha256_x2("abc", "", d1, d2);
  EXPECT_EQ(to_hex(d1), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(d2), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, HmacMatchesOpenSslCli) {
  // printf logship | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f
  Digest key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(to_hex(hmac_sha256(key, "logship")),
            "1159c3974b8d319926499b45dc2abd9e83f71ad5ad5d4b2105e86918af262a59");
}

TEST(Sha256, HexRoundTripAndRejects) {
  auto d = sha256("x");
  auto back = digest_from_hex(to_hex(d));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, d);
  EXPECT_FALSE(digest_from_hex("abc"));
  EXPECT_FALSE(digest_from_hex(std::string(64, 'g')));
}

}  // namespace
}  // namespace logship::crypto
