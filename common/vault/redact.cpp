#include "vault/redact.hpp"

#include <fcntl.h>
#include <regex.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/sha256.hpp"
#include "util/files.hpp"
#include "vault/control_line.hpp"
#include "vault/extract.hpp"
#include "vault/format.hpp"
#include "vault/line_reader.hpp"

namespace logship::vault {

struct Pattern::Compiled {
  regex_t re{};
  bool ok = false;
  ~Compiled() {
    if (ok) regfree(&re);
  }
};

Result<Pattern> Pattern::compile(const std::string& ere) {
  auto c = std::make_shared<Compiled>();
  const int rc = regcomp(&c->re, ere.c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char msg[256];
    regerror(rc, &c->re, msg, sizeof msg);
    return make_error(ErrorKind::config, "bad --redact expression '" + ere + "': " + msg +
                                             " (POSIX extended syntax, as grep -E)");
  }
  c->ok = true;
  return Pattern(std::move(c));
}

bool Pattern::matches(std::string_view bytes) const {
  regmatch_t m[1];
  m[0].rm_so = 0;
  m[0].rm_eo = static_cast<regoff_t>(bytes.size());
  static const char kEmpty[] = "";
  const char* data = bytes.empty() ? kEmpty : bytes.data();
  return regexec(&compiled_->re, data, 1, m, REG_STARTEND) == 0;
}

std::string redaction_marker(std::string_view vault_line) {
  return std::string(kRedactedPrefix) + crypto::to_hex(crypto::sha256(vault_line));
}

Result<RedactStats> redact_file(const std::filesystem::path& in, const std::filesystem::path& out,
                                const Pattern& pattern, std::size_t max_line) {
  UniqueFd src(::open(in.c_str(), O_RDONLY | O_CLOEXEC));
  if (!src.valid()) return make_error(ErrorKind::io, errno_message("open", in));
  UniqueFd dst(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!dst.valid())
    return make_error(ErrorKind::io, errno_message("create", out) +
                                         " (--out must name a file that does not exist yet)");
  auto fail = [&](Error e) -> Result<RedactStats> {
    ::unlink(out.c_str());
    return e;
  };
  if (::fchmod(dst.get(), 0640) != 0)
    return fail(make_error(ErrorKind::io, errno_message("chmod", out)));
  RedactStats stats;
  {
    FdSink sink(dst.get(), out.string());
    LineReader reader(src.get(), max_line);
    Line l;
    bool in_batch = false;
    for (;;) {
      auto more = reader.next(l);
      if (!more) return fail(more.error());
      if (!*more) break;
      ++stats.lines;
      if (l.too_long)
        return fail(make_error(ErrorKind::data, in.string() + ":" + std::to_string(l.number) +
                                                    ": line too long to redact"));
      const auto kind = classify(l.bytes);
      std::string_view write = l.bytes;
      std::string marker;
      switch (kind) {
        case LineKind::begin:
          in_batch = parse_begin(l.bytes).ok();
          break;
        case LineKind::end:
        case LineKind::malformed:
          in_batch = false;
          break;
        case LineKind::payload:
        case LineKind::escaped:
        case LineKind::part:
          if (in_batch && pattern.matches(unescape(l.bytes, kind))) {
            marker = redaction_marker(l.bytes);
            write = marker;
            ++stats.redacted;
          }
          break;
        case LineKind::redacted:
          break;
      }
      Result<void> st = sink.write(write);
      if (st && l.terminated) st = sink.write("\n");
      if (!st) return fail(st.error());
    }
    if (auto st = sink.flush(); !st) return fail(st.error());
  }
  if (::fsync(dst.get()) != 0) return fail(make_error(ErrorKind::io, errno_message("fsync", out)));
  return stats;
}

}  // namespace logship::vault
