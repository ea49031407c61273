#include "spool/run_index.hpp"

#include <algorithm>

namespace logship::spool {

void RunIndex::add(const Run& r) {
  if (!runs_.empty()) {
    Run& back = runs_.back();
    if (back.segment == r.segment && back.last + 1 == r.first && back.end == r.offset &&
        back.bytes < kRunBytes) {
      back.last = r.last;
      back.bytes += r.bytes;
      back.end = r.end;
      return;
    }
  }
  runs_.push_back(r);
}

void RunIndex::drop_segment(std::uint64_t segment) {
  const auto of_segment = [&](const Run& r) { return r.segment == segment; };
  const auto lo = std::find_if(runs_.begin(), runs_.end(), of_segment);
  runs_.erase(lo, std::find_if_not(lo, runs_.end(), of_segment));
}

Result<std::optional<Plan>> RunIndex::plan(Segments& segments, const Cursor& cursor,
                                           const SizeRule& rule) {
  if (cursor.after + 1 < trusted_from_) return std::optional<Plan>();
  Plan p;
  Cursor c = cursor;
  std::uint64_t bytes = 0, lines = 0;
  Room room = rule(0, 0);
  auto it = std::partition_point(runs_.begin(), runs_.end(),
                                 [&](const Run& r) { return r.last <= c.after; });
  while (p.first == 0 || room.left()) {
    while (it != runs_.end() && it->last <= c.after) ++it;
    if (it == runs_.end()) {
      p.reached_end = true;
      break;
    }
    const Run& r = *it;
    if (p.first != 0 && r.first > c.after + 1) break;  // a hole: the next batch counts it
    // Where the run's records after c.after start, if known without reading: its start, or a
    // cursor inside it (a record boundary: every record before it is <= c.after).
    const bool at_start = c.after < r.first;
    const bool inside = c.segment == r.segment && c.offset > r.offset && c.offset <= r.end;
    if (at_start || inside) {
      const std::uint64_t taken = at_start ? 0 : c.after - r.first + 1;
      const std::uint64_t n = r.last - r.first + 1 - taken;
      const std::uint64_t b =
          at_start ? r.bytes : r.bytes - (c.offset - r.offset - taken * kRecordHeaderSize);
      if (n <= room.records && b < room.bytes) {  // the whole rest of it fits
        if (p.first == 0) p.first = r.last - n + 1;
        p.last = r.last;
        bytes += b;
        lines += n;
        c = Cursor{r.last, r.segment, r.end};
        room = rule(lines, bytes);
        continue;
      }
    }
    // A limit falls inside this run, or where its records after c.after start is not known:
    // read it (through its last record), with the same rule as a batch read slice by slice.
    if (!inside) c = Cursor{c.after, r.segment, r.offset};  // records <= c.after are skipped
    if (auto st = read_slice(segments, c, r.last, static_cast<std::size_t>(room.bytes),
                             static_cast<std::size_t>(room.records), scratch_, false);
        !st)
      return st.error();
    if (scratch_.records.empty()) break;  // unreadable: what follows is planned next time
    if (p.first == 0) p.first = scratch_.records.front().id;
    p.last = scratch_.records.back().id;
    lines += scratch_.records.size();
    for (const auto& rec : scratch_.records) bytes += rec.data.size();
    room = rule(lines, bytes);
  }
  return std::optional<Plan>(p);
}

}  // namespace logship::spool
