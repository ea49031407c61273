#include "vault_fixture.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "vault/report.hpp"

namespace logship::vault::testing {

crypto::Digest test_key() {
  crypto::Digest k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  return k;
}

VaultTime at(long long offset) {
  using namespace std::chrono;
  return VaultTime{sys_days{year{2026} / 11 / 22}} + hours{2} + minutes{20} + seconds{40 + offset};
}

std::vector<Piece> lines(std::initializer_list<std::string> l) {
  std::vector<Piece> out;
  for (const auto& s : l) out.push_back({s, LineEnd::newline});
  return out;
}

Sender::Sender(std::string src, std::string stream, const crypto::Digest& k0)
    : src_(std::move(src)), stream_(std::move(stream)), state_(SealState::initial(k0)) {}

Sender::Sender(std::string src, std::string stream, SealState state)
    : src_(std::move(src)), stream_(std::move(stream)), state_(std::move(state)) {}

std::string Sender::build(const std::vector<Piece>& pieces, VaultTime time, std::uint64_t dropped,
                          std::vector<Field> extra) {
  auto b = BatchBuilder::open(state_, BatchHeader{src_, stream_, time, dropped, std::move(extra)});
  if (!b) throw std::runtime_error(b.error().message);
  std::string out = b->begin_line();
  for (const auto& p : pieces)
    if (auto st = b->add(p.bytes, p.end, out); !st) throw std::runtime_error(st.error().message);
  auto sealed = b->seal(state_);
  if (!sealed) throw std::runtime_error(sealed.error().message);
  out += sealed->end_line;
  last_ = std::move(*sealed);
  return out;
}

void Sender::commit() {
  if (auto st = state_.commit(*last_); !st) throw std::runtime_error(st.error().message);
}

std::string Sender::next(const std::vector<Piece>& pieces, VaultTime time, std::uint64_t dropped) {
  auto s = build(pieces, time, dropped);
  commit();
  return s;
}

std::size_t Outcome::count(FindingKind k) const {
  std::size_t n = 0;
  for (const auto* list : {&findings, &infos})
    for (const auto& f : *list) n += f.kind == k;
  return n;
}

std::string Outcome::dump() const {
  std::string out;
  for (const auto* list : {&findings, &infos})
    for (const auto& f : *list) out += format_finding(f) + "\n";
  return out.empty() ? "(no findings)\n" : out;
}

VerifyOptions keyed() {
  VerifyOptions o;
  o.key = test_key();
  return o;
}

Outcome verify(const std::vector<std::string>& files, const VerifyOptions& opt) {
  TempDir dir;
  Outcome out;
  StringSink sink;
  Verifier v(
      opt, [&](const Finding& f) { (is_info(f.kind) ? out.infos : out.findings).push_back(f); },
      &sink);
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto st = v.add_file(dir.write("f" + std::to_string(i) + ".vault", files[i]));
    if (!st) throw std::runtime_error(st.error().message);
  }
  if (auto st = v.finish(); !st) throw std::runtime_error(st.error().message);
  out.extracted = std::move(sink.out);
  out.summary = v.summary();
  return out;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path source_dir() {
  const char* dir = std::getenv("LOGSHIP_SOURCE_DIR");
  return dir && *dir ? dir : LOGSHIP_VAULT_SOURCE_DIR;
}

std::string bin(const std::string& name) {
  const char* dir = std::getenv("LOGSHIP_BIN_DIR");
  if (!dir) throw std::runtime_error("LOGSHIP_BIN_DIR is not set (run the tests through ctest)");
  return std::string(dir) + "/" + name;
}

int run(const std::string& command, std::string* out, std::string* err) {
  TempDir dir;
  const auto o = dir.path() / "out", e = dir.path() / "err";
  const std::string cmd = command + " >'" + o.string() + "' 2>'" + e.string() + "'";
  const int status = std::system(cmd.c_str());
  if (out) *out = slurp(o);
  if (err) *err = slurp(e);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace logship::vault::testing
