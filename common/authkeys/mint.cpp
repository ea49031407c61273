#include "authkeys/mint.hpp"

#include <libssh/libssh.h>

#include <memory>

namespace logship::authkeys {

namespace {

struct KeyFree {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};
using Key = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyFree>;

struct CharFree {
  void operator()(char* p) const { ssh_string_free_char(p); }
};
using CString = std::unique_ptr<char, CharFree>;

Error failed(const std::string& what) {
  return make_error(ErrorKind::io, "libssh: " + what);
}

Result<std::string> public_base64(const ssh_key key) {
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK || b64 == nullptr)
    return failed("cannot export the public key");
  CString owned(b64);
  return std::string(owned.get());
}

}  // namespace

Result<KeyPair> mint_ed25519() {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw) != SSH_OK || raw == nullptr)
    return failed("cannot generate an ed25519 key");
  Key key(raw);
  KeyPair pair;
  pair.type = ssh_key_type_to_char(ssh_key_type(key.get()));
  auto pub = public_base64(key.get());
  if (!pub) return pub.error();
  pair.public_base64 = *pub;

  char* text = nullptr;
  if (ssh_pki_export_privkey_base64(key.get(), nullptr, nullptr, nullptr, &text) != SSH_OK ||
      text == nullptr)
    return failed("cannot export the private key");
  CString owned_text(text);
  pair.private_text = owned_text.get();
  if (pair.private_text.empty() || pair.private_text.back() != '\n') pair.private_text += '\n';

  ssh_key back = nullptr;
  if (ssh_pki_import_privkey_base64(pair.private_text.c_str(), nullptr, nullptr, nullptr, &back) !=
      SSH_OK)
    return failed("cannot read back the private key it exported");
  Key reread(back);
  if (ssh_key_cmp(key.get(), reread.get(), SSH_KEY_CMP_PRIVATE) != 0)
    return failed("the exported private key reads back as a different key");

  unsigned char* hash = nullptr;
  size_t hlen = 0;
  if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != SSH_OK)
    return failed("cannot hash the public key");
  char* fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
  ssh_clean_pubkey_hash(&hash);
  if (fp == nullptr) return failed("cannot format the fingerprint");
  pair.fingerprint = fp;
  ssh_string_free_char(fp);
  return pair;
}

}  // namespace logship::authkeys
