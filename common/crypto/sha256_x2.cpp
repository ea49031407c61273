// sha256_x2: two SHA-256 digests computed at once with the SHA-NI instructions, interleaved
// round by round. Falls back to two sha256() calls without SHA-NI, or for long messages.
#include <cstring>

#include "crypto/sha256.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace logship::crypto {

namespace {

constexpr std::size_t kMaxInterleaved = 1024;  // bytes: longer messages are hashed one by one

#if defined(__x86_64__)

alignas(16) constexpr std::uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

bool have_sha_ni() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool sha = b & (1u << 29);
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool sse41 = c & (1u << 19), ssse3 = c & (1u << 9);
  return sha && sse41 && ssse3;
}
const bool kHaveShaNi = have_sha_ni();

// The state as SHA-NI holds it: {ABEF, CDGH}.
struct NiState {
  __m128i s0, s1;
};

__attribute__((target("sha,sse4.1,ssse3"))) NiState initial_state() {
  const __m128i abcd = _mm_set_epi32(0xa54ff53a, 0x3c6ef372, 0xbb67ae85, 0x6a09e667);
  const __m128i efgh = _mm_set_epi32(0x5be0cd19, 0x1f83d9ab, 0x9b05688c, 0x510e527f);
  const __m128i t = _mm_shuffle_epi32(abcd, 0xB1);  // CDAB
  const __m128i u = _mm_shuffle_epi32(efgh, 0x1B);  // EFGH
  return {_mm_alignr_epi8(t, u, 8), _mm_blend_epi16(u, t, 0xF0)};
}

__attribute__((target("sha,sse4.1,ssse3"))) void store_digest(const NiState& st, Digest& out) {
  const __m128i t = _mm_shuffle_epi32(st.s0, 0x1B);  // FEBA
  const __m128i u = _mm_shuffle_epi32(st.s1, 0xB1);  // DCHG
  const __m128i abcd = _mm_blend_epi16(t, u, 0xF0);
  const __m128i efgh = _mm_alignr_epi8(u, t, 8);
  const __m128i be = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data()), _mm_shuffle_epi8(abcd, be));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data() + 16), _mm_shuffle_epi8(efgh, be));
}

// Compresses n 64-byte blocks from each of `streams` states (1 or 2), interleaved.
template <int N>
__attribute__((target("sha,sse4.1,ssse3"))) void compress(NiState (&st)[N],
                                                          const unsigned char* (&p)[N],
                                                          std::size_t n) {
  const __m128i be = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  for (; n; --n) {
    NiState saved[N];
    __m128i m[N][4];
    for (int k = 0; k < N; ++k) {
      saved[k] = st[k];
      for (int i = 0; i < 4; ++i)
        m[k][i] =
            _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p[k] + 16 * i)), be);
      p[k] += 64;
    }
#pragma GCC unroll 16  // unrolled, m[][] and the states stay in registers
    for (int r = 0; r < 16; ++r) {
      const __m128i kr = _mm_load_si128(reinterpret_cast<const __m128i*>(&kK[4 * r]));
      __m128i w[N];
      for (int k = 0; k < N; ++k) {
        w[k] = _mm_add_epi32(m[k][r & 3], kr);
        st[k].s1 = _mm_sha256rnds2_epu32(st[k].s1, st[k].s0, w[k]);
      }
      for (int k = 0; k < N; ++k) {
        w[k] = _mm_shuffle_epi32(w[k], 0x0E);
        st[k].s0 = _mm_sha256rnds2_epu32(st[k].s0, st[k].s1, w[k]);
      }
      if (r < 12) {  // the message schedule: W[4(r+1)..] from W[4r..]
        for (int k = 0; k < N; ++k) {
          __m128i t = _mm_sha256msg1_epu32(m[k][r & 3], m[k][(r + 1) & 3]);
          t = _mm_add_epi32(t, _mm_alignr_epi8(m[k][(r + 3) & 3], m[k][(r + 2) & 3], 4));
          m[k][r & 3] = _mm_sha256msg2_epu32(t, m[k][(r + 3) & 3]);
        }
      }
    }
    for (int k = 0; k < N; ++k) {
      st[k].s0 = _mm_add_epi32(st[k].s0, saved[k].s0);
      st[k].s1 = _mm_add_epi32(st[k].s1, saved[k].s1);
    }
  }
}

// Copies a message and its padding into `buf` (whole blocks); returns the number of blocks.
std::size_t pad(std::string_view m, unsigned char* buf) {
  std::memcpy(buf, m.data(), m.size());
  std::size_t n = m.size();
  buf[n++] = 0x80;
  const std::size_t blocks = (n + 8 + 63) / 64;
  std::memset(buf + n, 0, blocks * 64 - 8 - n);
  const std::uint64_t bits = static_cast<std::uint64_t>(m.size()) * 8;
  for (int i = 0; i < 8; ++i)
    buf[blocks * 64 - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
  return blocks;
}

__attribute__((target("sha,sse4.1,ssse3"))) void x2_ni(std::string_view a, std::string_view b,
                                                       Digest& da, Digest& db) {
  alignas(16) unsigned char ba[kMaxInterleaved + 128], bb[kMaxInterleaved + 128];
  std::size_t na = pad(a, ba), nb = pad(b, bb);
  NiState both[2] = {initial_state(), initial_state()};
  const unsigned char* p[2] = {ba, bb};
  const std::size_t common = std::min(na, nb);
  compress<2>(both, p, common);
  NiState one[1] = {both[na > nb ? 0 : 1]};
  const unsigned char* q[1] = {p[na > nb ? 0 : 1]};
  compress<1>(one, q, std::max(na, nb) - common);
  both[na > nb ? 0 : 1] = one[0];
  store_digest(both[0], da);
  store_digest(both[1], db);
}

#endif

}  // namespace

void sha256_x2(std::string_view a, std::string_view b, Digest& da, Digest& db) {
#if defined(__x86_64__)
  if (kHaveShaNi && a.size() <= kMaxInterleaved && b.size() <= kMaxInterleaved)
    return x2_ni(a, b, da, db);
#endif
  da = sha256(a);
  db = sha256(b);
}

}  // namespace logship::crypto
