#include "vault/key_file.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/files.hpp"
#include "vault/control_line.hpp"

namespace logship::vault {

Result<crypto::Digest> generate_key() {
  crypto::Digest k{};
  if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1)
    return make_error(ErrorKind::io, "OpenSSL RAND_bytes failed: no entropy for the sealing key");
  return k;
}

std::string format_key_file(const crypto::Digest& k0, std::string_view comment) {
  std::string out;
  while (!comment.empty()) {
    const auto nl = comment.find('\n');
    const auto line = comment.substr(0, nl);
    out += line.empty() ? "#\n" : "# " + std::string(line) + "\n";
    if (nl == std::string_view::npos) break;
    comment.remove_prefix(nl + 1);
  }
  out += std::string(kKeyFileTag) + crypto::to_hex(k0) + "\n";
  return out;
}

Result<crypto::Digest> parse_key_file(std::string_view text) {
  std::optional<crypto::Digest> key;
  int line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    auto where = "line " + std::to_string(line_no) + ": ";
    if (!line.starts_with(kKeyFileTag))
      return make_error(ErrorKind::config,
                        where + "expected 'logship-key v1 <64 hex digits>' or a '#' comment");
    if (key) return make_error(ErrorKind::config, where + "a key file holds exactly one key");
    key = parse_hex64(line.substr(kKeyFileTag.size()));
    if (!key)
      return make_error(ErrorKind::config, where + "the key must be 64 lower-case hex digits");
  }
  if (!key) return make_error(ErrorKind::config, "no 'logship-key v1' line");
  return *key;
}

Result<void> write_key_file(const std::filesystem::path& path, const crypto::Digest& k0,
                            std::string_view comment) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid())
    return make_error(ErrorKind::io, errno_message("create key file", path) +
                                         " (an existing key file is never overwritten)");
  auto text = format_key_file(k0, comment);
  auto st = write_all(fd.get(), text, path);
  std::fill(text.begin(), text.end(), '\0');
  if (!st) return st;
  if (::fchmod(fd.get(), 0600) != 0 || ::fsync(fd.get()) != 0)
    return make_error(ErrorKind::io, errno_message("fsync key file", path));
  return {};
}

Result<crypto::Digest> read_key_file(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text)
    return make_error(ErrorKind::config,
                      text.error().message + ": give the key file written by logship-push init");
  auto key = parse_key_file(*text);
  std::fill(text->begin(), text->end(), '\0');
  if (!key)
    return make_error(ErrorKind::config, "key file " + path.string() + ": " + key.error().message);
  return key;
}

}  // namespace logship::vault
