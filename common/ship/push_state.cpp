#include "ship/push_state.hpp"

#include <sstream>

namespace logship::ship {

namespace {

constexpr std::string_view kHeader = "logship-push-state v1\n";

Error bad(std::string what) {
  return make_error(ErrorKind::data, "push state: " + std::move(what));
}

// Splits off the next line (without '\n'); false at the end.
bool next_line(std::string_view& text, std::string_view& line) {
  if (text.empty()) return false;
  const auto nl = text.find('\n');
  line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  return true;
}

std::optional<std::uint64_t> field(std::string_view line, std::string_view key) {
  if (line.substr(0, key.size()) != key || line.size() <= key.size() || line[key.size()] != '=')
    return std::nullopt;
  return vault::parse_decimal(line.substr(key.size() + 1));
}

}  // namespace

std::string encode(const PushState& s) {
  std::string out(kHeader);
  out += "acked=" + std::to_string(s.acked) + "\n";
  if (s.inflight) {
    const auto& f = *s.inflight;
    out += "inflight=" + std::to_string(f.first) + " " + std::to_string(f.last) + " " +
           vault::format_time(f.time) + " " + std::to_string(f.dropped) + (f.open ? " open" : "") +
           "\n";
  } else {
    out += "inflight=-\n";
  }
  out += s.seal.persist();
  return out;
}

Result<PushState> decode(std::string_view text) {
  std::string_view line;
  if (text.substr(0, kHeader.size()) != kHeader)
    return bad("unknown version or not a state record");
  text.remove_prefix(kHeader.size());
  if (!next_line(text, line)) return bad("truncated");
  const auto acked = field(line, "acked");
  if (!acked) return bad("bad acked= line");
  if (!next_line(text, line) || line.substr(0, 9) != "inflight=") return bad("bad inflight= line");
  std::optional<InFlight> inflight;
  if (line != "inflight=-") {
    std::istringstream in{std::string(line.substr(9))};
    std::string first, last, time, dropped, open, extra;
    in >> first >> last >> time >> dropped >> open >> extra;
    const auto f = vault::parse_decimal(first), l = vault::parse_decimal(last),
               d = vault::parse_decimal(dropped);
    const auto t = vault::parse_time(time);
    if (!f || !l || !d || !t || (*f && *f > *l) || !(open.empty() || open == "open") ||
        !extra.empty() || (open == "open" && *f == 0))
      return bad("bad inflight= line");
    inflight = InFlight{*f, *l, *t, *d, open == "open"};
  }
  auto seal = vault::SealState::restore(text);
  if (!seal) return bad(seal.error().message);
  return PushState{*acked, inflight, std::move(*seal)};
}

Result<PushStateFile> PushStateFile::open(const std::filesystem::path& path) {
  auto f = SlotFile::open(path);
  if (!f) return f.error();
  return PushStateFile(std::move(*f));
}

Result<std::optional<PushState>> PushStateFile::load() {
  auto r = file_.read();
  if (!r) return r.error();
  if (!r->has_value()) return std::optional<PushState>{};
  auto s = decode(**r);
  if (!s) return s.error();
  return std::optional<PushState>{std::move(*s)};
}

Result<void> PushStateFile::save(const PushState& state) {
  return file_.write(encode(state));
}

}  // namespace logship::ship
