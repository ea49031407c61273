// The state of a verifier that follows a live file (Verifier::state, Verifier::resume):
// versioned text, one record per line, a CRC-32C check record last.

#include "vault/verifier_impl.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "util/crc32c.hpp"
#include "vault/control_line.hpp"

namespace logship::vault {

using namespace detail;

namespace {

constexpr std::string_view kStateHeader = "logship-verifier-state v1";

// A string as one token: never empty, never holding a space or LF.
std::string token(std::string_view raw) {
  return "'" + percent_encode(raw);
}
std::optional<std::string> from_token(std::string_view t) {
  if (t.empty() || t[0] != '\'') return std::nullopt;
  return percent_decode(t.substr(1));
}

std::int64_t micros(VaultTime t) {
  return t.time_since_epoch().count();
}

class StateWriter {
 public:
  StateWriter& record(std::string_view name) {
    if (!text_.empty()) text_ += '\n';
    text_ += name;
    return *this;
  }
  StateWriter& operator<<(std::uint64_t v) { return add(std::to_string(v)); }
  StateWriter& operator<<(std::int64_t v) { return add(std::to_string(v)); }
  StateWriter& operator<<(bool v) { return add(v ? "1" : "0"); }
  StateWriter& operator<<(const crypto::Digest& d) { return add(crypto::to_hex(d)); }
  StateWriter& operator<<(std::string_view raw) { return add(token(raw)); }
  StateWriter& operator<<(const std::string& raw) { return add(token(raw)); }
  std::string finish() {
    text_ += '\n';
    char crc[16];
    std::snprintf(crc, sizeof crc, "%08x", crc32c(text_));
    return text_ + "check " + crc + "\n";
  }

 private:
  StateWriter& add(std::string_view word) {
    text_ += ' ';
    text_ += word;
    return *this;
  }
  std::string text_;
};

// Reads one record's fields in order; any malformed field makes ok() false.
class FieldReader {
 public:
  explicit FieldReader(std::vector<std::string_view> words) : words_(std::move(words)) {}
  std::uint64_t u64() {
    auto v = parse_decimal(next());
    ok_ = ok_ && v.has_value();
    return v.value_or(0);
  }
  std::int64_t i64() {
    const auto w = next();
    const bool neg = !w.empty() && w[0] == '-';
    auto v = parse_decimal(neg ? w.substr(1) : w);
    ok_ = ok_ && v && *v <= static_cast<std::uint64_t>(INT64_MAX);
    const auto n = static_cast<std::int64_t>(v.value_or(0));
    return neg ? -n : n;
  }
  bool flag() {
    const auto w = next();
    ok_ = ok_ && (w == "0" || w == "1");
    return w == "1";
  }
  crypto::Digest digest() {
    auto d = crypto::digest_from_hex(next());
    ok_ = ok_ && d.has_value();
    return d.value_or(crypto::Digest{});
  }
  std::string text() {
    auto s = from_token(next());
    ok_ = ok_ && s.has_value();
    return s.value_or(std::string());
  }
  VaultTime time() { return VaultTime(std::chrono::microseconds(i64())); }
  std::string_view word() { return next(); }
  bool ok() const { return ok_ && i_ == words_.size(); }

 private:
  std::string_view next() {
    if (i_ >= words_.size()) {
      ok_ = false;
      return {};
    }
    return words_[i_++];
  }
  std::vector<std::string_view> words_;
  std::size_t i_ = 0;
  bool ok_ = true;
};

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  while (!line.empty()) {
    const auto sp = line.find(' ');
    words.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return words;
}

void write_keys(StateWriter& w, const KeySchedule& k) {
  const auto p = k.position();
  w << p.k0 << p.cp << p.cp_key << p.seq << p.key;
}

std::unique_ptr<KeySchedule> read_keys(FieldReader& r, std::string_view domain) {
  KeySchedule::Position p;
  p.k0 = r.digest();
  p.cp = r.u64();
  p.cp_key = r.digest();
  p.seq = r.u64();
  p.key = r.digest();
  if (p.cp % KeySchedule::kCheckpointEvery != 0 || p.cp > p.seq) return nullptr;
  auto keys = std::make_unique<KeySchedule>(p, domain);
  crypto::wipe(p.k0);
  crypto::wipe(p.cp_key);
  crypto::wipe(p.key);
  return keys;
}

}  // namespace

std::string Verifier::Impl::state() const {
  StateWriter w;
  w.record(kStateHeader);
  w.record("live") << cursor.offset << cursor.lines << cursor.in_long_line
                   << (live == SIZE_MAX ? std::string() : name(live));
  w.record("totals") << sum.lines_read << sum.bytes_read << sum.findings << sum.infos << key_budget
                     << completions;
  if (genesis_keys) write_keys(w.record("genesis-keys"), *genesis_keys);
  for (const StreamState* s : order) {
    const StreamSummary& m = s->sum;
    w.record("stream") << m.src << m.stream;
    w.record("sum") << m.has_batches << m.first_seq << micros(m.first_time) << m.last_seq
                    << micros(m.last_time) << m.batches << m.heartbeats << m.duplicates
                    << m.interrupted << m.remnants << m.dropped << m.redacted << m.payload_lines;
    for (const Field& f : m.last_extra) w.record("extra") << f.key << f.value;
    if (s->last) {
      w.record("last") << s->last->seq << s->last->chain << micros(s->last_time);
      if (s->last_file == live)
        w << std::string_view("");  // (the live file)
      else
        w << name(s->last_file);
      w << s->last_line << s->last_begin_offset << s->last_begin_digest;
    }
    if (s->keys) {
      w.record("keys") << s->keys_genesis.has_value() << s->keys_genesis.value_or(0);
      write_keys(w, *s->keys);
    }
    // The recent batches of the live file, newest last (older ones are not kept: a remnant of
    // one after a restart is a finding, as it is beyond VerifyOptions::recent_batches).
    if (s->last && !s->recent.empty()) {
      const auto last = s->last->seq;
      const std::uint64_t keep = std::min<std::uint64_t>(kLatePrefixBatches, last + 1);
      for (std::uint64_t k = keep; k-- > 0;) {
        const SealedBatch& b = s->recent[(last - k) % s->recent.size()];
        if (b.seq == last - k && b.file == live)
          w.record("recent") << b.seq << b.line << b.begin << b.end;
      }
    }
    for (const Continuation& c : s->continuations)
      if (c.file == live) w.record("cont") << c.seq << c.next << c.alt << c.line;
  }
  if (extractor) {
    for (const auto& [key, n] : extractor->extracted()) w.record("extracted") << key << n;
    w.record("mid-line") << extractor->mid_line();
  }
  return w.finish();
}

Result<void> Verifier::Impl::load_state(std::string_view text, UniqueFd live_fd,
                                        std::string live_name) {
  auto bad = [](std::string why) {
    return make_error(ErrorKind::data, "verifier state: " + std::move(why));
  };
  const auto check_at = text.rfind("check ");
  if (check_at == std::string_view::npos || (check_at > 0 && text[check_at - 1] != '\n'))
    return bad("no check record (damaged)");
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", crc32c(text.substr(0, check_at)));
  if (text.substr(check_at) != "check " + std::string(crc) + "\n")
    return bad("check value does not match (damaged)");
  text = text.substr(0, check_at);

  struct stat st {};
  if (::fstat(live_fd.get(), &st) != 0)
    return make_error(ErrorKind::io, errno_message("stat", live_name));
  std::map<std::string, std::size_t> old_files;  // earlier files named in the state: closed
  auto file_index = [&](const std::string& n) {
    auto [it, added] = old_files.emplace(n, fds.size());
    if (added) {
      fds.emplace_back();
      sizes.push_back(0);
      names.push_back(n);
      sum.files.push_back(n);
    }
    return it->second;
  };
  StreamState* s = nullptr;
  std::map<std::string, std::uint64_t> extracted;
  bool mid_line = false, seen_live = false;
  std::vector<std::pair<StreamState*, std::string>> last_files;  // resolved at the end
  std::size_t n = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (n++ == 0) {
      if (line != kStateHeader) return bad("not a logship-verifier-state v1 record");
      continue;
    }
    auto words = split_words(line);
    const std::string_view rec = words.empty() ? "" : words.front();
    if (!words.empty()) words.erase(words.begin());
    FieldReader r(std::move(words));
    if (rec == "live") {
      cursor.offset = r.u64();
      cursor.lines = r.u64();
      cursor.in_long_line = r.flag();
      (void)r.text();  // (the name it had; the caller gives the file)
      seen_live = true;
    } else if (rec == "totals") {
      sum.lines_read = r.u64();
      sum.bytes_read = r.u64();
      sum.findings = r.u64();
      sum.infos = r.u64();
      key_budget = r.u64();
      completions = r.u64();
    } else if (rec == "genesis-keys") {
      genesis_keys = read_keys(r, kGenesisDomain);
      if (!genesis_keys) return bad("bad genesis key position");
    } else if (rec == "stream") {
      auto src = r.text(), stream = r.text();
      if (!r.ok()) return bad("bad stream record");
      auto& slot = by_name[{src, stream}];
      if (slot) return bad("stream listed twice");
      slot = std::make_unique<StreamState>();
      slot->sum.src = std::move(src);
      slot->sum.stream = std::move(stream);
      s = slot.get();
      order.push_back(s);
      continue;
    } else if (!s && rec != "extracted" && rec != "mid-line") {
      return bad("record '" + std::string(rec) + "' before any stream");
    } else if (rec == "sum") {
      StreamSummary& m = s->sum;
      m.has_batches = r.flag();
      m.first_seq = r.u64();
      m.first_time = r.time();
      m.last_seq = r.u64();
      m.last_time = r.time();
      m.batches = r.u64();
      m.heartbeats = r.u64();
      m.duplicates = r.u64();
      m.interrupted = r.u64();
      m.remnants = r.u64();
      m.dropped = r.u64();
      m.redacted = r.u64();
      m.payload_lines = r.u64();
    } else if (rec == "extra") {
      Field f;
      f.key = r.text();
      f.value = r.text();
      s->sum.last_extra.push_back(std::move(f));
    } else if (rec == "last") {
      LastBatch b;
      b.seq = r.u64();
      b.chain = r.digest();
      s->last = b;
      s->last_time = r.time();
      last_files.emplace_back(s, r.text());
      s->last_line = r.u64();
      s->last_begin_offset = r.u64();
      s->last_begin_digest = r.digest();
    } else if (rec == "keys") {
      const bool has_genesis = r.flag();
      const auto genesis = r.u64();
      if (has_genesis) s->keys_genesis = genesis;
      s->keys = read_keys(r, kKeyDomain);
      if (!s->keys) return bad("bad key position");
    } else if (rec == "recent") {
      SealedBatch b;
      b.seq = r.u64();
      b.line = r.u64();
      b.begin = r.u64();
      b.end = r.u64();
      b.file = SIZE_MAX;  // (the live file: set below)
      if (s->recent.empty()) s->recent.resize(std::max<std::size_t>(1, opt.recent_batches));
      s->recent[b.seq % s->recent.size()] = b;
    } else if (rec == "cont") {
      Continuation c;
      c.seq = r.u64();
      c.next = r.u64();
      c.alt = r.flag();
      c.line = r.u64();
      c.file = SIZE_MAX;
      s->continuations.push_back(c);
    } else if (rec == "extracted") {
      auto key = r.text();
      extracted[key] = r.u64();
    } else if (rec == "mid-line") {
      mid_line = r.flag();
    } else {
      return bad("unknown record '" + std::string(rec) + "'");
    }
    if (!r.ok()) return bad("bad '" + std::string(rec) + "' record");
  }
  if (!seen_live) return bad("no live record");
  if (static_cast<std::uint64_t>(st.st_size) < cursor.offset)
    return make_error(ErrorKind::data, live_name + " is shorter (" + std::to_string(st.st_size) +
                                           " bytes) than where verification stood (" +
                                           std::to_string(cursor.offset) + ")");
  for (auto& [stream, file_name] : last_files)
    if (!file_name.empty()) stream->last_file = file_index(file_name);
  const Cursor at = cursor;
  if (auto added = add(std::move(live_fd), std::move(live_name)); !added) return added;
  cursor = at;
  live = file;
  sizes[live] = cursor.offset;
  for (StreamState* st2 : order) {
    for (auto& [stream, file_name] : last_files)
      if (stream == st2 && file_name.empty()) st2->last_file = live;
    for (SealedBatch& b : st2->recent)
      if (b.file == SIZE_MAX) b.file = live;
    for (Continuation& c : st2->continuations) c.file = live;
  }
  if (extractor) extractor->resume(std::move(extracted), mid_line);
  return {};
}

std::string Verifier::state() const {
  return impl_->state();
}

Result<std::unique_ptr<Verifier>> Verifier::resume(VerifyOptions options, Report report,
                                                   ByteSink* extract, std::string_view state,
                                                   UniqueFd live, std::string name) {
  auto v = std::make_unique<Verifier>(std::move(options), std::move(report), extract);
  if (auto st = v->impl_->load_state(state, std::move(live), std::move(name)); !st)
    return st.error();
  return v;
}

}  // namespace logship::vault
