#include "util/json.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace logship {
namespace {

TEST(JsonWriter, ArraysOfStringsAndObjectsNestInObjects) {
  JsonArray empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.str(), "[]");
  JsonArray names;
  names.add("a\"b").add("c");
  EXPECT_FALSE(names.empty());
  JsonArray objects;
  objects.add(JsonObject().add("n", 1)).add(JsonObject());
  JsonObject o;
  o.add("names", names).add("objects", objects).add("none", empty).add("inner", JsonObject());
  EXPECT_EQ(o.str(),
            "{\"names\":[\"a\\\"b\",\"c\"],\"objects\":[{\"n\":1},{}],\"none\":[],\"inner\":{}}");
}

TEST(JsonWriter, NumbersAsJsonHasThem) {
  JsonObject o;
  o.add("max", std::uint64_t{18446744073709551615ull})
      .add("min", std::int64_t{INT64_MIN})
      .add("third", 1.0 / 3)
      .add("nan", std::nan(""))
      .add("inf", HUGE_VAL);
  EXPECT_EQ(o.str(),
            "{\"max\":18446744073709551615,\"min\":-9223372036854775808,"
            "\"third\":0.33333333333333331,\"nan\":null,\"inf\":null}");
}

TEST(JsonWriter, KeysAndStringsAreQuotedLikeJsonQuote) {
  const std::string bad = "k\xff\n";
  JsonObject o;
  o.add(bad, bad);
  EXPECT_EQ(o.str(), "{" + json_quote(bad) + ":" + json_quote(bad) + "}");
}

}  // namespace
}  // namespace logship
