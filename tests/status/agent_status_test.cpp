#include "status/push_status.hpp"

#include <gtest/gtest.h>

#include "status/pull_status.hpp"

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

PullStatus pull_status() {
  PullStatus s;
  s.source = "web1";
  s.pid = 7;
  s.updated = kT;
  s.mode = "sftp";
  s.format = "framed";
  s.host = "web1:22";
  s.connections = 2;
  s.failures = 1;
  PulledFile f;
  f.remote = "/var/log/auth.log";
  f.local = "/srv/auth.log";
  f.state = "following";
  f.fid = "00ab";
  f.offset = 100;
  f.remote_size = 150;
  f.local_size = 900;
  f.bytes = 100;
  f.rotations = 1;
  f.truncations = 2;
  f.copytruncations = 3;
  f.replaced = 4;
  f.last_data = kT;
  s.files.push_back(f);
  return s;
}

TEST(PullStatusJson, HostThenFilesInOrder) {
  auto s = pull_status();
  EXPECT_EQ(s.json(),
            "{\"program\":\"logship-pull\",\"source\":\"web1\",\"pid\":7,"
            "\"updated\":\"2026-11-22T02:20:40.123456Z\",\"mode\":\"sftp\",\"format\":\"framed\","
            "\"host\":\"web1:22\",\"state\":\"connecting\",\"connected_since\":null,"
            "\"unreachable_since\":null,\"last_error\":null,\"last_error_kind\":null,"
            "\"connections\":2,\"failures\":1,\"files\":[{\"remote\":\"/var/log/auth.log\","
            "\"local\":\"/srv/auth.log\",\"state\":\"following\",\"problem\":null,\"fid\":\"00ab\","
            "\"offset\":100,\"remote_size\":150,\"behind_bytes\":50,\"local_size\":900,"
            "\"bytes\":100,\"rotations\":1,\"truncations\":2,\"copytruncations\":3,\"replaced\":4,"
            "\"last_event\":null,\"last_event_time\":null,"
            "\"last_data\":\"2026-11-22T02:20:40.123456Z\"}]}");
}

TEST(PullStatusJson, StateProblemsAndEvents) {
  auto s = pull_status();
  s.unreachable_since = kT;
  s.last_error = "connection refused";
  s.last_error_kind = "network";
  s.files[0].problem = "gone";
  s.files[0].last_event = "rotated";
  s.files[0].last_event_time = kT;
  s.files[0].remote_size = 10;  // truncated: nothing is behind
  s.files.push_back(s.files[0]);
  const auto j = s.json();
  EXPECT_NE(j.find("\"state\":\"unreachable\",\"connected_since\":null,"
                   "\"unreachable_since\":\"2026-11-22T02:20:40.123456Z\","
                   "\"last_error\":\"connection refused\",\"last_error_kind\":\"network\","),
            std::string::npos)
      << j;
  EXPECT_NE(j.find("\"problem\":\"gone\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"behind_bytes\":0,"), std::string::npos) << j;
  EXPECT_NE(
      j.find("\"last_event\":\"rotated\",\"last_event_time\":\"2026-11-22T02:20:40.123456Z\""),
      std::string::npos)
      << j;
  EXPECT_NE(j.find("\"last_data\":\"2026-11-22T02:20:40.123456Z\"},{\"remote\""), std::string::npos)
      << j;
  s.connected = true;
  s.connected_since = kT;
  EXPECT_NE(s.json().find("\"state\":\"connected\",\"connected_since\":\"2026"), std::string::npos);
}

TEST(PullStatusMetrics, HostThenEachFile) {
  auto s = pull_status();
  s.connected = true;
  s.files[0].last_data = WallTime(std::chrono::seconds(1795314040));
  const auto text = prometheus_text(s.metrics());
  const std::string h = "{source=\"web1\"} ";
  const std::string f = "{source=\"web1\",file=\"/var/log/auth.log\"} ";
  EXPECT_EQ(text,
            "# HELP logship_pull_up 1 while connected to the monitored host.\n"
            "# TYPE logship_pull_up gauge\n"
            "logship_pull_up" +
                h +
                "1\n"
                "# HELP logship_pull_unreachable_since_seconds Since when the host is unreachable "
                "(0 while it is reachable).\n"
                "# TYPE logship_pull_unreachable_since_seconds gauge\n"
                "logship_pull_unreachable_since_seconds" +
                h +
                "0\n"
                "# HELP logship_pull_connections_total SSH connections made since start.\n"
                "# TYPE logship_pull_connections_total counter\n"
                "logship_pull_connections_total" +
                h +
                "2\n"
                "# HELP logship_pull_failures_total Failed connection attempts and lost "
                "connections.\n"
                "# TYPE logship_pull_failures_total counter\n"
                "logship_pull_failures_total" +
                h +
                "1\n"
                "# HELP logship_pull_file_following 1 while the file is followed normally.\n"
                "# TYPE logship_pull_file_following gauge\n"
                "logship_pull_file_following" +
                f +
                "1\n"
                "# HELP logship_pull_file_offset_bytes Remote offset copied durably.\n"
                "# TYPE logship_pull_file_offset_bytes gauge\n"
                "logship_pull_file_offset_bytes" +
                f +
                "100\n"
                "# HELP logship_pull_file_behind_bytes Remote bytes not yet copied (at the last "
                "look).\n"
                "# TYPE logship_pull_file_behind_bytes gauge\n"
                "logship_pull_file_behind_bytes" +
                f +
                "50\n"
                "# HELP logship_pull_file_bytes_total Remote bytes copied since start.\n"
                "# TYPE logship_pull_file_bytes_total counter\n"
                "logship_pull_file_bytes_total" +
                f +
                "100\n"
                "# HELP logship_pull_file_rotations_total Rotations handled (old file finished).\n"
                "# TYPE logship_pull_file_rotations_total counter\n"
                "logship_pull_file_rotations_total" +
                f +
                "1\n"
                "# HELP logship_pull_file_truncations_total Truncations without a rotated copy "
                "(lines may be lost).\n"
                "# TYPE logship_pull_file_truncations_total counter\n"
                "logship_pull_file_truncations_total" +
                f +
                "2\n"
                "# HELP logship_pull_file_copytruncations_total Truncations whose rest was read "
                "from the rotated copy.\n"
                "# TYPE logship_pull_file_copytruncations_total counter\n"
                "logship_pull_file_copytruncations_total" +
                f +
                "3\n"
                "# HELP logship_pull_file_replaced_total Times the path named another file and the "
                "old one was not found.\n"
                "# TYPE logship_pull_file_replaced_total counter\n"
                "logship_pull_file_replaced_total" +
                f +
                "4\n"
                "# HELP logship_pull_file_last_data_timestamp_seconds When bytes last arrived.\n"
                "# TYPE logship_pull_file_last_data_timestamp_seconds gauge\n"
                "logship_pull_file_last_data_timestamp_seconds" +
                f + "1795314040\n");
}

TEST(PullStatusMetrics, AFileNotFollowedNormally) {
  auto s = pull_status();
  s.files[0].state = "missing";
  const auto text = prometheus_text(s.metrics());
  EXPECT_NE(text.find("\nlogship_pull_up{source=\"web1\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(
      text.find("logship_pull_file_following{source=\"web1\",file=\"/var/log/auth.log\"} 0\n"),
      std::string::npos)
      << text;
}

}  // namespace
}  // namespace logship::status
