#include "ssh/sftp_wire.hpp"

namespace logship::ssh::sftp {

namespace {

constexpr std::uint32_t kAttrSize = 0x1, kAttrUidGid = 0x2, kAttrPermissions = 0x4,
                        kAttrAcModTime = 0x8, kAttrExtended = 0x80000000;

class Writer {
 public:
  explicit Writer(Type type) { out_.assign(4, '\0'), u8(static_cast<std::uint8_t>(type)); }
  Writer& u8(std::uint8_t v) {
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  Writer& u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) u8(static_cast<std::uint8_t>(v >> shift));
    return *this;
  }
  Writer& u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    return u32(static_cast<std::uint32_t>(v));
  }
  Writer& str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
    return *this;
  }
  std::string finish() {
    const auto len = static_cast<std::uint32_t>(out_.size() - 4);
    for (int i = 0; i < 4; ++i) out_[i] = static_cast<char>(len >> (24 - 8 * i));
    return std::move(out_);
  }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u32(std::uint32_t& v) {
    if (in_.size() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(in_[i]);
    in_.remove_prefix(4);
    return true;
  }
  bool u64(std::uint64_t& v) {
    std::uint32_t hi = 0, lo = 0;
    if (!u32(hi) || !u32(lo)) return false;
    v = (std::uint64_t{hi} << 32) | lo;
    return true;
  }
  bool str(std::string_view& s) {
    std::uint32_t len = 0;
    if (!u32(len) || in_.size() < len) return false;
    s = in_.substr(0, len);
    in_.remove_prefix(len);
    return true;
  }

 private:
  std::string_view in_;
};

}  // namespace

std::string encode_init() {
  return Writer(Type::init).u32(3).finish();
}

std::string encode_open(std::uint32_t id, std::string_view path, std::uint32_t flags) {
  return Writer(Type::open).u32(id).str(path).u32(flags).u32(0).finish();  // no attributes
}

std::string encode_path(Type type, std::uint32_t id, std::string_view path) {
  return Writer(type).u32(id).str(path).finish();
}

std::string encode_handle(Type type, std::uint32_t id, std::string_view handle) {
  return Writer(type).u32(id).str(handle).finish();
}

std::string encode_read(std::uint32_t id, std::string_view handle, std::uint64_t offset,
                        std::uint32_t length) {
  return Writer(Type::read).u32(id).str(handle).u64(offset).u32(length).finish();
}

std::optional<Reply> take_reply(std::string_view buffer, std::size_t& used, bool& bad) {
  bad = false;
  used = 0;
  if (buffer.size() < 4) return std::nullopt;
  std::uint32_t len = 0;
  Reader(buffer).u32(len);
  if (len < 1 || len > kMaxPacket) {
    bad = true;
    return std::nullopt;
  }
  if (buffer.size() < 4 + std::size_t{len}) return std::nullopt;
  Reply r;
  r.type = static_cast<Type>(static_cast<std::uint8_t>(buffer[4]));
  std::size_t body = 5;
  if (r.type != Type::version) {
    if (len < 5) {
      bad = true;
      return std::nullopt;
    }
    Reader(buffer.substr(5, 4)).u32(r.id);
    body = 9;
  }
  r.body = buffer.substr(body, 4 + std::size_t{len} - body);
  used = 4 + std::size_t{len};
  return r;
}

bool parse_status(std::string_view body, Code& code, std::string& message) {
  Reader r(body);
  std::uint32_t c = 0;
  std::string_view msg;
  if (!r.u32(c)) return false;
  code = static_cast<Code>(c);
  message.clear();
  if (r.str(msg)) message = msg;  // absent in some old servers
  return true;
}

bool parse_string(std::string_view body, std::string& out) {
  std::string_view s;
  if (!parse_string(body, s)) return false;
  out = s;
  return true;
}

bool parse_string(std::string_view body, std::string_view& out) {
  return Reader(body).str(out);
}

bool parse_attrs(std::string_view body, WireAttrs& out) {
  Reader r(body);
  std::uint32_t flags = 0;
  if (!r.u32(flags)) return false;
  out = WireAttrs{};
  if (flags & kAttrSize) {
    std::uint64_t v = 0;
    if (!r.u64(v)) return false;
    out.size = v;
  }
  if (flags & kAttrUidGid) {
    std::uint32_t u = 0, g = 0;
    if (!r.u32(u) || !r.u32(g)) return false;
    out.uid = u;
    out.gid = g;
  }
  if (flags & kAttrPermissions) {
    std::uint32_t v = 0;
    if (!r.u32(v)) return false;
    out.permissions = v;
  }
  if (flags & kAttrAcModTime) {
    std::uint32_t a = 0, m = 0;
    if (!r.u32(a) || !r.u32(m)) return false;
    out.atime = a;
    out.mtime = m;
  }
  if (flags & kAttrExtended) {
    std::uint32_t count = 0;
    if (!r.u32(count)) return false;
    for (std::uint32_t i = 0; i < count; ++i) {
      std::string_view k, v;
      if (!r.str(k) || !r.str(v)) return false;
    }
  }
  return true;
}

bool parse_version(std::string_view body, std::uint32_t& version) {
  return Reader(body).u32(version);  // extensions follow; not needed
}

}  // namespace logship::ssh::sftp
