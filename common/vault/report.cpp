#include "vault/report.hpp"

#include "util/json.hpp"

namespace logship::vault {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void field(std::string& out, std::string_view key, std::uint64_t value) {
  out += json_quote(key) + ":" + std::to_string(value) + ",";
}

void field(std::string& out, std::string_view key, std::string_view value) {
  out += json_quote(key) + ":" + json_quote(value) + ",";
}

void close(std::string& out, char bracket) {
  if (out.back() == ',') out.pop_back();
  out += bracket;
}

void findings_array(std::string& out, std::string_view key, const std::vector<Finding>& list) {
  out += json_quote(key) + ":[";
  for (const auto& f : list) {
    out += "{";
    field(out, "file", f.file);
    field(out, "line", f.line);
    field(out, "kind", to_string(f.kind));
    field(out, "message", f.message);
    close(out, '}');
    out += ",";
  }
  close(out, ']');
  out += ",";
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
  std::string out = "{";
  out += "\"ok\":" + std::string(s.ok() ? "true" : "false") + ",";
  out += "\"files\":[";
  for (const auto& f : s.files) out += json_quote(f) + ",";
  close(out, ']');
  out += ",";
  field(out, "lines_read", s.lines_read);
  field(out, "bytes_read", s.bytes_read);
  field(out, "batches", total.batches);
  field(out, "heartbeats", total.heartbeats);
  field(out, "duplicates", total.duplicates);
  field(out, "interrupted_transfers", total.interrupted);
  field(out, "transfer_remnants", total.remnants);
  field(out, "dropped", total.dropped);
  field(out, "redacted", total.redacted);
  field(out, "payload_lines", total.payload_lines);
  out += "\"streams\":[";
  for (const auto& st : s.streams) {
    out += "{";
    field(out, "src", st.src);
    field(out, "stream", st.stream);
    if (st.has_batches) {
      field(out, "first_seq", st.first_seq);
      field(out, "last_seq", st.last_seq);
      field(out, "first_time", format_time(st.first_time));
      field(out, "last_time", format_time(st.last_time));
    }
    field(out, "batches", st.batches);
    field(out, "heartbeats", st.heartbeats);
    field(out, "duplicates", st.duplicates);
    field(out, "interrupted_transfers", st.interrupted);
    field(out, "transfer_remnants", st.remnants);
    field(out, "dropped", st.dropped);
    field(out, "redacted", st.redacted);
    field(out, "payload_lines", st.payload_lines);
    out += "\"extra\":{";
    for (const auto& f : st.last_extra) field(out, f.key, f.value);
    close(out, '}');
    close(out, '}');
    out += ",";
  }
  close(out, ']');
  out += ",";
  field(out, "findings_total", s.findings);
  field(out, "infos_total", s.infos);
  field(out, "omitted", omitted);
  findings_array(out, "findings", findings);
  findings_array(out, "infos", infos);
  close(out, '}');
  return out + "\n";
}

}  // namespace logship::vault
