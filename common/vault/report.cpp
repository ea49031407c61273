#include "vault/report.hpp"

#include "util/json.hpp"

namespace logship::vault {

namespace {

constexpr char kHex[] = "0123456789abcdef";

JsonArray findings_array(const std::vector<Finding>& list) {
  JsonArray out;
  for (const auto& f : list)
    out.add(JsonObject()
                .add("file", f.file)
                .add("line", f.line)
                .add("kind", to_string(f.kind))
                .add("message", f.message));
  return out;
}

}  // namespace

std::string printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

// A stream's counts, or the totals over all streams, in the report's key order.
JsonObject& add_counts(JsonObject& o, const StreamSummary& st) {
  return o.add("batches", st.batches)
      .add("heartbeats", st.heartbeats)
      .add("duplicates", st.duplicates)
      .add("interrupted_transfers", st.interrupted)
      .add("transfer_remnants", st.remnants)
      .add("dropped", st.dropped)
      .add("redacted", st.redacted)
      .add("payload_lines", st.payload_lines);
}

}  // namespace

std::string to_json(const Summary& s, const std::vector<Finding>& findings,
                    const std::vector<Finding>& infos, std::uint64_t omitted) {
  StreamSummary total;
  for (const auto& st : s.streams) {
    total.batches += st.batches;
    total.heartbeats += st.heartbeats;
    total.duplicates += st.duplicates;
    total.interrupted += st.interrupted;
    total.remnants += st.remnants;
    total.dropped += st.dropped;
    total.redacted += st.redacted;
    total.payload_lines += st.payload_lines;
  }
  JsonArray files;
  for (const auto& f : s.files) files.add(f);
  JsonArray streams;
  for (const auto& st : s.streams) {
    JsonObject o;
    o.add("src", st.src).add("stream", st.stream);
    if (st.has_batches)
      o.add("first_seq", st.first_seq)
          .add("last_seq", st.last_seq)
          .add("first_time", format_time(st.first_time))
          .add("last_time", format_time(st.last_time));
    JsonObject extra;
    for (const auto& f : st.last_extra) extra.add(f.key, f.value);
    streams.add(add_counts(o, st).add("extra", extra));
  }
  JsonObject out;
  out.add("ok", s.ok())
      .add("files", files)
      .add("lines_read", s.lines_read)
      .add("bytes_read", s.bytes_read);
  add_counts(out, total)
      .add("streams", streams)
      .add("findings_total", s.findings)
      .add("infos_total", s.infos)
      .add("omitted", omitted)
      .add("findings", findings_array(findings))
      .add("infos", findings_array(infos));
  return out.str() + "\n";
}

}  // namespace logship::vault
