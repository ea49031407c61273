#include "watch/stream.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace logship::watch {

namespace {

// A stream that gave nothing new for kQuietAfter is looked at every kQuietLook.
constexpr std::chrono::seconds kQuietAfter{5};
constexpr std::chrono::seconds kQuietLook{1};
// More unread bytes than this after a read (the round's budget was spent): read on at once.
constexpr std::uint64_t kBacklog = 1 << 20;

std::int64_t wall_us(WallTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string_view to_string(StreamPhase p) {
  return p == StreamPhase::waiting ? "waiting" : "following";
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
