#include "vault/extract.hpp"

#include "util/files.hpp"
#include "vault/format.hpp"
#include "vault/line_reader.hpp"

namespace logship::vault {

Status FdSink::write(std::string_view bytes) {
  if (buf_.size() + bytes.size() > kBuffer) {
    if (auto st = flush(); !st) return st;
    if (bytes.size() >= kBuffer) return write_all(fd_, bytes, name_);
  }
  buf_.append(bytes);
  return {};
}

Status FdSink::flush() {
  if (buf_.empty()) return {};
  auto st = write_all(fd_, buf_, name_);
  buf_.clear();
  return st;
}

Status Extractor::line(std::string_view vault_line) {
  const auto kind = classify(vault_line);
  switch (kind) {
    case LineKind::payload:
    case LineKind::escaped:
    case LineKind::redacted: {
      ++lines_;
      if (auto st = sink_.write(unescape(vault_line, kind)); !st) return st;
      return sink_.write("\n");
    }
    case LineKind::part:
      ++lines_;
      return sink_.write(unescape(vault_line, kind));
    default:
      return {};
  }
}

Status Extractor::range(int fd, std::uint64_t begin, std::uint64_t end) {
  LineReader reader(fd, max_line_, begin, end);
  Line l;
  for (;;) {
    auto more = reader.next(l);
    if (!more) return more.error();
    if (!*more) return {};
    if (l.too_long) continue;  // reported by the verifier; its bytes are not all at hand
    if (auto st = line(l.bytes); !st) return st;
  }
}

}  // namespace logship::vault
