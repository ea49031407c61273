#include "vault/extract.hpp"

#include "util/files.hpp"
#include "vault/format.hpp"
#include "vault/line_reader.hpp"

namespace logship::vault {

Result<void> FdSink::write(std::string_view bytes) {
  if (buf_.size() + bytes.size() > kBuffer) {
    if (auto st = flush(); !st) return st;
    if (bytes.size() >= kBuffer) return write_all(fd_, bytes, name_);
  }
  buf_.append(bytes);
  return {};
}

Result<void> FdSink::flush() {
  if (buf_.empty()) return {};
  auto st = write_all(fd_, buf_, name_);
  buf_.clear();
  return st;
}

Result<void> Extractor::marker(std::string_view text) {
  if (mid_line_)
    if (auto st = sink_.write("\n"); !st) return st;
  mid_line_ = false;
  if (auto st = sink_.write("@logship "); !st) return st;
  if (auto st = sink_.write(text); !st) return st;
  return sink_.write("\n");
}

Result<void> Extractor::line(std::string_view vault_line) {
  const auto kind = classify(vault_line);
  switch (kind) {
    case LineKind::payload:
    case LineKind::escaped:
    case LineKind::redacted: {
      ++lines_;
      mid_line_ = false;
      if (auto st = sink_.write(unescape(vault_line, kind)); !st) return st;
      return sink_.write("\n");
    }
    case LineKind::part: {
      ++lines_;
      const auto bytes = unescape(vault_line, kind);
      if (!bytes.empty()) mid_line_ = true;
      return sink_.write(bytes);
    }
    default:
      return {};
  }
}

std::optional<Extractor::Origin> Extractor::origin_of(const BeginLine& begin) {
  const Field* fid = nullptr;
  const Field* off = nullptr;
  for (const auto& f : begin.extra) {
    if (f.key == "fid") fid = &f;
    if (f.key == "off") off = &f;
  }
  if (!fid || !off) return std::nullopt;
  const auto at = parse_decimal(off->value);
  if (!at) return std::nullopt;
  return Origin{begin.src + '\n' + begin.stream + '\n' + fid->value, *at};
}

Result<void> Extractor::range(int fd, std::uint64_t begin, std::uint64_t end,
                              const std::optional<Origin>& origin) {
  LineReader reader(fd, max_line_, begin, end);
  Cursor c{origin ? &extracted_[origin->key] : nullptr, origin ? origin->offset : 0};
  Line l;
  for (;;) {
    auto more = reader.next(l);
    if (!more) return more.error();
    if (!*more) break;
    if (auto st = take(l.bytes, l.too_long, c); !st) return st;
  }
  if (c.done) *c.done = std::max(*c.done, c.at);
  return {};
}

Result<void> Extractor::lines_of(std::string_view bytes, const std::optional<Origin>& origin) {
  Cursor c{origin ? &extracted_[origin->key] : nullptr, origin ? origin->offset : 0};
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    const auto line = bytes.substr(0, nl);
    if (auto st = take(line, line.size() > max_line_, c); !st) return st;
    bytes.remove_prefix(nl == std::string_view::npos ? bytes.size() : nl + 1);
  }
  if (c.done) *c.done = std::max(*c.done, c.at);
  return {};
}

Result<void> Extractor::take(std::string_view bytes, bool too_long, Cursor& c) {
  if (too_long) {  // reported by the verifier; its bytes are not all at hand
    c.done = nullptr;
    return {};
  }
  const auto kind = classify(bytes);
  const bool bytes_known =
      kind == LineKind::payload || kind == LineKind::escaped || kind == LineKind::part;
  if (c.done && kind == LineKind::redacted) {  // its length is unknown: stop tracking here
    *c.done = std::max(*c.done, c.at);
    c.done = nullptr;
  }
  if (!c.done || !bytes_known) return line(bytes);
  const std::string_view payload = unescape(bytes, kind);
  const bool newline = kind != LineKind::part;
  const std::uint64_t n = payload.size() + (newline ? 1 : 0);
  if (c.at + n <= *c.done) {  // extracted before
    repeated_bytes_ += n;
  } else if (c.at < *c.done) {  // partly extracted before (a fragment cut elsewhere)
    const std::uint64_t cut = *c.done - c.at;
    repeated_bytes_ += cut;
    ++lines_;
    if (cut < payload.size()) {
      mid_line_ = true;
      if (auto st = sink_.write(payload.substr(cut)); !st) return st;
    }
    if (newline) {
      mid_line_ = false;
      if (auto st = sink_.write("\n"); !st) return st;
    }
  } else if (auto st = line(bytes); !st) {
    return st;
  }
  c.at += n;
  return {};
}

}  // namespace logship::vault
