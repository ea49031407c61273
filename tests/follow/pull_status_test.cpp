// The pull agent's status: the JSON status file and the Prometheus textfile, byte for byte as
// docs/PULL.md lists them (they are an interface).
#include "follow/pull_status.hpp"

#include <gtest/gtest.h>

namespace logship::follow {
namespace {

using namespace std::chrono_literals;
using status::prometheus_text;

// 2026-11-22T02:20:40.123456Z
const WallTime kT = WallTime(std::chrono::seconds(1795314040)) + 123456us;

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
  FileStatus f;
  f.remote = "/var/log/auth.log";
  f.local = "/srv/auth.log";
  f.state = FileState::following;
  f.generation = 0xab;
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
            "\"local\":\"/srv/"
            "auth.log\",\"state\":\"following\",\"problem\":null,\"fid\":\"00000000000000ab\","
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
  s.files[0].last_event = FileEvent::rotated;
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
  s.files[0].state = FileState::missing;
  const auto text = prometheus_text(s.metrics());
  EXPECT_NE(text.find("\nlogship_pull_up{source=\"web1\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(
      text.find("logship_pull_file_following{source=\"web1\",file=\"/var/log/auth.log\"} 0\n"),
      std::string::npos)
      << text;
}

}  // namespace
}  // namespace logship::follow
