#include "follow/checkpoint.hpp"

#include <openssl/rand.h>

#include <charconv>
#include <map>

#include "vault/control_line.hpp"
#include "vault/format.hpp"

namespace logship::follow {

namespace {

constexpr std::string_view kTag = "logship-pull-checkpoint v1 ";

Error damaged(std::string_view why) {
  return make_error(ErrorKind::data, "checkpoint record is damaged: " + std::string(why));
}

std::optional<std::uint64_t> parse_hex16(std::string_view s) {
  std::uint64_t v = 0;
  if (s.size() != 16) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string generation_hex(std::uint64_t generation) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(generation));
  return buf;
}

std::uint64_t new_generation() {
  std::uint64_t g = 0;
  while (g == 0) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&g), sizeof g) != 1)
      throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return g;
}

std::string encode(const Checkpoint& c) {
  std::string s(kTag);
  s += "gen=" + generation_hex(c.generation) + " idlen=" + std::to_string(c.identity.length) +
       " id=" + crypto::to_hex(c.identity.digest) + " off=" + std::to_string(c.offset) +
       " local=" + std::to_string(c.local_size) + "\n";
  s += c.seal;
  return s;
}

Result<Checkpoint> decode(std::string_view text) {
  const auto nl = text.find('\n');
  if (nl == std::string_view::npos) return damaged("no end of line");
  std::string_view head = text.substr(0, nl);
  if (!head.starts_with(kTag)) return damaged("it does not start with '" + std::string(kTag) + "'");
  head.remove_prefix(kTag.size());
  std::map<std::string_view, std::string_view> fields;
  while (!head.empty()) {
    const auto sp = head.find(' ');
    const auto item = head.substr(0, sp);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return damaged("field without '='");
    fields[item.substr(0, eq)] = item.substr(eq + 1);
    head = sp == std::string_view::npos ? std::string_view() : head.substr(sp + 1);
  }
  Checkpoint c;
  const auto gen = parse_hex16(fields["gen"]);
  const auto idlen = vault::parse_decimal(fields["idlen"]);
  const auto id = vault::parse_hex64(fields["id"]);
  const auto off = vault::parse_decimal(fields["off"]);
  const auto local = vault::parse_decimal(fields["local"]);
  if (!gen || !idlen || !id || !off || !local) return damaged("a field is missing or malformed");
  if (*idlen > kFingerprintBytes) return damaged("identity longer than the fingerprint");
  c.generation = *gen;
  c.identity = FileIdentity{*idlen, *id};
  c.offset = *off;
  c.local_size = *local;
  c.seal = std::string(text.substr(nl + 1));
  return c;
}

Result<CheckpointFile> CheckpointFile::open(const std::filesystem::path& path) {
  auto slots = SlotFile::open(path);
  if (!slots) return slots.error();
  return CheckpointFile(std::move(*slots), path);
}

Result<std::optional<Checkpoint>> CheckpointFile::load() {
  auto record = slots_.read();
  if (!record) return record.error();
  if (!record->has_value()) return std::optional<Checkpoint>();
  auto c = decode(**record);
  if (!c) return make_error(ErrorKind::data, path_.string() + ": " + c.error().message);
  return std::optional<Checkpoint>(std::move(*c));
}

Result<void> CheckpointFile::save(const Checkpoint& c) {
  return slots_.write(encode(c));
}

}  // namespace logship::follow
