#include "vault/batch_builder.hpp"

#include <cstring>

namespace logship::vault {

Result<BatchBuilder> BatchBuilder::open(const SealState& state, const BatchHeader& header) {
  if (header.src.empty() || header.stream.empty())
    return make_error(ErrorKind::config, "a batch needs a non-empty source and stream name");
  for (const auto& f : header.extra)
    if (!valid_extra_key(f.key))
      return make_error(ErrorKind::config, "bad extra begin-line field key '" + f.key +
                                               "': use 1-64 of a-z 0-9 _ - and no required key");
  BeginLine b{header.src,     header.stream, state.seq(), header.time,
              header.dropped, state.prev(),  header.extra};
  if (state.genesis()) {  // first, so that it is in every begin line of the stream
    for (const auto& f : header.extra)
      if (f.key == kGenesisField)
        return make_error(ErrorKind::config, "genesis= is set by the seal state, not by a caller");
    b.extra.insert(b.extra.begin(),
                   Field{std::string(kGenesisField), std::to_string(*state.genesis())});
  }
  BatchBuilder builder;
  builder.seq_ = state.seq();
  builder.prev_ = state.prev();
  builder.begin_ = format_begin(b);
  builder.batch_.start(builder.begin_);
  builder.begin_ += '\n';
  return builder;
}

std::size_t BatchBuilder::vault_size(const Piece& p) {
  const std::size_t marker = p.end == LineEnd::none  ? kPartPrefix.size()
                             : needs_escape(p.bytes) ? 1
                                                     : 0;
  return marker + p.bytes.size() + 1;
}

std::string_view BatchBuilder::frame(const Piece& p, std::string& out) {
  const auto start = out.size();
  if (p.end == LineEnd::none) {
    out += kPartPrefix;
  } else if (needs_escape(p.bytes)) {
    out += '@';
  }
  out += p.bytes;
  ++lines_;
  bytes_ += out.size() - start + 1;
  out += '\n';
  return std::string_view(out).substr(start, out.size() - start - 1);
}

Result<void> BatchBuilder::add(std::string_view bytes, LineEnd end, std::string& out) {
  if (sealed_) return make_error(ErrorKind::data, "add() after seal()");
  if (bytes.find('\n') != std::string_view::npos)
    return make_error(ErrorKind::data, "a payload piece must not contain a newline");
  batch_.add(line_.digest(frame({bytes, end}, out)));
  return {};
}

Result<void> BatchBuilder::add_all(std::span<const Piece> pieces, std::string& out) {
  if (sealed_) return make_error(ErrorKind::data, "add_all() after seal()");
  Result<void> first_error;
  added_.clear();
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].bytes.find('\n') != std::string_view::npos) {
      if (first_error)
        first_error = make_error(ErrorKind::data, "a payload piece must not contain a newline (" +
                                                      std::to_string(i + 1) + " of " +
                                                      std::to_string(pieces.size()) + ")");
      continue;
    }
    // offsets, not views: `out` may grow and move while the rest are framed
    const std::string_view line = frame(pieces[i], out);
    added_.emplace_back(static_cast<std::size_t>(line.data() - out.data()), line.size());
  }
  const auto line = [&](std::size_t i) {
    return std::string_view(out).substr(added_[i].first, added_[i].second);
  };
  hashes_.resize(added_.size() * sizeof(crypto::Digest));
  const auto put = [&](std::size_t i, const crypto::Digest& d) {
    std::memcpy(hashes_.data() + i * sizeof d, d.data(), sizeof d);
  };
  std::size_t i = 0;
  for (; i + 2 <= added_.size(); i += 2) {
    crypto::Digest a, b;
    crypto::sha256_x2(line(i), line(i + 1), a, b);
    put(i, a);
    put(i + 1, b);
  }
  if (i < added_.size()) put(i, line_.digest(line(i)));
  batch_.add_all(hashes_);  // one update for the slice, not one per line
  return first_error;
}

Result<SealedBatch> BatchBuilder::seal(const SealState& state) {
  if (sealed_) return make_error(ErrorKind::data, "seal() called twice");
  if (state.seq() != seq_ || state.prev() != prev_)
    return make_error(ErrorKind::data, "seal() with a state other than the batch was opened with");
  sealed_ = true;
  SealedBatch s;
  s.seq = seq_;
  s.lines = lines_;
  s.bytes = bytes_;
  s.chain = chain_next(prev_, batch_.finish(lines_, bytes_));
  EndLine e{seq_, lines_, bytes_, s.chain, batch_mac(state.key(), s.chain)};
  s.end_line = format_end(e) + "\n";
  return s;
}

}  // namespace logship::vault
