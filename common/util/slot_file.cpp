#include "util/slot_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/crc32c.hpp"

namespace logship {

namespace {

constexpr char kMagic[8] = {'L', 'S', 'S', 'L', 'O', 'T', '1', '\0'};
// Slot layout: magic(8) generation(8) length(4) crc32c(4) of generation..payload, payload,
// zero padding to kSlotSize.

struct Slot {
  std::uint64_t generation = 0;
  std::string record;
};

std::optional<Slot> decode(std::string_view b) {
  if (b.size() < 24 || std::memcmp(b.data(), kMagic, 8) != 0) return std::nullopt;
  Slot s;
  std::uint32_t len = 0, crc = 0;
  std::memcpy(&s.generation, b.data() + 8, 8);
  std::memcpy(&len, b.data() + 16, 4);
  std::memcpy(&crc, b.data() + 20, 4);
  if (len > SlotFile::kMaxRecord) return std::nullopt;
  std::string covered(b.substr(8, 12));  // generation and length
  covered.append(b.substr(24, len));
  if (crc32c(covered) != crc) return std::nullopt;
  s.record.assign(b.substr(24, len));
  return s;
}

}  // namespace

Result<SlotFile> SlotFile::open(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return make_error(ErrorKind::io, errno_message("open state file", path));
  return SlotFile(std::move(fd), path);
}

Result<std::optional<std::string>> SlotFile::read() {
  std::string buf(2 * kSlotSize, '\0');
  ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), 0);
  if (n < 0) return make_error(ErrorKind::io, errno_message("read state file", path_));
  buf.resize(static_cast<std::size_t>(n));
  if (buf.empty()) return std::optional<std::string>{};
  std::optional<Slot> best;
  std::size_t best_off = 0;
  for (std::size_t off = 0; off < buf.size(); off += kSlotSize) {
    auto s = decode(std::string_view(buf).substr(off, kSlotSize));
    if (s && (!best || s->generation > best->generation)) {
      best = std::move(s);
      best_off = off;
    }
  }
  if (!best)
    return make_error(ErrorKind::data,
                      "state file " + path_.string() + " is damaged (no slot passes its checksum)");
  // A crash of the process may have left the newest record unsynced: it is made durable before
  // the next write overwrites the other slot.
  if (::fdatasync(fd_.get()) != 0)
    return make_error(ErrorKind::io, errno_message("fsync state file", path_));
  std::lock_guard lock(*mu_);
  generation_ = durable_generation_ = best->generation;
  durable_slot_ = static_cast<int>(best_off / kSlotSize);  // the other slot is written next
  record_ = best->record;
  return std::optional<std::string>{std::move(best->record)};
}

Result<void> SlotFile::write_slot(int slot, std::string_view record, std::uint64_t generation) {
  std::string b(kMagic, 8);
  b.append(reinterpret_cast<const char*>(&generation), 8);
  const auto len = static_cast<std::uint32_t>(record.size());
  b.append(reinterpret_cast<const char*>(&len), 4);
  std::string covered = b.substr(8, 12);  // generation and length
  covered.append(record);
  const std::uint32_t crc = crc32c(covered);
  b.append(reinterpret_cast<const char*>(&crc), 4);
  b.append(record);
  b.resize(kSlotSize, '\0');
  return pwrite_all(fd_.get(), b, static_cast<off_t>(slot) * static_cast<off_t>(kSlotSize), path_);
}

Result<void> SlotFile::write(std::string_view record) {
  // The fresh slot is synced before the other is touched, so one valid slot always survives.
  // The overwrite of the old record is synced by the next write's fdatasync (or the kernel's
  // writeback): one fdatasync per write.
  if (auto g = write_unsynced(record); !g) return g.error();
  if (auto d = sync(); !d) return d.error();
  return {};
}

Result<std::uint64_t> SlotFile::write_unsynced(std::string_view record) {
  if (record.size() > kMaxRecord)
    return make_error(ErrorKind::data, "state record too large for " + path_.string());
  std::lock_guard lock(*mu_);
  const std::uint64_t gen = generation_ + 1;
  if (auto st = write_slot(1 - durable_slot_, record, gen); !st) return st.error();
  generation_ = gen;
  record_.assign(record);
  return gen;
}

Result<std::uint64_t> SlotFile::sync() {
  for (;;) {
    std::uint64_t target = 0;
    {
      std::lock_guard lock(*mu_);
      if (durable_generation_ == generation_) return durable_generation_;
      target = generation_;
    }
    if (::fdatasync(fd_.get()) != 0)
      return make_error(ErrorKind::io, errno_message("fsync state file", path_));
    std::lock_guard lock(*mu_);
    // Written again while it synced: that slot is not known to be whole on the disk. Sync again;
    // the durable slot was not touched meanwhile.
    if (generation_ != target) continue;
    durable_slot_ = 1 - durable_slot_;
    durable_generation_ = target;
    // The previous record (a replaced key) is overwritten with the new one.
    if (auto st = write_slot(1 - durable_slot_, record_, target); !st) return st.error();
    return target;
  }
}

}  // namespace logship
