#include "spool/reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace logship::spool {

namespace fs = std::filesystem;

Result<std::size_t> pread_into(int fd, std::uint64_t offset, std::size_t n, std::string& buf,
                               const fs::path& p) {
  if (buf.size() < n) buf.resize(n);
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::io, errno_message("read", p));
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

Result<Scanner::Step> Scanner::next(Record& rec, bool copy) {
  for (;;) {
    if (off_ >= end_) return Step::end;
    const std::string_view avail = buffered();
    std::size_t n = 0;
    switch (decode_record(avail, rec, n, copy)) {
      case Decode::ok:
        off_ += n;
        return Step::record;
      case Decode::corrupt:
        return Step::corrupt;
      case Decode::need_more:
        break;
    }
    if (off_ + avail.size() >= end_) return Step::corrupt;  // the data ends inside a record
    std::size_t want = kChunk;
    if (avail.size() >= 8) {
      std::uint32_t len = 0;
      std::memcpy(&len, avail.data() + 4, sizeof len);
      want = std::max<std::size_t>(want, kRecordHeaderSize + len);
    }
    want = static_cast<std::size_t>(std::min<std::uint64_t>(want, end_ - off_));
    auto got = pread_into(fd_, off_, want, buf_, path_);
    if (!got) return got.error();
    if (*got < want) end_ = off_ + *got;  // the file is shorter than thought
    buf_.resize(*got);
    buf_off_ = off_;
  }
}

std::string_view Scanner::buffered() const {
  if (off_ < buf_off_ || off_ - buf_off_ > buf_.size()) return {};
  return std::string_view(buf_).substr(off_ - buf_off_);
}

namespace {

// The index of the segment to read from; fixes a stale cursor.
std::size_t locate(const Segments& segments, Cursor& c) {
  if (c.segment != 0) {
    for (std::size_t i = 0; i < segments.size(); ++i)
      if (segments[i]->first_id == c.segment) return i;
  }
  std::size_t si = 0;
  while (si + 1 < segments.size() && segments[si + 1]->first_id <= c.after + 1) ++si;
  c.segment = segments[si]->first_id;
  c.offset = kSegmentHeaderSize;
  return si;
}

}  // namespace

Result<void> read_slice(Segments& segments, Cursor& c, std::uint64_t through, std::size_t max_bytes,
                        std::size_t max_records, Slice& out, bool verify) {
  out.records.clear();
  if (c.after >= through || max_records == 0) return {};
  std::size_t bytes = 0;
  bool done = false;
  for (std::size_t si = locate(segments, c); si < segments.size() && !done; ++si) {
    SegmentFile& seg = *segments[si];
    if (seg.first_id != c.segment) c = Cursor{c.after, seg.first_id, kSegmentHeaderSize};
    std::uint64_t end = seg.corrupt_at ? seg.corrupt_at : seg.size;
    std::size_t want = kSliceBytes;
    while (!done && c.offset < end) {
      want = static_cast<std::size_t>(std::min<std::uint64_t>(want, end - c.offset));
      auto got = pread_into(seg.fd.get(), c.offset, want, out.bytes, seg.path);
      if (!got) return got.error();
      if (*got < want) end = c.offset + *got;  // the file is shorter than thought
      const std::string_view buf(out.bytes.data(), *got);
      std::size_t pos = 0;
      want = kSliceBytes;
      for (;;) {
        RecordView r;
        std::size_t n = 0;
        const bool check = verify && c.offset + pos < seg.own_from;
        const Decode d = decode_view(buf.substr(pos), r, n, check);
        if (d == Decode::need_more) {
          if (pos > 0) break;                  // read on from the record's start
          if (c.offset + buf.size() >= end) {  // the data ends inside a record
            seg.corrupt_at = end = c.offset;
          } else {  // one record larger than a slice: read it whole
            std::uint32_t len = 0;
            std::memcpy(&len, buf.data() + 4, sizeof len);
            want = kRecordHeaderSize + len;
          }
          break;
        }
        if (d == Decode::corrupt) {  // the rest of this segment is lost: its ids become a hole
          seg.corrupt_at = end = c.offset + pos;
          done = !out.records.empty();
          break;
        }
        if (r.id <= c.after) {  // before the cursor: scanning from the segment's start
          pos += n;
          continue;
        }
        const bool fits = out.records.empty() ||
                          (r.id == out.records.back().id + 1 && bytes + r.data.size() <= max_bytes);
        if (r.id > through || !fits) {
          done = true;
          break;
        }
        out.records.push_back(r);
        bytes += r.data.size();
        pos += n;
        if (r.id == through || out.records.size() >= max_records || bytes >= max_bytes) {
          done = true;
          break;
        }
      }
      c.offset += pos;
      if (!out.records.empty()) {
        c.after = out.records.back().id;
        done = true;  // one read per slice: its views point into out.bytes
      }
    }
  }
  return {};
}

}  // namespace logship::spool
