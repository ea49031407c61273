// Lines outside any batch: runs of stray lines, begin lines cut by interrupted transfers.

#include "vault/verifier_impl.hpp"

#include <algorithm>

#include "vault/control_line.hpp"

namespace logship::vault {

using namespace detail;

void Verifier::Impl::stray_add(const Line& l, std::string what) {
  if (stray.active && stray.file != file) stray_flush(nullptr, nullptr);
  if (!stray.active) stray = StrayRun{true, file, l.number, l.number, 0, {}, std::move(what)};
  const bool all_cut_so_far = stray.all_cut();
  ++stray.count;
  stray.last = l.number;
  if (all_cut_so_far && stray.cut.size() <= StrayRun::kMaxCut &&
      l.bytes.size() <= kMaxControlLine && !l.too_long &&
      kBeginPrefix.starts_with(l.bytes.substr(0, std::min(l.bytes.size(), kBeginPrefix.size()))))
    stray.cut.emplace_back(l.bytes);
  else
    stray.cut.clear();
}

// Ends the current run of stray lines. `next_begin`: the begin line that ends it, if any.
void Verifier::Impl::stray_flush(const std::string_view* next_begin, StreamState* next_stream,
                                 std::uint64_t next_seq) {
  if (!stray.active) return;
  stray.active = false;
  bool all_cut = next_begin && stray.all_cut() && stray.count <= StrayRun::kMaxCut;
  for (std::size_t i = 0; all_cut && i < stray.cut.size(); ++i)
    all_cut = stray.cut[i].size() < next_begin->size() && next_begin->starts_with(stray.cut[i]);
  if (all_cut) {
    next_stream->sum.interrupted += stray.count;
    for (const auto& cut : stray.cut)  // their `cat`s may still write the rest
      remember_continuation(*next_stream, {next_seq, cut.size(), true, stray.file, stray.first});
    emit(stray.file, stray.first, FindingKind::interrupted_transfer,
         std::to_string(stray.count) +
             " begin line(s) cut by interrupted transfers, resent on the next line");
    return;
  }
  std::string msg = stray.count == 1
                        ? "1 line outside any batch"
                        : std::to_string(stray.count) + " lines outside any batch" + " (lines " +
                              std::to_string(stray.first) + "-" + std::to_string(stray.last) + ")";
  if (!stray.what.empty()) msg += "; first: " + stray.what;
  emit(stray.file, stray.first, FindingKind::stray_line, msg);
}

// At the end of a file: a run of cut begin lines waits for the next file's first begin.
void Verifier::Impl::stray_end_of_file() {
  if (stray.active && !(stray.all_cut() && stray.count <= StrayRun::kMaxCut))
    stray_flush(nullptr, nullptr);
}

void Verifier::Impl::outside(const Line& l, LineKind kind) {
  if (l.bytes.empty()) return;  // separator before a resend
  if (kind != LineKind::begin && (continues_interrupted(l) || late_prefix(l))) return;
  switch (kind) {
    case LineKind::begin: {
      auto b = parse_begin(l.bytes);
      if (b && late_copy(l, *b)) return;
      if (b) return start_batch(l, std::move(*b));
      if (continues_interrupted(l) || late_prefix(l)) return;
      return stray_add(l, "bad begin line: " + b.error().message);
    }
    case LineKind::end:
      return stray_add(l, "end line without a begin line");
    case LineKind::malformed:
      return stray_add(l, "unknown control line");
    case LineKind::part:
    case LineKind::redacted:
      return stray_add(l, "payload marker outside a batch");
    default:
      return stray_add(l, {});
  }
}

}  // namespace logship::vault
