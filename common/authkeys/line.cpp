#include "authkeys/line.hpp"

#include <array>

namespace logship::authkeys {

namespace {

bool blank(char c) {
  return c == ' ' || c == '\t';
}

// The key types OpenSSH 9 reads in authorized_keys; the blob must carry the same name. (The
// short names ssh-keygen knows, ED25519 and the like, do not work there: tested on sshd 9.2.)
struct KeyType {
  std::string_view name;
  std::string_view blob_type;
};
constexpr std::array<KeyType, 18> kKeyTypes{{
    {"ssh-ed25519", "ssh-ed25519"},
    {"ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com"},
    {"sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519@openssh.com"},
    {"sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com"},
    {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"},
    {"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"},
    {"ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521"},
    {"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com"},
    {"ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com"},
    {"ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com"},
    {"sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"},
    {"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com"},
    {"ssh-rsa", "ssh-rsa"},
    {"ssh-rsa-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com"},
    {"ssh-dss", "ssh-dss"},
    {"ssh-dss-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com"},
    {"ssh-xmss@openssh.com", "ssh-xmss@openssh.com"},
    {"ssh-xmss-cert-v01@openssh.com", "ssh-xmss-cert-v01@openssh.com"},
}};

const KeyType* find_type(std::string_view name) {
  for (const auto& t : kKeyTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Base64 as b64_pton reads it: whitespace skipped, '=' padding only at the end.
std::optional<std::string> decode_base64(std::string_view text) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0, pad = 0, chars = 0;
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    const int v = b64_value(c);
    if (v < 0 || pad > 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    ++chars;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (chars == 0 || pad > 2 || (pad > 0 && (chars + pad) % 4 != 0) || chars % 4 == 1)
    return std::nullopt;
  return out;
}

// The first SSH string of a blob (uint32 length, bytes), if it fits.
std::optional<std::string_view> first_string(std::string_view blob, std::size_t& pos) {
  if (blob.size() - pos < 4) return std::nullopt;
  std::uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len = (len << 8) | static_cast<unsigned char>(blob[pos + i]);
  pos += 4;
  if (blob.size() - pos < len) return std::nullopt;
  const auto s = blob.substr(pos, len);
  pos += len;
  return s;
}

}  // namespace

bool PublicKey::certificate() const {
  return type.size() > 16 && type.find("-cert-v01@openssh.com") != std::string::npos;
}

std::optional<PublicKey> parse_public_key(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && !blank(text[i])) ++i;
  if (i == text.size()) return std::nullopt;  // a type with nothing after it
  const auto type = text.substr(0, i);
  const KeyType* known = find_type(type);
  if (known == nullptr) return std::nullopt;
  while (i < text.size() && blank(text[i])) ++i;
  if (i == text.size()) return std::nullopt;
  std::size_t end = i;
  while (end < text.size() && !blank(text[end])) ++end;
  PublicKey key;
  key.type = std::string(type);
  key.base64 = std::string(text.substr(i, end - i));
  auto blob = decode_base64(key.base64);
  if (!blob) return std::nullopt;
  std::size_t pos = 0;
  const auto inner = first_string(*blob, pos);
  if (!inner) return std::nullopt;
  if (*inner != known->blob_type) return std::nullopt;
  key.blob = std::move(*blob);
  while (end < text.size() && blank(text[end])) ++end;
  auto comment = text.substr(end);
  while (!comment.empty() && (comment.back() == '\r' || blank(comment.back())))
    comment.remove_suffix(1);
  key.comment = std::string(comment);
  while (!key.base64.empty() && key.base64.back() == '\r') key.base64.pop_back();
  return key;
}

std::optional<std::uint32_t> rsa_bits(std::string_view blob) {
  std::size_t pos = 0;
  const auto type = first_string(blob, pos);
  if (!type || *type != "ssh-rsa") return std::nullopt;
  if (!first_string(blob, pos)) return std::nullopt;  // e
  auto n = first_string(blob, pos);
  if (!n) return std::nullopt;
  auto m = *n;
  while (!m.empty() && m.front() == '\0') m.remove_prefix(1);
  if (m.empty()) return 0;
  std::uint32_t bits = static_cast<std::uint32_t>(m.size() - 1) * 8;
  for (auto top = static_cast<unsigned char>(m.front()); top != 0; top >>= 1) ++bits;
  return bits;
}

AuthorizedLine parse_line(std::string_view line) {
  if (const auto nul = line.find('\0'); nul != std::string_view::npos) line = line.substr(0, nul);
  std::size_t i = 0;
  while (i < line.size() && blank(line[i])) ++i;
  AuthorizedLine out;
  const auto rest = line.substr(i);
  if (rest.empty() || rest == "\r") return out;  // blank
  if (rest.front() == '#') {
    out.kind = LineKind::comment;
    return out;
  }
  if (auto key = parse_public_key(rest)) {
    out.kind = LineKind::entry;
    out.key = std::move(*key);
    return out;
  }
  // Options: up to the first blank outside double quotes; \" never opens or closes one.
  std::size_t end = 0;
  bool quoted = false;
  for (; end < rest.size() && (quoted || !blank(rest[end])); ++end) {
    if (rest[end] == '\\' && end + 1 < rest.size() && rest[end + 1] == '"')
      ++end;
    else if (rest[end] == '"')
      quoted = !quoted;
  }
  out.options = std::string(rest.substr(0, end));
  if (quoted) {
    out.kind = LineKind::broken;
    out.problem = "a double quote in the options is never closed, so sshd finds no key";
    return out;
  }
  std::size_t k = end;
  while (k < rest.size() && blank(rest[k])) ++k;
  if (auto key = parse_public_key(rest.substr(k))) {
    out.kind = LineKind::entry;
    out.key = std::move(*key);
    return out;
  }
  out.kind = LineKind::broken;
  out.problem = k == rest.size()
                    ? "no key after the options, so sshd skips the line"
                    : "no valid public key (known type, base64 blob of that type) after the "
                      "options, so sshd skips the line";
  return out;
}

}  // namespace logship::authkeys
