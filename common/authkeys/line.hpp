// One authorized_keys line, split the way sshd splits it (auth2-pubkeyfile.c,
// sshkey_advance_past_options, sshkey_read): leading blanks skipped, '#' lines and blank lines
// ignored, then either a bare key, or options (up to the first blank outside double quotes,
// where \" does not end a quote) followed by a key; then the comment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logship::authkeys {

enum class LineKind {
  blank,    // empty or only blanks
  comment,  // first non-blank character is '#'
  entry,    // a key, maybe with options
  broken,   // sshd finds no key in it and skips it
};

struct PublicKey {
  std::string type;    // as written: "ssh-ed25519", "sk-ssh-ed25519@openssh.com", ...
  std::string base64;  // the blob as written
  std::string blob;    // decoded
  std::string comment;
  bool certificate() const;  // a *-cert-v01@openssh.com type
};

struct AuthorizedLine {
  LineKind kind = LineKind::blank;
  std::string options;  // the raw option text, still quoted ("" when none)
  PublicKey key;        // for entry
  std::string problem;  // for broken: why sshd skips the line
};

// Splits one line (without its '\n'; sshd stops reading a line at a NUL, and so does this).
AuthorizedLine parse_line(std::string_view line);

// The key in `text` ("TYPE BASE64 [COMMENT]"), as sshd's sshkey_read accepts it: a known type
// name, a blob that decodes, and whose own type name matches. Nullopt otherwise.
std::optional<PublicKey> parse_public_key(std::string_view text);

// The size in bits of an ssh-rsa key's modulus, from its blob; nullopt if not an RSA blob.
std::optional<std::uint32_t> rsa_bits(std::string_view blob);

}  // namespace logship::authkeys
