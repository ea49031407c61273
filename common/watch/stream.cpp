#include "watch/stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include <spdlog/spdlog.h>

#include "util/files.hpp"
#include "vault/format.hpp"

namespace logship::watch {

namespace {

constexpr std::string_view kRecordHeader = "logship-watch-stream v1";
// A followed file that vanished and was found nowhere (not under a rotated name either) for
// this long was removed or moved away.
constexpr std::chrono::seconds kRenameGrace{30};
// A stream that gave nothing new for kQuietAfter is looked at every kQuietLook.
constexpr std::chrono::seconds kQuietAfter{5};
constexpr std::chrono::seconds kQuietLook{1};
// More unread bytes than this after a read (the round's budget was spent): read on at once.
constexpr std::uint64_t kBacklog = 1 << 20;
// A rotated file must not have grown for this long before the next one is read.
constexpr std::chrono::seconds kRotationSettle{2};

std::int64_t wall_us(WallTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

struct stat stat_or_zero(const std::filesystem::path& p, bool& exists) {
  struct stat st {};
  exists = ::stat(p.c_str(), &st) == 0;
  return st;
}

}  // namespace

std::string finding_key(const vault::Finding& f) {
  return f.file + ":" + std::to_string(f.line) + ":" + std::string(vault::to_string(f.kind));
}

std::string_view to_string(StreamPhase p) {
  return p == StreamPhase::waiting ? "waiting" : "following";
}

// ---- the checkpoint record ----
//
//   logship-watch-stream v1
//   name <percent-encoded>
//   file <dev> <ino> <bytes before>
//   seen <wall us> <silent 0|1> <infos> <findings after the state>
//   finding <kind> <count>              (one per kind)
//   verifier <length>\n<Verifier::state() bytes>

std::string encode(const StreamRecord& r) {
  std::string out(kRecordHeader);
  out += "\nname " + vault::percent_encode(r.name);
  out += "\nfile " + std::to_string(r.dev) + " " + std::to_string(r.ino) + " " +
         std::to_string(r.bytes_before);
  out += "\nseen " + std::to_string(r.last_seen_us) + " " + (r.silent ? "1" : "0") + " " +
         std::to_string(r.infos);
  for (const auto& [kind, n] : r.findings) out += "\nfinding " + kind + " " + std::to_string(n);
  for (const auto& k : r.known) out += "\nknown " + vault::percent_encode(k);
  for (const auto& k : r.replay) out += "\nreplay " + vault::percent_encode(k);
  if (!r.emit_partial.empty()) out += "\npartial " + vault::percent_encode(r.emit_partial);
  out += "\nverifier " + std::to_string(r.verifier.size()) + "\n" + r.verifier;
  return out;
}

Result<StreamRecord> decode_stream_record(std::string_view text) {
  auto bad = [](const std::string& why) {
    return make_error(ErrorKind::data, "stream checkpoint: " + why);
  };
  StreamRecord r;
  auto take_line = [&]() {
    const auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    return std::string(line);
  };
  if (take_line() != kRecordHeader) return bad("not a logship-watch-stream v1 record");
  while (!text.empty()) {
    std::istringstream in(take_line());
    std::string what;
    in >> what;
    if (what == "name") {
      std::string enc;
      in >> enc;
      auto name = vault::percent_decode(enc);
      if (!name) return bad("bad name");
      r.name = *name;
    } else if (what == "file") {
      unsigned long long dev = 0, ino = 0;
      in >> dev >> ino >> r.bytes_before;
      r.dev = static_cast<dev_t>(dev);
      r.ino = static_cast<ino_t>(ino);
    } else if (what == "seen") {
      int silent = 0;
      in >> r.last_seen_us >> silent >> r.infos;
      r.silent = silent == 1;
    } else if (what == "finding") {
      std::string kind;
      std::uint64_t n = 0;
      in >> kind >> n;
      r.findings[kind] = n;
    } else if (what == "partial") {
      std::string enc;
      in >> enc;
      auto k = vault::percent_decode(enc);
      if (!k) return bad("bad partial line");
      r.emit_partial = *k;
    } else if (what == "known" || what == "replay") {
      std::string enc;
      in >> enc;
      auto k = vault::percent_decode(enc);
      if (!k) return bad("bad " + what + " finding");
      (what == "known" ? r.known : r.replay).push_back(*k);
    } else if (what == "verifier") {
      std::size_t n = 0;
      in >> n;
      if (!in || n != text.size()) return bad("verifier state length does not match");
      r.verifier = std::string(text);
      text = {};
      continue;
    } else {
      return bad("unknown record '" + what + "'");
    }
    if (!in) return bad("bad '" + what + "' record");
  }
  return r;
}

// ---- the stream ----

WatchedStream::WatchedStream(StreamConfig config, const crypto::Digest& key, Report report,
                             const EmitFormat* emit_format, const Clock& clock)
    : config_(std::move(config)),
      key_(key),
      report_(std::move(report)),
      clock_(clock),
      last_seen_(clock.wall_now()),
      last_seen_steady_(clock.now()) {
  if (emit_format) emit_ = std::make_unique<EmitBuffer>(*emit_format);
  saved_.name = config_.name;
}

WatchedStream::~WatchedStream() {
  crypto::wipe(key_);
}

std::unique_ptr<vault::Verifier> WatchedStream::new_verifier() {
  return std::make_unique<vault::Verifier>(
      options(), [this](const vault::Finding& f) { from_verifier(f); }, emit_.get());
}

vault::VerifyOptions WatchedStream::options() const {
  vault::VerifyOptions opt;
  opt.key = key_;
  opt.max_silence = config_.max_silence;
  opt.expect_start = config_.expect_start;
  opt.keep_files_open = 2;   // (the live file and the one before it)
  opt.recent_batches = 256;  // (10 KiB per stream; a restart keeps the last 64)
  return opt;
}

void WatchedStream::arm() {
  verifier_->on_settled([this] { settled(); });
  batches_seen_ = verifier_->batches_completed();
}

void WatchedStream::from_verifier(const vault::Finding& f) {
  const auto key = finding_key(f);
  if (since_state_.size() < kKnownKept) since_state_.push_back(key);
  // Reported before the restart (the resumed verifier finds it again): the same finding, by
  // file, line and kind, is not reported twice; anything else is.
  if (auto it = std::find(suppress_.begin(), suppress_.end(), key); it != suppress_.end()) {
    suppress_.erase(it);
    return;
  }
  // A pause the watcher saw as it happened was reported then (silence on its clock).
  if (f.kind == vault::FindingKind::silence && silent_) {
    remember(key);
    return;
  }
  report(f);
}

void WatchedStream::remember(const std::string& key) {
  if (known_.size() == kKnownKept) known_.erase(known_.begin());
  known_.push_back(key);
}

void WatchedStream::report(vault::Finding f) {
  if (vault::is_info(f.kind)) {
    ++infos_;
  } else {
    ++findings_[std::string(vault::to_string(f.kind))];
    remember(finding_key(f));
  }
  dirty_ = true;
  report_(*this, f);
}

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

void WatchedStream::poll(std::uint64_t budget) {
  const auto now = clock_.now();
  // A stream quiet for a while is looked at once a second, not every round: a vault of
  // hundreds of idle streams costs little, and new bytes are still seen within about 1 s.
  const bool quiet =
      now - last_growth_ > kQuietAfter && now - last_look_ < kQuietLook && verifier_ && !read_more_;
  if (!quiet) look(budget);
  check_silence();
}

void WatchedStream::look(std::uint64_t budget) {
  last_look_ = clock_.now();
  if (!verifier_) start_fresh();
  if (phase_ == StreamPhase::waiting) open_live(0);
  if (phase_ == StreamPhase::following) {
    const auto size = check_file();
    // (nothing new: the same size as last time, and the last read had nothing more to read)
    const bool unchanged = size && *size == last_size_ && !read_more_;
    if (phase_ == StreamPhase::following && !unchanged) {
      auto r = verifier_->read_live(budget);
      read_more_ = r && *r > 0;
      last_size_ = size.value_or(0);
      backlog_ = r && *r > 0 && size && *size > verifier_->live_offset() + kBacklog;
      if (!r && !read_failing_) {
        spdlog::error("stream {}: {}", config_.name, r.error().message);
        read_failing_ = true;
      } else if (r) {
        read_failing_ = false;
        if (*r > 0) last_growth_ = clock_.now();
      }
    }
  }
  if (verifier_->batches_completed() != batches_seen_) {
    batches_seen_ = verifier_->batches_completed();
    if (silent_) {
      silent_ = false;
      report({config_.file.string(), 0, vault::FindingKind::silence_ended,
              "a batch arrived after " + std::to_string(quiet_for().count()) + " s of silence"});
    }
    last_seen_ = clock_.wall_now();
    last_seen_steady_ = clock_.now();
    dirty_ = true;
    refresh_last();
  }
}

void WatchedStream::refresh_last() {
  for (const auto& sum : verifier_->summary().streams)
    if (sum.has_batches) last_seq_ = sum.last_seq, last_batch_time_ = sum.last_time;
}

// Silence is measured on the monotonic clock: a wall clock stepped forward (NTP, an operator)
// must not raise a silence, nor one stepped back hide one.
std::chrono::seconds WatchedStream::quiet_for() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - last_seen_steady_);
}

void WatchedStream::check_silence() {
  if (!config_.max_silence || silent_) return;
  const auto quiet = quiet_for();
  if (quiet <= *config_.max_silence) return;
  silent_ = true;
  std::string what = phase_ == StreamPhase::waiting && !live_fd_.valid()
                         ? " (the file " + config_.file.string() + " does not exist)"
                         : "";
  report({config_.file.string(), 0, vault::FindingKind::silence,
          "no new batch for " + std::to_string(quiet.count()) + " s, more than max-silence " +
              std::to_string(config_.max_silence->count()) + what +
              ": the sender stopped, or its batches do not reach the vault"});
}

void WatchedStream::settled() {
  saved_.verifier = verifier_->state();
  saved_.dev = dev_;
  saved_.ino = ino_;
  saved_.bytes_before = bytes_before_;
  saved_.emit_partial = emit_ ? emit_->partial() : std::string();
  since_state_.clear();
  emit_ready_ = emit_ ? emit_->bytes().size() : 0;
  dirty_ = true;
}

StreamRecord WatchedStream::record() {
  StreamRecord r = saved_;
  r.name = config_.name;
  r.replay = since_state_;
  r.last_seen_us = wall_us(last_seen_);
  r.silent = silent_;
  r.findings = findings_;
  r.infos = infos_;
  r.known = known_;
  dirty_ = false;
  return r;
}

void WatchedStream::rescan_finding(const vault::Finding& f) {
  if (vault::is_info(f.kind)) return;
  if (std::find(known_.begin(), known_.end(), finding_key(f)) != known_.end()) return;
  auto g = f;
  g.message =
      "found by re-verification from the start (changed after it was verified?): " + g.message;
  report(std::move(g));
  known_.push_back(finding_key(f));  // (the original key: the next rescan finds the same)
}

std::string_view WatchedStream::emitted() const {
  if (!emit_) return {};
  return std::string_view(emit_->bytes()).substr(0, emit_ready_);
}

void WatchedStream::take_emitted() {
  if (emit_) emit_->take(emit_ready_);
  emit_ready_ = 0;
}

StreamView WatchedStream::view() const {
  StreamView v;
  v.name = config_.name;
  v.file = config_.file;
  v.phase = phase_;
  v.last_seen = last_seen_;
  v.silence = quiet_for();
  v.silent = silent_;
  v.findings = findings_;
  v.infos = infos_;
  v.bytes_verified = bytes_before_ + live_offset();
  if (last_seq_) {
    v.has_batches = true;
    v.last_seq = *last_seq_;
    v.last_batch_time = last_batch_time_;
  }
  return v;
}

std::vector<std::filesystem::path> WatchedStream::files() const {
  auto out = done_files_;
  if (phase_ == StreamPhase::following) out.push_back(config_.file);
  return out;
}

}  // namespace logship::watch
