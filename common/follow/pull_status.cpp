#include "follow/pull_status.hpp"

#include "follow/checkpoint.hpp"

namespace logship::follow {

using status::add_time;
using status::epoch_seconds;
using status::iso_time;

namespace {

std::uint64_t behind(const FileStatus& f) {
  return f.remote_size > f.offset ? f.remote_size - f.offset : 0;
}

std::string file_json(const FileStatus& f) {
  JsonObject j;
  j.add("remote", f.remote).add("local", f.local).add("state", to_string(f.state));
  j.add_or_null("problem", f.problem);
  j.add("fid", generation_hex(f.generation))
      .add("offset", f.offset)
      .add("remote_size", f.remote_size);
  j.add("behind_bytes", behind(f));
  j.add("local_size", f.local_size).add("bytes", f.bytes);
  j.add("rotations", f.rotations).add("truncations", f.truncations);
  j.add("copytruncations", f.copytruncations).add("replaced", f.replaced);
  if (f.last_event)
    j.add("last_event", to_string(*f.last_event));
  else
    j.add_null("last_event");
  add_time(j, "last_event_time", f.last_event_time);
  add_time(j, "last_data", f.last_data);
  return j.str();
}

}  // namespace

std::string PullStatus::json() const {
  JsonObject o;
  o.add("program", "logship-pull").add("source", source);
  o.add("pid", pid).add("updated", iso_time(updated));
  o.add("mode", mode).add("format", format).add("host", host);
  o.add("state", connected ? "connected" : (unreachable_since ? "unreachable" : "connecting"));
  add_time(o, "connected_since", connected_since);
  add_time(o, "unreachable_since", unreachable_since);
  if (last_error.empty())
    o.add_null("last_error").add_null("last_error_kind");
  else
    o.add("last_error", last_error).add("last_error_kind", last_error_kind);
  o.add("connections", connections).add("failures", failures);
  std::string arr = "[";
  for (const auto& f : files) {
    if (arr.size() > 1) arr += ",";
    arr += file_json(f);
  }
  o.add_raw("files", arr + "]");
  return o.str();
}

std::vector<Metric> PullStatus::metrics() const {
  const std::vector<std::pair<std::string, std::string>> l = {{"source", source}};
  auto n = [](std::uint64_t v) { return static_cast<double>(v); };
  std::vector<Metric> m = {
      {"logship_pull_up", "1 while connected to the monitored host.", "gauge",
       connected ? 1.0 : 0.0, l},
      {"logship_pull_unreachable_since_seconds",
       "Since when the host is unreachable (0 while it is reachable).", "gauge",
       epoch_seconds(unreachable_since), l},
      {"logship_pull_connections_total", "SSH connections made since start.", "counter",
       n(connections), l},
      {"logship_pull_failures_total", "Failed connection attempts and lost connections.", "counter",
       n(failures), l},
  };
  for (const auto& f : files) {
    auto fl = l;
    fl.emplace_back("file", f.remote);
    auto add = [&](const char* name, const char* help, const char* type, double v) {
      m.push_back({name, help, type, v, fl});
    };
    add("logship_pull_file_following", "1 while the file is followed normally.", "gauge",
        f.state == FileState::following ? 1.0 : 0.0);
    add("logship_pull_file_offset_bytes", "Remote offset copied durably.", "gauge", n(f.offset));
    add("logship_pull_file_behind_bytes", "Remote bytes not yet copied (at the last look).",
        "gauge", n(behind(f)));
    add("logship_pull_file_bytes_total", "Remote bytes copied since start.", "counter", n(f.bytes));
    add("logship_pull_file_rotations_total", "Rotations handled (old file finished).", "counter",
        n(f.rotations));
    add("logship_pull_file_truncations_total",
        "Truncations without a rotated copy (lines may be lost).", "counter", n(f.truncations));
    add("logship_pull_file_copytruncations_total",
        "Truncations whose rest was read from the rotated copy.", "counter", n(f.copytruncations));
    add("logship_pull_file_replaced_total",
        "Times the path named another file and the old one was not found.", "counter",
        n(f.replaced));
    add("logship_pull_file_last_data_timestamp_seconds", "When bytes last arrived.", "gauge",
        epoch_seconds(f.last_data));
  }
  return m;
}

}  // namespace logship::follow
