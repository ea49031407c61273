#include "spool/segment.hpp"

#include <bit>
#include <cassert>
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
  append_record(out, id, partial, payload);
  seal_records(std::span<char>(out).subspan(start));
}

void append_record(std::string& out, std::uint64_t id, bool partial, std::string_view payload) {
  const size_t start = out.size();
  out.append(kRecordHeaderSize, '\0');  // the CRC stays zero until seal_records
  out.append(payload);                  // appended, not zero-filled first as by resize()
  char* p = out.data() + start;
  const auto len = static_cast<std::uint32_t>(payload.size());
  std::memcpy(p + 4, &len, sizeof len);
  std::memcpy(p + 8, &id, sizeof id);
  p[16] = static_cast<char>(partial ? kFlagPartial : 0);
}

void seal_records(std::span<char> records) {
  const auto length = [&](std::size_t at) { return get<std::uint32_t>(records.data() + at + 4); };
  // The CRC covers the header after its own field, and the payload.
  const auto covered = [&](std::size_t at) {
    return std::string_view(records.data() + at + 4, kRecordHeaderSize - 4 + length(at));
  };
  std::size_t at[3];
  std::size_t held = 0;
  for (std::size_t pos = 0; pos < records.size(); pos += kRecordHeaderSize + length(pos)) {
    assert(records.size() - pos >= kRecordHeaderSize &&
           records.size() - pos - kRecordHeaderSize >= length(pos));  // whole records only
    at[held++] = pos;
    if (held < 3) continue;
    std::uint32_t crc[3];
    crc32c_x3(covered(at[0]), covered(at[1]), covered(at[2]), crc);
    for (std::size_t k = 0; k < 3; ++k) std::memcpy(records.data() + at[k], &crc[k], 4);
    held = 0;
  }
  for (std::size_t k = 0; k < held; ++k) {
    const std::uint32_t crc = crc32c(covered(at[k]));
    std::memcpy(records.data() + at[k], &crc, 4);
  }
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
