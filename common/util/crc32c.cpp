#include "util/crc32c.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace logship {

namespace {

constexpr std::uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

// Slice-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes.
constexpr auto make_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
    t[0][b] = c;
  }
  for (std::uint32_t b = 0; b < 256; ++b)
    for (int k = 1; k < 8; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  return t;
}

constexpr auto kTables = make_tables();

}  // namespace

#if defined(__x86_64__)
// The SSE4.2 crc32 instruction computes exactly CRC-32C, 8 bytes per instruction.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(const unsigned char* p, size_t n,
                                                             std::uint32_t crc) {
  std::uint64_t c = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n; ++p, --n) c32 = __builtin_ia32_crc32qi(c32, *p);
  return ~c32;
}

// The common length of the three in lockstep, then each one's rest alone.
__attribute__((target("sse4.2"))) void crc32c_x3_sse42(const std::string_view (&s)[3],
                                                       std::uint32_t out[3]) {
  const auto* a = reinterpret_cast<const unsigned char*>(s[0].data());
  const auto* b = reinterpret_cast<const unsigned char*>(s[1].data());
  const auto* c = reinterpret_cast<const unsigned char*>(s[2].data());
  const size_t common = std::min({s[0].size(), s[1].size(), s[2].size()}) & ~size_t{7};
  std::uint64_t ca = 0xFFFFFFFFu, cb = 0xFFFFFFFFu, cc = 0xFFFFFFFFu;
  for (size_t i = 0; i < common; i += 8) {
    std::uint64_t va, vb, vc;
    std::memcpy(&va, a + i, 8);
    std::memcpy(&vb, b + i, 8);
    std::memcpy(&vc, c + i, 8);
    ca = __builtin_ia32_crc32di(ca, va);
    cb = __builtin_ia32_crc32di(cb, vb);
    cc = __builtin_ia32_crc32di(cc, vc);
  }
  // crc32c_sse42 takes a finished CRC: the complement of the running register.
  out[0] = crc32c_sse42(a + common, s[0].size() - common, ~static_cast<std::uint32_t>(ca));
  out[1] = crc32c_sse42(b + common, s[1].size() - common, ~static_cast<std::uint32_t>(cb));
  out[2] = crc32c_sse42(c + common, s[2].size() - common, ~static_cast<std::uint32_t>(cc));
}

const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

std::uint32_t crc32c(std::string_view bytes, std::uint32_t crc) {
  auto p = reinterpret_cast<const unsigned char*>(bytes.data());
#if defined(__x86_64__)
  if (kHaveSse42) return crc32c_sse42(p, bytes.size(), crc);
#endif
  size_t n = bytes.size();
  crc = ~crc;
  while (n >= 8) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;  // little-endian hosts only (checked in spool.cpp)
    crc = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^ kTables[5][(lo >> 16) & 0xFF] ^
          kTables[4][lo >> 24] ^ kTables[3][hi & 0xFF] ^ kTables[2][(hi >> 8) & 0xFF] ^
          kTables[1][(hi >> 16) & 0xFF] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xFF];
  return ~crc;
}

void crc32c_x3(std::string_view a, std::string_view b, std::string_view c, std::uint32_t out[3]) {
#if defined(__x86_64__)
  if (kHaveSse42) return crc32c_x3_sse42({a, b, c}, out);
#endif
  out[0] = crc32c(a);
  out[1] = crc32c(b);
  out[2] = crc32c(c);
}

}  // namespace logship
