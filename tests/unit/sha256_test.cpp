#include "crypto/sha256.hpp"

#include <gtest/gtest.h>

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
