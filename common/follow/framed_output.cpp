#include "follow/framed_output.hpp"

#include <fcntl.h>

#include <cstdint>
#include <span>

#include "vault/format.hpp"
#include "vault/line_reader.hpp"

namespace logship::follow {

namespace {

std::optional<std::string_view> field(const vault::BeginLine& b, std::string_view key) {
  for (const auto& f : b.extra)
    if (f.key == key) return std::string_view(f.value);
  return std::nullopt;
}

constexpr std::string_view kNamesTag = "logship-stream v1 names=";

// 16 hex digits standing for the (src, stream) a stream's key was derived for.
std::string names_of(std::string_view src, std::string_view stream) {
  std::string both(src);
  both += '\0';
  both += stream;
  return crypto::to_hex(crypto::sha256(both)).substr(0, 16);
}

}  // namespace

std::string FramedOutput::seal_record() const {
  if (!state_) return {};
  auto record = state_->persist();
  if (state_->genesis())
    record += std::string(kNamesTag) + names_of(options_.source, options_.stream) + "\n";
  return record;
}

FramedOutput::FramedOutput(OutputOptions options, const Clock& clock)
    : Output(std::move(options), clock), splitter_(options_.max_line) {}

std::vector<vault::Field> FramedOutput::origin_fields(std::uint64_t off) const {
  std::vector<vault::Field> f{{"file", origin_.file}};
  if (origin_.generation != 0) {
    f.push_back({"fid", generation_hex(origin_.generation)});
    f.push_back({"off", std::to_string(off)});
  }
  return f;
}

Result<Checkpoint> FramedOutput::recover(const std::optional<Checkpoint>& c,
                                         std::vector<std::string>& notes) {
  if (auto st = refresh(); !st) return st.error();
  splitter_ = vault::LineSplitter(options_.max_line);
  builder_.reset();
  buf_.clear();
  emitted_ = written_ = 0;
  resend_.reset();
  Checkpoint r = c.value_or(Checkpoint{});
  if (!c) {
    if (!options_.start_stream)
      return make_error(ErrorKind::config, "no sealing key to start the stream of " +
                                               path().string() + "; run logship-pull init");
    auto started = options_.start_stream();
    if (!started) return started.error();
    state_.emplace(std::move(*started));
    if (size_ > 0) {
      notes.push_back(path().string() + " already holds " + std::to_string(size_) +
                      " bytes and no checkpoint names it; a new stream starts after them");
      if (auto st = write("\n"); !st) return st.error();
    }
    r.local_size = size_;
    return r;
  }
  if (c->seal.empty())
    return make_error(ErrorKind::config, "the checkpoint of " + path().string() +
                                             " was written in raw format; give another output "
                                             "file (or state directory) for framed output");
  const auto nl = c->seal.find('\n');
  const std::string_view seal_line = std::string_view(c->seal).substr(0, nl);
  const std::string_view names =
      nl == std::string::npos ? std::string_view() : std::string_view(c->seal).substr(nl + 1);
  auto restored = vault::SealState::restore(seal_line);
  if (!restored)
    return make_error(ErrorKind::data, path().string() + ": " + restored.error().message);
  if (restored->genesis() &&
      names != std::string(kNamesTag) + names_of(options_.source, options_.stream) + "\n")
    return make_error(ErrorKind::config,
                      "the stream of " + path().string() +
                          " was started under another --source "
                          "(its key is bound to the source and the remote path); give the old "
                          "--source, or another output file for the new one");
  state_.emplace(std::move(*restored));
  if (size_ < c->local_size) {
    notes.push_back(path().string() + " is " + std::to_string(c->local_size - size_) +
                    " bytes shorter than its checkpoint says: it was cut or replaced by "
                    "someone else; logship-verify will show what is missing");
    r.local_size = size_;
    return r;
  }
  if (size_ == c->local_size) return r;

  // Batches written after the checkpoint: roll forward what is complete.
  UniqueFd rfd(::open(path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!rfd.valid()) return make_error(ErrorKind::io, errno_message("open", path()));
  vault::LineReader lines(rfd.get(), options_.max_line + vault::kMaxControlLine, c->local_size,
                          size_);
  std::optional<vault::BeginLine> open;  // the batch being read
  std::uint64_t count = 0, remote = 0;
  bool remote_known = true;
  std::optional<vault::BeginLine> torn;
  std::uint64_t rolled = 0;
  bool ended_in_line = true;
  auto tear = [&] {
    if (open && open->seq == state_->seq()) torn = std::move(open);
    open.reset();
  };
  vault::Line l;
  for (;;) {
    auto more = lines.next(l);
    if (!more) return more.error();
    if (!*more) break;
    ended_in_line = l.terminated;
    if (l.too_long) {
      tear();
      continue;
    }
    const auto kind = vault::classify(l.bytes);
    switch (kind) {
      case vault::LineKind::begin: {
        tear();
        auto b = vault::parse_begin(l.bytes);
        if (b && b->src == options_.source && b->stream == options_.stream) {
          open = std::move(*b);
          count = remote = 0;
          remote_known = true;
        }
        break;
      }
      case vault::LineKind::end: {
        auto e = vault::parse_end(l.bytes);
        if (!open || !e || e->seq != open->seq || e->lines != count) {
          tear();
          break;
        }
        if (open->seq == state_->seq()) {
          vault::SealedBatch s;
          s.seq = e->seq;
          s.chain = e->chain;
          if (auto st = state_->commit(s); !st) return st.error();
          ++rolled;
          const auto fid = field(*open, "fid");
          const auto off = field(*open, "off");
          const std::uint64_t at =
              off ? vault::parse_decimal(*off).value_or(UINT64_MAX) : UINT64_MAX;
          if (fid && *fid == generation_hex(r.generation) && at <= r.offset && remote_known)
            r.offset = std::max(r.offset, at + remote);
          if (torn && torn->seq == open->seq) torn.reset();
        }
        open.reset();
        break;
      }
      case vault::LineKind::malformed:
        tear();
        break;
      default:
        if (!open) break;  // a separator, or a stray line: not ours to judge
        ++count;
        if (kind == vault::LineKind::redacted)
          remote_known = false;
        else
          remote += vault::unescape(l.bytes, kind).size() + (kind == vault::LineKind::part ? 0 : 1);
    }
  }
  tear();
  if (rolled)
    notes.push_back(path().string() + ": " + std::to_string(rolled) +
                    " batch(es) written after the last checkpoint rolled forward");
  if (torn) {
    const auto fid = field(*torn, "fid");
    const auto off = field(*torn, "off");
    if (fid && *fid == generation_hex(r.generation) && off && *off == std::to_string(r.offset)) {
      resend_ = std::move(torn);
      notes.push_back(path().string() + ": batch seq " + std::to_string(resend_->seq) +
                      " was cut by a crash; it is resent identically");
    } else {
      notes.push_back(path().string() +
                      ": a batch was cut by a crash; its lines are sent again "
                      "(logship-verify --extract drops the repeats)");
    }
  }
  if (torn || resend_ || !ended_in_line) {
    if (auto st = write("\n"); !st) return st.error();  // separator before a resend (FORMAT §7)
  }
  r.local_size = size_;
  r.seal = seal_record();
  return r;
}

Result<void> FramedOutput::set_origin(Origin origin) {
  if (auto st = flush(); !st) return st;
  const bool continues = origin.generation == origin_.generation && origin.offset == origin_.offset;
  if (!continues && splitter_.pending() > 0)
    return make_error(ErrorKind::data, "internal: new origin with an incomplete line pending");
  origin_ = std::move(origin);
  if (!continues) emitted_ = written_ = origin_.offset;
  return {};
}

Result<void> FramedOutput::open_batch(std::vector<vault::Field> extra) {
  vault::BatchHeader h;
  h.src = options_.source;
  h.stream = options_.stream;
  h.time = std::chrono::floor<std::chrono::microseconds>(clock_.wall_now());
  h.extra = std::move(extra);
  if (resend_) {
    // (the begin line read back holds genesis=, which the seal state adds, not the header)
    std::erase_if(resend_->extra,
                  [](const vault::Field& f) { return f.key == vault::kGenesisField; });
    if (resend_->seq == state_->seq() && resend_->extra == h.extra) h.time = resend_->time;
    resend_.reset();
  }
  auto b = vault::BatchBuilder::open(*state_, h);
  if (!b) return b.error();
  builder_.emplace(std::move(*b));
  // Room for a whole batch at once: no reallocation (and no doubled peak) while it grows.
  buf_.reserve(options_.max_batch + options_.max_line + 2 * vault::kMaxControlLine);
  buf_ = builder_->begin_line();
  return {};
}

Result<void> FramedOutput::seal_and_write() {
  auto sealed = builder_->seal(*state_);
  builder_.reset();
  if (!sealed) return sealed.error();
  buf_ += sealed->end_line;
  auto st = write(buf_);
  buf_.clear();
  if (!st) return st;
  written_ = emitted_;
  return state_->commit(*sealed);
}

Result<void> FramedOutput::emit(std::string_view bytes, bool finish) {
  // The splitter's pieces view `bytes`, except one joined with what it held from before (at
  // most one a call, the first): that one is copied, as the splitter reuses its buffer.
  pieces_.clear();
  joined_.clear();
  std::size_t joined_at = SIZE_MAX;  // its index in pieces_
  auto collect = [&](std::string_view p, vault::LineEnd e) {
    const bool inside = p.empty() || (p.data() >= bytes.data() &&
                                      p.data() + p.size() <= bytes.data() + bytes.size());
    if (!inside) {
      joined_at = pieces_.size();
      joined_.assign(p);
    }
    pieces_.push_back({p, e});
  };
  if (finish)
    splitter_.flush(collect);
  else
    splitter_.feed(bytes, collect);
  if (joined_at != SIZE_MAX) pieces_[joined_at].bytes = joined_;

  std::span<const vault::BatchBuilder::Piece> rest(pieces_);
  while (!rest.empty()) {
    if (!builder_) {
      if (auto st = open_batch(origin_fields(emitted_)); !st) return st;
    }
    // The run of pieces up to the one that brings the batch to max_batch (inclusive; at least
    // one, as a begin line alone may reach it).
    std::size_t size = buf_.size(), n = 0;
    std::uint64_t remote = 0;
    while (n < rest.size() && (n == 0 || size < options_.max_batch)) {
      const auto& p = rest[n++];
      size += vault::BatchBuilder::vault_size(p);
      remote += p.bytes.size() + (p.end == vault::LineEnd::none ? 0 : 1);
    }
    if (auto st = builder_->add_all(rest.first(n), buf_); !st) return st;
    emitted_ += remote;
    rest = rest.subspan(n);
    if (buf_.size() >= options_.max_batch) {
      if (auto st = seal_and_write(); !st) return st;
    }
  }
  return {};
}

Result<void> FramedOutput::append(std::string_view bytes) {
  auto st = emit(bytes, false);
  origin_.offset += bytes.size();
  return st;
}

Result<void> FramedOutput::flush() {
  if (!builder_) return {};
  return seal_and_write();
}

Result<void> FramedOutput::finish() {
  if (auto st = emit({}, true); !st) return st;
  return flush();
}

Result<void> FramedOutput::mark(const std::vector<vault::Field>& fields) {
  if (auto st = flush(); !st) return st;
  auto extra = origin_fields(written_);
  extra.insert(extra.end(), fields.begin(), fields.end());
  if (auto st = open_batch(std::move(extra)); !st) return st;
  return seal_and_write();
}

}  // namespace logship::follow
