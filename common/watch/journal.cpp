#include "watch/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "util/crc32c.hpp"

namespace logship::watch {

namespace {

constexpr std::string_view kCheckpointHeader = "logship-watch-checkpoint v1";
constexpr char kMagic[4] = {'L', 'S', 'W', 'J'};

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i) & 0xff);
}
bool get_u64(std::string_view& in, std::uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  in.remove_prefix(8);
  return true;
}
void put_bytes(std::string& out, std::string_view b) {
  put_u64(out, b.size());
  out.append(b);
}
bool get_bytes(std::string_view& in, std::string& b) {
  std::uint64_t n = 0;
  if (!get_u64(in, n) || in.size() < n) return false;
  b.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

std::string encode_streams(const std::map<std::string, std::string>& streams) {
  std::string out;
  put_u64(out, streams.size());
  for (const auto& [name, rec] : streams) {
    put_bytes(out, name);
    put_bytes(out, rec);
  }
  return out;
}
bool decode_streams(std::string_view& in, std::map<std::string, std::string>& streams) {
  std::uint64_t n = 0;
  if (!get_u64(in, n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string name, rec;
    if (!get_bytes(in, name) || !get_bytes(in, rec)) return false;
    streams[name] = std::move(rec);
  }
  return true;
}

}  // namespace

std::uint64_t Round::emit_total() const {
  std::uint64_t n = 0;
  for (const auto& s : streams) n += s.emit_bytes;
  return n;
}

Result<Journal> Journal::open(const std::filesystem::path& dir) {
  UniqueFd fd(::open((dir / "journal").c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid())
    return make_error(ErrorKind::io, errno_message("open", dir / "journal") +
                                         ": check that --state-dir is writable by this user");
  return Journal(dir, std::move(fd));
}

Result<Journal::Loaded> Journal::load() {
  Loaded out;
  std::uint64_t checkpoint_round = 0;
  if (std::filesystem::exists(dir_ / "checkpoint")) {
    auto text = read_file(dir_ / "checkpoint");
    if (!text) return text.error();
    std::string_view in = *text;
    const auto header = std::string(kCheckpointHeader) + "\n";
    std::uint64_t crc = 0;
    if (in.substr(0, header.size()) != header)
      return make_error(ErrorKind::data, (dir_ / "checkpoint").string() +
                                             " is not a logship-watch-checkpoint v1 file");
    in.remove_prefix(header.size());
    std::string_view body = in;
    if (!get_u64(in, crc) || !get_u64(in, checkpoint_round) || !decode_streams(in, out.streams) ||
        !in.empty() || crc32c(body.substr(8)) != crc)
      return make_error(ErrorKind::data,
                        (dir_ / "checkpoint").string() +
                            " is damaged: remove the state directory to verify every stream "
                            "from the start (lines are emitted again)");
    out.next_round = checkpoint_round + 1;
  }
  auto text = read_file(dir_ / "journal");
  if (!text) return text.error();
  std::string_view in = *text;
  std::uint64_t good = 0;
  while (in.size() >= 16 && std::memcmp(in.data(), kMagic, 4) == 0) {
    std::string_view head = in.substr(4);
    std::uint64_t len = 0, crc = 0;
    if (!get_u64(head, len) || !get_u64(head, crc) || head.size() < len) break;
    std::string_view body = head.substr(0, len);
    if (crc32c(body) != crc) break;
    Round r;
    std::string_view b = body;
    std::uint64_t n = 0;
    bool ok = get_u64(b, r.number) && get_u64(b, r.emit_inode) && get_u64(b, r.emit_base) &&
              get_u64(b, n);
    for (std::uint64_t i = 0; ok && i < n; ++i) {
      Round::Stream st;
      ok = get_bytes(b, st.name) && get_bytes(b, st.record) && get_u64(b, st.emit_bytes);
      r.streams.push_back(std::move(st));
    }
    if (!ok || !b.empty()) break;
    in.remove_prefix(4 + 16 + len);
    good += 4 + 16 + len;
    if (r.number <= checkpoint_round) continue;  // (folded into the checkpoint already)
    out.before_last.clear();
    for (const auto& st : r.streams) {
      if (auto it = out.streams.find(st.name); it != out.streams.end())
        out.before_last[st.name] = it->second;
      out.streams[st.name] = st.record;
    }
    out.next_round = r.number + 1;
    out.last = std::move(r);
  }
  if (good != text->size() && ::ftruncate(journal_.get(), static_cast<off_t>(good)) != 0)
    return make_error(ErrorKind::io, errno_message("truncate", dir_ / "journal"));
  journal_bytes_ = good;
  return out;
}

Result<void> Journal::append(const Round& r, bool sync) {
  std::string body;
  put_u64(body, r.number);
  put_u64(body, r.emit_inode);
  put_u64(body, r.emit_base);
  put_u64(body, r.streams.size());
  for (const auto& st : r.streams) {
    put_bytes(body, st.name);
    put_bytes(body, st.record);
    put_u64(body, st.emit_bytes);
  }
  std::string rec(kMagic, 4);
  put_u64(rec, body.size());
  put_u64(rec, crc32c(body));
  rec += body;
  if (auto st = write_all(journal_.get(), rec, dir_ / "journal"); !st) return st;
  journal_bytes_ += rec.size();
  if (sync && ::fdatasync(journal_.get()) != 0)
    return make_error(ErrorKind::io, errno_message("fdatasync", dir_ / "journal"));
  return {};
}

Result<void> Journal::compact(const std::map<std::string, std::string>& streams,
                              std::uint64_t last_round) {
  std::string body;
  put_u64(body, last_round);
  body += encode_streams(streams);
  std::string text = std::string(kCheckpointHeader) + "\n";
  put_u64(text, crc32c(body));
  text += body;
  if (auto st = atomic_write_file(dir_ / "checkpoint", text, 0600); !st) return st;
  if (::ftruncate(journal_.get(), 0) != 0)
    return make_error(ErrorKind::io, errno_message("truncate", dir_ / "journal"));
  journal_bytes_ = 0;
  return {};
}

}  // namespace logship::watch
