#include "status/push_status.hpp"

namespace logship::status {

std::string PushStatus::json() const {
  JsonObject o;
  o.add("program", "logship-push").add("source", source).add("stream", stream);
  o.add("pid", pid).add("updated", iso_time(updated));
  o.add("state", state).add("input", input).add("vault", vault);
  add_time(o, "last_ack", last_ack);
  if (last_acked_seq)
    o.add("last_acked_seq", *last_acked_seq);
  else
    o.add_null("last_acked_seq");
  o.add("spool_bytes", spool_bytes).add("backlog_lines", backlog_lines);
  o.add("dropped", dropped).add("dropped_reported", dropped_reported);
  o.add("batches", batches).add("failures", failures);
  o.add("reconnects", connections ? connections - 1 : 0);
  o.add_or_null("last_error", last_error).add_or_null("last_error_kind", last_error_kind);
  o.add_or_null("spool_error", spool_error);
  return o.str();
}

std::vector<Metric> PushStatus::metrics() const {
  const std::vector<std::pair<std::string, std::string>> l = {{"source", source},
                                                              {"stream", stream}};
  auto n = [](std::uint64_t v) { return static_cast<double>(v); };
  return {
      {"logship_push_up", "1 while the last delivery succeeded.", "gauge",
       last_error.empty() ? 1.0 : 0.0, l},
      {"logship_push_last_ack_timestamp_seconds", "Time of the last acknowledged batch.", "gauge",
       epoch_seconds(last_ack), l},
      {"logship_push_last_acked_seq", "Sequence number of the last acknowledged batch.", "gauge",
       last_acked_seq ? n(*last_acked_seq) : -1.0, l},
      {"logship_push_spool_bytes",
       "Spool bytes on disk (acknowledged data in the current segment included).", "gauge",
       n(spool_bytes), l},
      {"logship_push_backlog_lines", "Lines not yet acknowledged by the vault.", "gauge",
       n(backlog_lines), l},
      {"logship_push_dropped_lines_total", "Lines lost to a full spool or local disk since start.",
       "counter", n(dropped), l},
      {"logship_push_batches_total", "Batches acknowledged since start.", "counter", n(batches), l},
      {"logship_push_failures_total", "Failed deliveries since start.", "counter", n(failures), l},
      {"logship_push_connections_total", "SSH connections made since start.", "counter",
       n(connections), l},
  };
}

}  // namespace logship::status
