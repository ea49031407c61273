// WatchedStream's files: resuming in the file a checkpoint was taken in, verifying the rotated
// files, opening the live file, and noticing when it is rotated, truncated, replaced or deleted.

#include "watch/stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "util/files.hpp"

namespace logship::watch {

namespace {

// A followed file that vanished and was found nowhere (not under a rotated name either) for
// this long was removed or moved away.
constexpr std::chrono::seconds kRenameGrace{30};
// A rotated file must not have grown for this long before the next one is read.
constexpr std::chrono::seconds kRotationSettle{2};

struct stat stat_or_zero(const std::filesystem::path& p, bool& exists) {
  struct stat st {};
  exists = ::stat(p.c_str(), &st) == 0;
  return st;
}

}  // namespace

void WatchedStream::restore(StreamRecord record) {
  suppress_ = record.replay;
  if (record.last_seen_us != 0) {
    last_seen_ = WallTime(std::chrono::duration_cast<WallTime::duration>(
        std::chrono::microseconds(record.last_seen_us)));
    // Across a restart only the wall clock tells how long ago it was (never negative).
    const auto ago = std::max(WallTime::duration::zero(), clock_.wall_now() - last_seen_);
    last_seen_steady_ = clock_.now() - std::chrono::duration_cast<SteadyTime::duration>(ago);
  }
  silent_ = record.silent;
  findings_ = record.findings;
  infos_ = record.infos;
  known_ = record.known;
  saved_ = std::move(record);
  saved_.name = config_.name;
  dirty_ = false;
  if (saved_.verifier.empty()) return;  // nothing settled yet: start over (suppressing)

  // The file the state was taken in: still the live file, or rotated since.
  std::optional<std::filesystem::path> where;
  bool exists = false;
  auto st = stat_or_zero(config_.file, exists);
  if (exists && st.st_dev == saved_.dev && st.st_ino == saved_.ino) where = config_.file;
  for (const auto& p : rotated_files(config_.rotated)) {
    if (where) break;
    st = stat_or_zero(p, exists);
    if (exists && st.st_dev == saved_.dev && st.st_ino == saved_.ino) where = p;
  }
  if (!where) {
    report({config_.file.string(), 0, vault::FindingKind::file_replaced,
            "the file this stream was followed in (device " + std::to_string(saved_.dev) +
                ", inode " + std::to_string(saved_.ino) +
                ") is gone: deleted, or renamed outside '" + config_.rotated +
                "'; verifying the stream's files from the start again"});
    return;
  }
  UniqueFd fd(::open(where->c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  struct stat opened {};
  if (fd.valid() && (::fstat(fd.get(), &opened) != 0 || !S_ISREG(opened.st_mode) ||
                     opened.st_dev != saved_.dev || opened.st_ino != saved_.ino))
    fd.reset();  // (replaced between the look and the open: verified from the start)
  UniqueFd mine(fd.valid() ? ::dup(fd.get()) : -1);
  auto v = fd.valid() ? vault::Verifier::resume(
                            options(), [this](const vault::Finding& f) { from_verifier(f); },
                            emit_.get(), saved_.verifier, std::move(fd), where->string())
                      : Result<std::unique_ptr<vault::Verifier>>(
                            make_error(ErrorKind::io, errno_message("open", *where)));
  if (!v) {
    // (Verifier::resume: the file is shorter than where the state stood, or the state is
    // damaged)
    if (v.error().message.find(" is shorter ") != std::string::npos)
      report({where->string(), 0, vault::FindingKind::file_shrunk,
              v.error().message +
                  ": verified bytes were removed while the watcher was stopped; verifying the "
                  "stream's files from the start again"});
    else
      spdlog::error(
          "stream {}: cannot resume from its checkpoint ({}); verifying its files "
          "from the start again",
          config_.name, v.error().message);
    return;
  }
  verifier_ = std::move(*v);
  arm();
  refresh_last();
  if (emit_) emit_->resume_partial(saved_.emit_partial);
  dev_ = saved_.dev;
  ino_ = saved_.ino;
  bytes_before_ = saved_.bytes_before;
  live_fd_ = std::move(mine);
  phase_ = StreamPhase::following;
  const auto rotated = rotated_files(config_.rotated);
  const auto& before = config_.earlier.empty() ? rotated : config_.earlier;
  for (const auto& p : before) {
    if (p == *where) break;
    done_files_.push_back(p);
  }
  if (*where == config_.file) return;
  // Rotated while the watcher was stopped: that file is finished, then every file rotated
  // after it (oldest first), then the live file is followed.
  finish_live(*where, true);
  for (const auto& p : rotated) {
    if (p <= *where) continue;
    if (auto added = verifier_->add_file(p); !added) {
      report({p.string(), 0, vault::FindingKind::rescan_failed,
              "cannot verify this rotated file: " + added.error().message});
      continue;
    }
    done_files_.push_back(p);
    std::error_code ec;
    bytes_before_ += std::filesystem::file_size(p, ec);
  }
}

void WatchedStream::start_fresh() {
  verifier_ = new_verifier();
  arm();
  const auto earlier = config_.earlier.empty() ? rotated_files(config_.rotated) : config_.earlier;
  for (const auto& p : earlier) {
    if (auto st = verifier_->add_file(p); !st) {
      report({p.string(), 0, vault::FindingKind::rescan_failed,
              "cannot verify this rotated file: " + st.error().message});
      continue;
    }
    done_files_.push_back(p);
    std::error_code ec;
    bytes_before_ += std::filesystem::file_size(p, ec);
  }
  batches_seen_ = verifier_->batches_completed();
  refresh_last();
  open_live(0);
}

bool WatchedStream::open_live(std::uint64_t start) {
  phase_ = StreamPhase::waiting;
  // (O_NONBLOCK: a FIFO or device put in the file's place must not block the watcher)
  UniqueFd fd(::open(config_.file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) return false;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return false;
  if (!S_ISREG(st.st_mode)) {
    if (!complained_)
      report({config_.file.string(), 0, vault::FindingKind::file_replaced,
              "it is not a regular file (a FIFO, device or directory took its place); waiting "
              "for a regular file"});
    complained_ = true;
    return false;
  }
  complained_ = false;
  UniqueFd mine(::dup(fd.get()));
  if (auto added = verifier_->add_live(std::move(fd), config_.file.string(), start); !added) {
    spdlog::error("stream {}: {}", config_.name, added.error().message);
    return false;
  }
  live_fd_ = std::move(mine);
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  phase_ = StreamPhase::following;
  missing_since_.reset();
  dirty_ = true;
  return true;
}

// The live file is finished: its last bytes are read; it is known as `name` from now on.
void WatchedStream::finish_live(const std::filesystem::path& name, bool keep) {
  verifier_->rename_live(name.string());
  const auto old_prefix = config_.file.string() + ":";
  for (auto& k : known_)  // findings in it are known by its new name
    if (k.starts_with(old_prefix)) k = name.string() + ":" + k.substr(old_prefix.size());
  std::uint64_t size = 0;
  struct stat st {};
  if (live_fd_.valid() && ::fstat(live_fd_.get(), &st) == 0)
    size = static_cast<std::uint64_t>(st.st_size);
  if (auto done = verifier_->end_live(); !done)
    spdlog::error("stream {}: {}", config_.name, done.error().message);
  if (keep) done_files_.push_back(name);
  bytes_before_ += size;
  live_fd_.reset();
  phase_ = StreamPhase::waiting;
  dirty_ = true;
}

std::optional<std::filesystem::path> WatchedStream::rotated_name() const {
  for (const auto& p : rotated_files(config_.rotated)) {
    bool exists = false;
    const auto st = stat_or_zero(p, exists);
    if (exists && st.st_dev == dev_ && st.st_ino == ino_) return p;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> WatchedStream::check_file() {
  bool exists = false;
  const auto st = stat_or_zero(config_.file, exists);
  if (exists && st.st_dev == dev_ && st.st_ino == ino_) {
    missing_since_.reset();
    const auto at = verifier_->live_offset();
    if (static_cast<std::uint64_t>(st.st_size) < at) {
      report({config_.file.string(), 0, vault::FindingKind::file_shrunk,
              "the file shrank from " + std::to_string(at) + " to " + std::to_string(st.st_size) +
                  " bytes: verified bytes were removed (truncated); following it from its new "
                  "end"});
      finish_live(config_.file, false);
      open_live(static_cast<std::uint64_t>(st.st_size));
      return std::nullopt;
    }
    return static_cast<std::uint64_t>(st.st_size);
  }
  // The path no longer names the file followed.
  struct stat mine {};
  const bool deleted =
      live_fd_.valid() && ::fstat(live_fd_.get(), &mine) == 0 && mine.st_nlink == 0;
  if (deleted) {
    report({config_.file.string(), 0, vault::FindingKind::file_replaced,
            exists ? "the file followed was deleted and a new file created in its place"
                   : "the file followed was deleted"});
    finish_live(config_.file, false);
    if (exists) open_live(0);
    return std::nullopt;
  }
  if (!exists) {  // renamed (rotation: its successor is not created yet), or moved away
    if (!missing_since_) missing_since_ = clock_.now();
    if (clock_.now() - *missing_since_ < kRenameGrace) return std::nullopt;  // (read on)
  }
  if (const auto rotated = rotated_name()) {
    // A `cat` that opened the file before the rename may still be appending its batch there:
    // the new file is taken up once the old one has been still for a while.
    if (clock_.now() - last_growth_ < kRotationSettle) return std::nullopt;
    report({rotated->string(), 0, vault::FindingKind::file_rotated,
            "rotated from " + config_.file.string() + "; " +
                (exists ? "following the new file" : "waiting for the new file")});
    finish_live(*rotated, true);
    if (exists) open_live(0);
    return std::nullopt;
  }
  report({config_.file.string(), 0, vault::FindingKind::file_replaced,
          exists ? "another file took the place of the file followed, which was renamed to a "
                   "name outside '" +
                       config_.rotated + "'"
                 : "the file followed was renamed to a name outside '" + config_.rotated +
                       "' and nothing took its place for " + std::to_string(kRenameGrace.count()) +
                       " s"});
  finish_live(config_.file, false);
  if (exists) open_live(0);
  return std::nullopt;
}

}  // namespace logship::watch
