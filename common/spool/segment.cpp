#include "spool/segment.hpp"

#include <bit>
#include <charconv>
#include <cstring>

#include "util/crc32c.hpp"

namespace logship::spool {

static_assert(std::endian::native == std::endian::little, "spool encoding assumes little-endian");

namespace {

constexpr char kMagic[8] = {'L', 'O', 'G', 'S', 'P', 'O', 'O', 'L'};

template <class T>
void put(std::string& out, T v) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out.append(b, sizeof v);
}

template <class T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

std::string encode_segment_header(std::uint64_t first_id) {
  std::string h(kMagic, sizeof kMagic);
  put<std::uint32_t>(h, kSegmentVersion);
  put<std::uint32_t>(h, 0);
  put<std::uint64_t>(h, first_id);
  put<std::uint32_t>(h, crc32c(h));
  put<std::uint32_t>(h, 0);
  return h;
}

std::optional<std::uint64_t> decode_segment_header(std::string_view b) {
  if (b.size() < kSegmentHeaderSize || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0)
    return std::nullopt;
  if (get<std::uint32_t>(b.data() + 8) != kSegmentVersion) return std::nullopt;
  if (get<std::uint32_t>(b.data() + 24) != crc32c(b.substr(0, 24))) return std::nullopt;
  return get<std::uint64_t>(b.data() + 16);
}

void encode_record(std::string& out, std::uint64_t id, bool partial, std::string_view payload) {
  const size_t start = out.size();
  out.resize(start + kRecordHeaderSize + payload.size());
  char* p = out.data() + start;
  const auto len = static_cast<std::uint32_t>(payload.size());
  std::memcpy(p + 4, &len, sizeof len);
  std::memcpy(p + 8, &id, sizeof id);
  p[16] = static_cast<char>(partial ? kFlagPartial : 0);
  std::memcpy(p + kRecordHeaderSize, payload.data(), payload.size());
  // The CRC covers the rest of the header and the payload.
  const std::uint32_t crc = crc32c(std::string_view(p + 4, kRecordHeaderSize - 4 + payload.size()));
  std::memcpy(p, &crc, sizeof crc);
}

Decode decode_view(std::string_view b, RecordView& rec, std::size_t& size, bool verify) {
  if (b.size() < kRecordHeaderSize) return Decode::need_more;
  const auto len = get<std::uint32_t>(b.data() + 4);
  if (len > kMaxRecordPayload) return Decode::corrupt;
  const std::uint8_t flags = static_cast<std::uint8_t>(b[16]);
  if (flags & ~kFlagPartial) return Decode::corrupt;
  if (b.size() < kRecordHeaderSize + len) return Decode::need_more;
  if (verify && crc32c(b.substr(4, kRecordHeaderSize - 4 + len)) != get<std::uint32_t>(b.data()))
    return Decode::corrupt;
  rec.id = get<std::uint64_t>(b.data() + 8);
  rec.partial = flags & kFlagPartial;
  rec.data = b.substr(kRecordHeaderSize, len);
  size = kRecordHeaderSize + len;
  return Decode::ok;
}

Decode decode_record(std::string_view b, Record& rec, std::size_t& size, bool copy_payload) {
  RecordView v;
  const Decode d = decode_view(b, v, size, true);
  if (d != Decode::ok) return d;
  rec.id = v.id;
  rec.partial = v.partial;
  if (copy_payload) rec.data.assign(v.data);
  return d;
}

std::string segment_file_name(std::uint64_t first_id) {
  std::string digits = std::to_string(first_id);
  return std::string(20 - digits.size(), '0') + digits + ".seg";
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != 24 || name.substr(20) != ".seg") return std::nullopt;
  std::uint64_t id = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + 20, id);
  if (ec != std::errc() || p != name.data() + 20) return std::nullopt;
  return id;
}

}  // namespace logship::spool
