#include "input/landing.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "util/crc32c.hpp"

namespace logship::input {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'L', 'S', 'L', 'A', 'N', 'D', '1', '\0'};
constexpr std::size_t kSlotBytes = 128;
constexpr std::size_t kBootBytes = 36;  // a UUID as text
// Slot layout: magic(8) generation(8) first_id(8) data_start(8) max_line(8) input_dev(8)
// input_ino(8) boot(36) pad(4) crc32c(4) of everything before it; zeros to kSlotBytes.
constexpr std::size_t kBootAt = 56;
constexpr std::size_t kCrcAt = 96;

struct Header {
  std::uint64_t generation = 0;
  std::uint64_t first_id = 0;
  std::uint64_t data_start = 0;
  std::uint64_t max_line = 0;
  InputId input;
  std::string boot;
};

std::string encode(const Header& h) {
  std::string b(kSlotBytes, '\0');
  std::memcpy(b.data(), kMagic, 8);
  std::memcpy(b.data() + 8, &h.generation, 8);
  std::memcpy(b.data() + 16, &h.first_id, 8);
  std::memcpy(b.data() + 24, &h.data_start, 8);
  std::memcpy(b.data() + 32, &h.max_line, 8);
  std::memcpy(b.data() + 40, &h.input.dev, 8);
  std::memcpy(b.data() + 48, &h.input.ino, 8);
  std::memcpy(b.data() + kBootAt, h.boot.data(), std::min(h.boot.size(), kBootBytes));
  const std::uint32_t crc = crc32c(std::string_view(b).substr(0, kCrcAt));
  std::memcpy(b.data() + kCrcAt, &crc, 4);
  return b;
}

std::optional<Header> decode(std::string_view b) {
  if (b.size() < kSlotBytes || std::memcmp(b.data(), kMagic, 8) != 0) return std::nullopt;
  std::uint32_t crc = 0;
  std::memcpy(&crc, b.data() + kCrcAt, 4);
  if (crc32c(b.substr(0, kCrcAt)) != crc) return std::nullopt;
  Header h;
  std::memcpy(&h.generation, b.data() + 8, 8);
  std::memcpy(&h.first_id, b.data() + 16, 8);
  std::memcpy(&h.data_start, b.data() + 24, 8);
  std::memcpy(&h.max_line, b.data() + 32, 8);
  std::memcpy(&h.input.dev, b.data() + 40, 8);
  std::memcpy(&h.input.ino, b.data() + 48, 8);
  h.boot.assign(b.data() + kBootAt, kBootBytes);
  while (!h.boot.empty() && h.boot.back() == '\0') h.boot.pop_back();
  return h;
}

// The kernel's id of this boot: a landing written under another one is not replayed.
std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id.substr(0, kBootBytes);
}

Error io(std::string message) {
  return make_error(ErrorKind::io, std::move(message));
}

}  // namespace

Result<std::unique_ptr<Landing>> Landing::open(const fs::path& dir) {
  std::unique_ptr<Landing> l(new Landing());
  l->boot_id_ = boot_id();
  if (l->boot_id_.empty())
    l->stale_note_ =
        "cannot read /proc/sys/kernel/random/boot_id: what a killed run left in the "
        "intake landing cannot be told from what a power loss left, and is not "
        "replayed";
  std::optional<Header> newest;
  off_t newest_size = 0;
  for (int f = 0; f < 2; ++f) {
    l->path_[f] = dir / ("landing." + std::to_string(f));
    l->fd_[f] = UniqueFd(::open(l->path_[f].c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!l->fd_[f].valid()) return io(errno_message("open intake landing file", l->path_[f]));
    struct stat st {};
    if (::fstat(l->fd_[f].get(), &st) != 0) return io(errno_message("stat", l->path_[f]));
    std::string slots(2 * kSlotBytes, '\0');
    const ssize_t n = ::pread(l->fd_[f].get(), slots.data(), slots.size(), 0);
    if (n < 0) return io(errno_message("read intake landing file", l->path_[f]));
    slots.resize(static_cast<std::size_t>(n));
    for (std::size_t at = 0; at + kSlotBytes <= slots.size(); at += kSlotBytes) {
      auto h = decode(std::string_view(slots).substr(at, kSlotBytes));
      if (!h || (newest && h->generation <= newest->generation)) continue;
      newest = std::move(h);
      newest_size = st.st_size;
      l->current_ = f;
    }
  }
  if (!newest) return l;
  l->generation_ = newest->generation;
  const auto start = static_cast<off_t>(newest->data_start);
  if (start < kDataStart || start > newest_size) return l;  // nothing to replay
  l->read_ = start;
  l->end_ = newest_size;
  std::string bytes(static_cast<std::size_t>(newest_size - start), '\0');
  auto got = l->read(bytes.data(), bytes.size());
  if (!got) return got.error();
  bytes.resize(*got);
  if (bytes.empty()) return l;
  if (l->boot_id_.empty()) return l;
  if (newest->boot != l->boot_id_) {
    l->stale_note_ = std::to_string(bytes.size()) +
                     " bytes read from the input before the machine restarted were not replayed "
                     "from " +
                     l->path_[l->current_].string() +
                     ": they were never synced, so after a power loss they may be damaged; the "
                     "spool's fsync interval bounds what a power loss can take";
    return l;
  }
  l->leftover_ = Leftover{std::move(bytes), newest->first_id,
                          static_cast<std::size_t>(newest->max_line), newest->input};
  return l;
}

ssize_t Landing::take(int pipe_fd, std::size_t max) {
  if (!usable_) {
    errno = failed_errno_ ? failed_errno_ : EIO;
    return -1;
  }
  loff_t at = end_;
  const ssize_t n =
      ::splice(pipe_fd, nullptr, fd_[current_].get(), &at, max, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
  if (n > 0) end_ = at;
  if (n < 0 && errno != EAGAIN && errno != EINTR) {
    // Nothing more lands under this header: what comes next is read into memory until the next
    // generation starts (reset), so that the file never holds bytes out of the input's order.
    failed_errno_ = errno;
    usable_ = false;
  }
  return n;
}

Result<std::size_t> Landing::read(char* out, std::size_t max) {
  std::size_t got = 0;
  while (got < max && read_ < end_) {
    const auto want = std::min(max - got, static_cast<std::size_t>(end_ - read_));
    const ssize_t n = ::pread(fd_[current_].get(), out + got, want, read_);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io(errno_message("read intake landing file", path_[current_]));
    got += static_cast<std::size_t>(n);
    read_ += n;
  }
  return got;
}

Result<void> Landing::write_header(int file, int slot, off_t data_start) {
  // A generation number is used once, even by a write that failed half-way.
  Header h{++generation_, first_id_, static_cast<std::uint64_t>(data_start),
           max_line_,     input_,    boot_id_};
  return pwrite_all(fd_[file].get(), encode(h), slot * static_cast<off_t>(kSlotBytes), path_[file]);
}

Result<void> Landing::reset(std::uint64_t first_id, std::string_view pending,
                            std::size_t max_line) {
  // Bytes landed and not read yet are in no line: this generation must stay, to be replayed.
  if (read_ < end_)
    return io("intake landing: " + std::to_string(end_ - read_) + " bytes landed and not read");
  first_id_ = first_id;
  max_line_ = max_line;
  const int next_slot = static_cast<int>((generation_ + 1) % 2);
  // Until a reset succeeds nothing lands: take() refuses, the intake reads into memory.
  const auto fail = [&](std::string message) -> Result<void> {
    failed_errno_ = errno;
    usable_ = false;
    return io(std::move(message));
  };
  // While every byte since the generation began came through the landing (usable_) and was
  // read, the pending bytes are the tail of the current file's data: the new header only moves
  // the start past what is in the spool.
  const auto tail = end_ - static_cast<off_t>(pending.size());
  if (usable_ && end_ < kRotateBytes && tail >= kDataStart) {
    if (auto st = write_header(current_, next_slot, tail); !st) return fail(st.error().message);
    return {};
  }
  // Otherwise the other file, emptied, takes the pending bytes and then the header: a crash
  // before the header leaves the current generation the newest, as it still is.
  const int other = 1 - current_;
  if (::ftruncate(fd_[other].get(), 0) != 0)
    return fail(errno_message("truncate intake landing file", path_[other]));
  if (auto st = pwrite_all(fd_[other].get(), pending, kDataStart, path_[other]); !st)
    return fail(st.error().message);
  if (auto st = write_header(other, next_slot, kDataStart); !st) return fail(st.error().message);
  // The old file's bytes are in the spool: dropped from the page cache before they are written.
  // (A failure leaves them there until the next rotation: the newer header rules.)
  if (::ftruncate(fd_[current_].get(), 0) != 0) errno = 0;
  current_ = other;
  end_ = kDataStart + static_cast<off_t>(pending.size());
  read_ = end_;
  usable_ = true;
  failed_errno_ = 0;
  return {};
}

}  // namespace logship::input
