#include "status/status.hpp"

#include <gtest/gtest.h>

namespace logship::status {
namespace {

TEST(Json, QuotesEscapesAndReplacesInvalidUtf8) {
  EXPECT_EQ(json_quote("plain"), "\"plain\"");
  EXPECT_EQ(json_quote("a\"b\\c\nd\te"), "\"a\\\"b\\\\c\\nd\\te\"");
  EXPECT_EQ(json_quote(std::string("\x01\0", 2)), "\"\\u0001\\u0000\"");
  EXPECT_EQ(json_quote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"");
  EXPECT_EQ(json_quote("bad \xff \xc3 \xe0\x80\x80 \xed\xa0\x80"),
            "\"bad \\ufffd \\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\"");
}

TEST(Json, ObjectKeepsOrderAndTypes) {
  JsonObject inner;
  inner.add("n", 1);
  JsonObject o;
  o.add("state", "connected")
      .add("seq", std::uint64_t{18446744073709551615ull})
      .add("neg", std::int64_t{-3})
      .add("ok", true)
      .add("ratio", 0.5)
      .add_null("last_error")
      .add("inner", inner);
  EXPECT_EQ(o.str(),
            "{\"state\":\"connected\",\"seq\":18446744073709551615,\"neg\":-3,\"ok\":true,"
            "\"ratio\":0.5,\"last_error\":null,\"inner\":{\"n\":1}}");
}

TEST(Prometheus, TextFormat) {
  std::vector<Metric> m = {
      {"logship_push_backlog_bytes",
       "Bytes waiting in the spool.",
       "gauge",
       42,
       {{"source", "web\"1"}}},
      {"logship_push_backlog_bytes", "Bytes waiting in the spool.", "gauge", 7, {{"source", "db"}}},
      {"logship_push_dropped_total", "Lines dropped.", "counter", 0, {}},
  };
  EXPECT_EQ(prometheus_text(m),
            "# HELP logship_push_backlog_bytes Bytes waiting in the spool.\n"
            "# TYPE logship_push_backlog_bytes gauge\n"
            "logship_push_backlog_bytes{source=\"web\\\"1\"} 42\n"
            "logship_push_backlog_bytes{source=\"db\"} 7\n"
            "# HELP logship_push_dropped_total Lines dropped.\n"
            "# TYPE logship_push_dropped_total counter\n"
            "logship_push_dropped_total 0\n");
}

}  // namespace
}  // namespace logship::status
