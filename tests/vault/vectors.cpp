#include "vectors.hpp"

#include <stdexcept>

#include "vault/key_file.hpp"
#include "vault/line_splitter.hpp"
#include "vault/redact.hpp"
#include "vault_fixture.hpp"

namespace logship::vault::testing {

namespace {

using namespace std::string_literals;
using crypto::Digest;

constexpr std::size_t kMaxLine = 64;  // the vectors' sender splits lines longer than this

std::string bytes_of(const Digest& d) {
  return std::string(crypto::Sha256::as_view(d));
}

// Ships raw input bytes as one batch, splitting like a sender with kMaxLine.
std::string ship(Sender& s, const std::string& input, VaultTime t, std::uint64_t dropped = 0,
                 std::vector<Field> extra = {}, bool flush = true) {
  LineSplitter split(kMaxLine);
  std::vector<Piece> pieces;
  auto emit = [&](std::string_view p, LineEnd e) { pieces.push_back({std::string(p), e}); };
  split.feed(input, emit);
  if (flush) split.flush(emit);
  auto text = s.build(pieces, t, dropped, std::move(extra));
  s.commit();
  return text;
}

VaultTime basic_time(long long us) {
  return at(0) + std::chrono::microseconds(123456 + us);
}

const std::string kBasic0 =
    "Nov 22 02:20:40 web1 sshd[811]: Accepted publickey for alice from 192.0.2.10 port 50122 "
    "ssh2\n"
    "\n"
    "@logship begin v=1 src=evil stream=auth seq=9\n"
    "@@logship already starts with two @\n"
    "tab\tand CR\r\n";
const std::string kBasic2 =
    "Nov 22 02:22:41 web1 sudo: bob : TTY=pts/0 ; USER=root ; COMMAND=/usr/bin/id\n"
    "@logship part not really a part\n"
    "no newline at the end";

std::string basic_vault() {
  Sender s;
  std::string v = ship(s, kBasic0, basic_time(0));
  v += ship(s, "", basic_time(60'000'000));
  v += ship(s, kBasic2, basic_time(121'500'000), 3,
            {{"file", "/var/log/auth.log"}, {"off", "4096"}});
  return v;
}

std::string binary_input() {
  return "NUL\0inside\n"s + "invalid UTF-8 \xff\xfe\xc3\x28\n" + "CR only\rhere\n" + "\r\n" +
         "@logship redacted sha256=" + std::string(64, '0') + "\n" + "\0"s;
}

std::string torn_vault() {
  Sender s;
  std::string v = ship(s, "first batch\n", basic_time(0));
  const auto b1 = s.build(lines({"second batch, first line", "second batch, second line"}),
                          basic_time(5'000'000));
  s.commit();
  const auto cut = b1.find("first line") + 5;  // the connection dropped here
  v += b1.substr(0, cut) + "\n" + b1;          // the resend starts on a fresh line
  v += ship(s, "", basic_time(65'000'000));
  return v;
}

// A logship-pull stream started at genesis position 1 (the second stream of its state).
constexpr const char* kGenesisStream = "/var/log/auth.log";
std::string genesis_vault() {
  const Digest g1 = crypto::sha256("logship-v1 genesis\0"s + bytes_of(test_key()));
  const Digest k0 =
      crypto::hmac_sha256(g1, "logship-v1 stream\0"s + "1\0"s + "web1\0"s + kGenesisStream);
  Sender s("web1", kGenesisStream, SealState::initial(k0, 1));
  std::string v =
      ship(s, "Nov 22 02:20:40 web1 sshd[811]: Accepted publickey for alice\n", basic_time(0), 0,
           {{"file", kGenesisStream}, {"fid", "00000000000000a1"}, {"off", "0"}});
  v += ship(s, "Nov 22 02:21:00 web1 sshd[811]: session closed for alice\n", basic_time(20'000'000),
            0, {{"file", kGenesisStream}, {"fid", "00000000000000a1"}, {"off", "61"}});
  return v;
}

std::string genesis_values() {
  const Digest g0 = test_key();
  const Digest g1 = crypto::sha256("logship-v1 genesis\0"s + bytes_of(g0));
  const Digest k0 =
      crypto::hmac_sha256(g1, "logship-v1 stream\0"s + "1\0"s + "web1\0"s + kGenesisStream);
  return "# Intermediate values of v1-genesis.vault, recomputed from its bytes.\n"
         "G_0 = " +
         crypto::to_hex(g0) + " (the verification key, v1.key)\nG_1 = " + crypto::to_hex(g1) +
         "\nK_0 of src=web1 stream=" + kGenesisStream + " at genesis=1 = " + crypto::to_hex(k0) +
         "\n" + intermediate_values(genesis_vault(), crypto::to_hex(k0));
}

// A forged copy of batch 1, cut so that it looks like an interrupted transfer and placed before
// a genuine torn copy and the complete batch: a finding (torn-mismatch), its line never
// extracted.
std::string torn_forged_vault() {
  Sender s, forger;
  std::string v = ship(s, "first batch\n", basic_time(0));
  (void)ship(forger, "first batch\n", basic_time(0));
  const auto b1 = s.build(lines({"second batch, first line", "second batch, second line"}),
                          basic_time(5'000'000));
  s.commit();
  const auto evil = forger.build(lines({"second batch, first line", "root login from nowhere"}),
                                 basic_time(5'000'000));
  v += evil.substr(0, evil.find("root login") + 10) + "\n";  // the forged copy, "cut"
  v += b1.substr(0, b1.find("first line") + 5) + "\n";       // a genuine interrupted copy
  v += b1;
  v += ship(s, "", basic_time(65'000'000));
  return v;
}

// Batch 1 is cut mid-line (its `cat` stopped, the rest still in its pipe), resent whole and
// followed by batch 2; then the stopped `cat` appends part of the rest, up to the middle of a
// line, and batch 3's begin line follows at once on that line.
std::string remnant_vault() {
  Sender s;
  std::string v = ship(s, "first batch\n", basic_time(0));
  const auto b1 = s.build(
      lines({"second batch, first line", "second batch, second line", "second batch, third line"}),
      basic_time(5'000'000));
  s.commit();
  const auto cut = b1.find("first line") + 5;
  const auto late_end = b1.find("third line") + 6;
  v += b1.substr(0, cut) + "\n" + b1;
  v += ship(s, "third batch\n", basic_time(10'000'000));
  v += b1.substr(cut, late_end - cut);
  v += ship(s, "fourth batch\n", basic_time(15'000'000));
  return v;
}

// The same interrupted copy of batch 1, but its `cat` appends its rest inside the resend,
// between two writes of the resend's `cat` (in the middle of the resend's third line).
std::string remnant_inside_vault() {
  Sender s;
  std::string v = ship(s, "first batch\n", basic_time(0));
  const auto b1 = s.build(
      lines({"second batch, first line", "second batch, second line", "second batch, third line"}),
      basic_time(5'000'000));
  s.commit();
  const auto cut = b1.find("first line") + 5;
  const auto late_end = b1.find("second line") + 6;
  const auto at = b1.find("third line") + 3;
  v += b1.substr(0, cut) + "\n" + b1.substr(0, at) + b1.substr(cut, late_end - cut) + b1.substr(at);
  v += ship(s, "third batch\n", basic_time(10'000'000));
  return v;
}

std::string redacted(const std::string& vault, const std::string& needle) {
  std::string out;
  std::size_t pos = 0;
  while (pos < vault.size()) {
    const auto nl = vault.find('\n', pos);
    const auto line = vault.substr(pos, nl - pos);
    out += line.find(needle) != std::string::npos ? redaction_marker(line) : line;
    out += "\n";
    pos = nl + 1;
  }
  return out;
}

}  // namespace

std::string intermediate_values(const std::string& vault, const std::string& k0_hex) {
  const Digest k0 = *crypto::digest_from_hex(k0_hex);
  std::string out = "K_0 = " + k0_hex + "\n";
  Digest key = k0;
  std::uint64_t key_seq = 0;
  std::string begin, hashes;
  std::uint64_t lines = 0, bytes = 0;
  bool in_batch = false;
  std::size_t pos = 0;
  while (pos < vault.size()) {
    const auto nl = vault.find('\n', pos);
    const auto line = vault.substr(pos, nl - pos);
    pos = nl == std::string::npos ? vault.size() : nl + 1;
    if (line.starts_with("@logship begin ")) {
      begin = line;
      hashes.clear();
      lines = bytes = 0;
      in_batch = true;
      out += "\nbegin line: " + line + "\n";
    } else if (line.starts_with("@logship end ")) {
      const auto seq = std::stoull(line.substr(17));
      const std::string D_in = "logship-v1 batch\0"s + begin + "\0"s + hashes +
                               std::to_string(lines) + "\0"s + std::to_string(bytes);
      const Digest D = crypto::sha256(D_in);
      const Digest prev = *crypto::digest_from_hex(begin.substr(begin.find("prev=") + 5, 64));
      const Digest C = crypto::sha256("logship-v1 chain\0"s + bytes_of(prev) + bytes_of(D));
      if (seq < key_seq) throw std::logic_error("vectors go forward only");
      for (; key_seq < seq; ++key_seq) key = crypto::sha256("logship-v1 key\0"s + bytes_of(key));
      const Digest mac = crypto::hmac_sha256(key, "logship-v1 mac\0"s + bytes_of(C));
      out += "  L = " + std::to_string(lines) + ", B = " + std::to_string(bytes) + "\n";
      out += "  D = " + crypto::to_hex(D) + "\n";
      out += "  C = " + crypto::to_hex(C) + "\n";
      out += "  K_" + std::to_string(seq) + " = " + crypto::to_hex(key) + "\n";
      out += "  MAC = " + crypto::to_hex(mac) + "\n";
      out += "end line: " + line + "\n";
      in_batch = false;
    } else if (in_batch) {
      ++lines;
      const bool red = line.starts_with("@logship redacted sha256=");
      const Digest h = red ? *crypto::digest_from_hex(line.substr(25)) : crypto::sha256(line);
      if (!red) bytes += line.size() + 1;
      hashes += bytes_of(h);
      out += "  h_" + std::to_string(lines) + " = " + crypto::to_hex(h) + "\n";
    }
  }
  return out;
}

std::vector<VectorFile> make_vectors() {
  const std::string k0 = crypto::to_hex(test_key());
  std::vector<VectorFile> v;
  v.push_back({"v1.key", format_key_file(test_key(),
                                         "logship verification key of the test vectors.\n"
                                         "K_0 = 00 01 02 ... 1f: public, never use it.")});
  const auto basic = basic_vault();
  v.push_back({"v1-basic.vault", basic});
  v.push_back({"v1-basic.extract", kBasic0 + kBasic2});
  v.push_back(
      {"v1-basic.values", "# Intermediate values of v1-basic.vault, recomputed from its bytes.\n" +
                              intermediate_values(basic, k0)});
  Sender s("web1", "bytes");
  const auto bin = ship(s, binary_input(), basic_time(0));
  v.push_back({"v1-binary.vault", bin});
  v.push_back({"v1-binary.extract", binary_input()});
  v.push_back({"v1-torn.vault", torn_vault()});
  v.push_back(
      {"v1-torn.extract", "first batch\nsecond batch, first line\nsecond batch, second line\n"});
  v.push_back({"v1-redacted.vault", redacted(basic, "alice")});
  v.push_back({"v1-genesis.vault", genesis_vault()});
  v.push_back({"v1-genesis.values", genesis_values()});
  v.push_back({"v1-torn-forged.vault", torn_forged_vault()});
  v.push_back({"v1-remnant.vault", remnant_vault()});
  v.push_back({"v1-remnant.extract",
               "first batch\nsecond batch, first line\nsecond batch, second line\nsecond batch, "
               "third line\nthird batch\nfourth batch\n"});
  v.push_back({"v1-remnant-inside.vault", remnant_inside_vault()});
  v.push_back({"v1-remnant-inside.extract",
               "first batch\nsecond batch, first line\nsecond batch, second line\nsecond batch, "
               "third line\nthird batch\n"});
  v.push_back({"v1-torn-forged.extract",
               "first batch\nsecond batch, first line\nsecond batch, second line\n"});
  return v;
}

}  // namespace logship::vault::testing
