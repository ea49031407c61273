// Public key blobs for parser tests: what a real key of a type looks like on the wire
// (string type, then key material), base64 as in authorized_keys.
#pragma once

#include <cstdint>
#include <string>

namespace logship::authkeys::test {

inline std::string ssh_string(const std::string& s) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((s.size() >> shift) & 0xff);
  return out + s;
}

inline std::string base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                            (static_cast<unsigned char>(in[i + 1]) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += std::string{k[(v >> 18) & 63], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const std::uint32_t v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += std::string{k[(v >> 18) & 63], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

// A blob whose type string is `type`, followed by 32 bytes numbered by `seed`.
inline std::string blob(const std::string& type, char seed = 'a') {
  return base64(ssh_string(type) + ssh_string(std::string(32, seed)));
}

// An ssh-rsa blob with a modulus of `bits` bits.
inline std::string rsa_blob(int bits) {
  std::string n(static_cast<std::size_t>(bits / 8), '\x55');
  n[0] = '\x80';  // top bit set: an mpint needs a leading zero byte
  return base64(ssh_string("ssh-rsa") + ssh_string("\x01\x00\x01") + ssh_string('\0' + n));
}

}  // namespace logship::authkeys::test
