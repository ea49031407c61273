#include "watch/stream_record.hpp"

#include <sstream>

#include "vault/format.hpp"

namespace logship::watch {

namespace {

constexpr std::string_view kRecordHeader = "logship-watch-stream v1";

}  // namespace

std::string finding_key(const vault::Finding& f) {
  return f.file + ":" + std::to_string(f.line) + ":" + std::string(vault::to_string(f.kind));
}

// The checkpoint record:
//
//   logship-watch-stream v1
//   name <percent-encoded>
//   file <dev> <ino> <bytes before>
//   seen <wall us> <silent 0|1> <infos> <findings after the state>
//   finding <kind> <count>              (one per kind)
//   verifier <length>\n<Verifier::state() bytes>

std::string encode(const StreamRecord& r) {
  std::string out(kRecordHeader);
  out += "\nname " + vault::percent_encode(r.name);
  out += "\nfile " + std::to_string(r.dev) + " " + std::to_string(r.ino) + " " +
         std::to_string(r.bytes_before);
  out += "\nseen " + std::to_string(r.last_seen_us) + " " + (r.silent ? "1" : "0") + " " +
         std::to_string(r.infos);
  for (const auto& [kind, n] : r.findings) out += "\nfinding " + kind + " " + std::to_string(n);
  for (const auto& k : r.known) out += "\nknown " + vault::percent_encode(k);
  for (const auto& k : r.replay) out += "\nreplay " + vault::percent_encode(k);
  if (!r.emit_partial.empty()) out += "\npartial " + vault::percent_encode(r.emit_partial);
  out += "\nverifier " + std::to_string(r.verifier.size()) + "\n" + r.verifier;
  return out;
}

Result<StreamRecord> decode_stream_record(std::string_view text) {
  auto bad = [](const std::string& why) {
    return make_error(ErrorKind::data, "stream checkpoint: " + why);
  };
  StreamRecord r;
  auto take_line = [&]() {
    const auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    return std::string(line);
  };
  if (take_line() != kRecordHeader) return bad("not a logship-watch-stream v1 record");
  while (!text.empty()) {
    std::istringstream in(take_line());
    std::string what;
    in >> what;
    if (what == "name") {
      std::string enc;
      in >> enc;
      auto name = vault::percent_decode(enc);
      if (!name) return bad("bad name");
      r.name = *name;
    } else if (what == "file") {
      unsigned long long dev = 0, ino = 0;
      in >> dev >> ino >> r.bytes_before;
      r.dev = static_cast<dev_t>(dev);
      r.ino = static_cast<ino_t>(ino);
    } else if (what == "seen") {
      int silent = 0;
      in >> r.last_seen_us >> silent >> r.infos;
      r.silent = silent == 1;
    } else if (what == "finding") {
      std::string kind;
      std::uint64_t n = 0;
      in >> kind >> n;
      r.findings[kind] = n;
    } else if (what == "partial") {
      std::string enc;
      in >> enc;
      auto k = vault::percent_decode(enc);
      if (!k) return bad("bad partial line");
      r.emit_partial = *k;
    } else if (what == "known" || what == "replay") {
      std::string enc;
      in >> enc;
      auto k = vault::percent_decode(enc);
      if (!k) return bad("bad " + what + " finding");
      (what == "known" ? r.known : r.replay).push_back(*k);
    } else if (what == "verifier") {
      std::size_t n = 0;
      in >> n;
      if (!in || n != text.size()) return bad("verifier state length does not match");
      r.verifier = std::string(text);
      text = {};
      continue;
    } else {
      return bad("unknown record '" + what + "'");
    }
    if (!in) return bad("bad '" + what + "' record");
  }
  return r;
}

}  // namespace logship::watch
