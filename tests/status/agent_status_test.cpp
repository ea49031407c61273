#include "status/push_status.hpp"

#include <gtest/gtest.h>

namespace logship::status {
namespace {

using namespace std::chrono_literals;

// 2026-11-22T02:20:40.123456Z
const WallTime kT = WallTime(std::chrono::seconds(1795314040)) + 123456us;

PushStatus push_status() {
  PushStatus s;
  s.source = "web1";
  s.stream = "auth";
  s.pid = 4242;
  s.updated = kT;
  s.state = "idle";
  s.input = "stdin";
  s.vault = "vault:22";
  s.spool_bytes = 4096;
  s.backlog_lines = 3;
  s.dropped = 2;
  s.dropped_reported = 1;
  s.failures = 5;
  return s;
}

TEST(PushStatusJson, KeysInOrderWithNullsForWhatIsAbsent) {
  EXPECT_EQ(push_status().json(),
            "{\"program\":\"logship-push\",\"source\":\"web1\",\"stream\":\"auth\",\"pid\":4242,"
            "\"updated\":\"2026-11-22T02:20:40.123456Z\",\"state\":\"idle\",\"input\":\"stdin\","
            "\"vault\":\"vault:22\",\"last_ack\":null,\"last_acked_seq\":null,"
            "\"spool_bytes\":4096,\"backlog_lines\":3,\"dropped\":2,\"dropped_reported\":1,"
            "\"batches\":0,\"failures\":5,\"reconnects\":0,\"last_error\":null,"
            "\"last_error_kind\":null,\"spool_error\":null}");
}

TEST(PushStatusJson, ValuesWhenPresent) {
  auto s = push_status();
  s.last_ack = kT + 1s;
  s.last_acked_seq = 17;
  s.connections = 3;
  s.last_error = "vault said \"no\"";
  s.last_error_kind = "remote_refused";
  s.spool_error = "No space left on device";
  const auto j = s.json();
  EXPECT_NE(j.find("\"last_ack\":\"2026-11-22T02:20:41.123456Z\",\"last_acked_seq\":17,"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find("\"reconnects\":2,\"last_error\":\"vault said \\\"no\\\"\","
                   "\"last_error_kind\":\"remote_refused\","
                   "\"spool_error\":\"No space left on device\"}"),
            std::string::npos)
      << j;
}

TEST(PushStatusMetrics, NamesHelpAndValues) {
  auto s = push_status();
  s.last_ack = WallTime(std::chrono::seconds(1795314040));
  s.last_acked_seq = 17;
  s.connections = 3;
  const auto text = prometheus_text(s.metrics());
  const std::string l = "{source=\"web1\",stream=\"auth\"} ";
  EXPECT_EQ(
      text,
      "# HELP logship_push_up 1 while the last delivery succeeded.\n"
      "# TYPE logship_push_up gauge\n"
      "logship_push_up" +
          l +
          "1\n"
          "# HELP logship_push_last_ack_timestamp_seconds Time of the last acknowledged batch.\n"
          "# TYPE logship_push_last_ack_timestamp_seconds gauge\n"
          "logship_push_last_ack_timestamp_seconds" +
          l +
          "1795314040\n"
          "# HELP logship_push_last_acked_seq Sequence number of the last acknowledged batch.\n"
          "# TYPE logship_push_last_acked_seq gauge\n"
          "logship_push_last_acked_seq" +
          l +
          "17\n"
          "# HELP logship_push_spool_bytes Spool bytes on disk (acknowledged data in the "
          "current segment included).\n"
          "# TYPE logship_push_spool_bytes gauge\n"
          "logship_push_spool_bytes" +
          l +
          "4096\n"
          "# HELP logship_push_backlog_lines Lines not yet acknowledged by the vault.\n"
          "# TYPE logship_push_backlog_lines gauge\n"
          "logship_push_backlog_lines" +
          l +
          "3\n"
          "# HELP logship_push_dropped_lines_total Lines lost to a full spool or local disk "
          "since start.\n"
          "# TYPE logship_push_dropped_lines_total counter\n"
          "logship_push_dropped_lines_total" +
          l +
          "2\n"
          "# HELP logship_push_batches_total Batches acknowledged since start.\n"
          "# TYPE logship_push_batches_total counter\n"
          "logship_push_batches_total" +
          l +
          "0\n"
          "# HELP logship_push_failures_total Failed deliveries since start.\n"
          "# TYPE logship_push_failures_total counter\n"
          "logship_push_failures_total" +
          l +
          "5\n"
          "# HELP logship_push_connections_total SSH connections made since start.\n"
          "# TYPE logship_push_connections_total counter\n"
          "logship_push_connections_total" +
          l + "3\n");
}

TEST(PushStatusMetrics, AbsentAckAndAFailingDelivery) {
  auto s = push_status();
  s.last_error = "timeout";
  const auto text = prometheus_text(s.metrics());
  const std::string l = "{source=\"web1\",stream=\"auth\"} ";
  EXPECT_NE(text.find("\nlogship_push_up" + l + "0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlogship_push_last_ack_timestamp_seconds" + l + "0\n"), std::string::npos);
  EXPECT_NE(text.find("\nlogship_push_last_acked_seq" + l + "-1\n"), std::string::npos);
}

}  // namespace
}  // namespace logship::status
