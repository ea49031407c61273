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
  for (std::size_t off = 0; off < buf.size(); off += kSlotSize) {
    auto s = decode(std::string_view(buf).substr(off, kSlotSize));
    if (s && (!best || s->generation > best->generation)) best = std::move(s);
  }
  if (!best)
    return make_error(ErrorKind::data,
                      "state file " + path_.string() + " is damaged (no slot passes its checksum)");
  generation_ = best->generation;
  return std::optional<std::string>{std::move(best->record)};
}

Result<void> SlotFile::write_slot(int slot, std::string_view record, std::uint64_t generation,
                                  bool sync) {
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
  const off_t off = static_cast<off_t>(slot) * static_cast<off_t>(kSlotSize);
  for (std::size_t done = 0; done < b.size();) {
    ssize_t w =
        ::pwrite(fd_.get(), b.data() + done, b.size() - done, off + static_cast<off_t>(done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::io, errno_message("write state file", path_));
    }
    done += static_cast<std::size_t>(w);
  }
  if (sync && ::fdatasync(fd_.get()) != 0)
    return make_error(ErrorKind::io, errno_message("fsync state file", path_));
  return {};
}

Result<void> SlotFile::write(std::string_view record) {
  if (record.size() > kMaxRecord)
    return make_error(ErrorKind::data, "state record too large for " + path_.string());
  const std::uint64_t gen = generation_ + 1;
  // The newest record is in slot (generation_ % 2); write the other one first.
  // The fresh slot is synced before the other is touched, so one valid slot always survives.
  // The overwrite of the old record is synced by the next write's fdatasync (or the kernel's
  // writeback): one fdatasync per write.
  const int fresh = static_cast<int>(gen % 2);
  if (auto st = write_slot(fresh, record, gen, true); !st) return st;
  if (auto st = write_slot(1 - fresh, record, gen, false); !st) return st;
  generation_ = gen;
  return {};
}

}  // namespace logship
