#include "watch/watcher.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "status/status.hpp"
#include "vault/key_file.hpp"
#include "vault/report.hpp"

namespace logship::watch {

namespace {

// The journal is folded into the checkpoint this often, or when it grows past kCompactBytes.
constexpr std::chrono::seconds kCompactEvery{60};
constexpr std::uint64_t kCompactBytes = 64 << 20;
constexpr std::chrono::seconds kStatusEvery{1};

// The size of the regular file with inode `ino` in `dir` (a rotated emit file), if any.
std::optional<std::uint64_t> size_of_inode(const std::filesystem::path& dir, std::uint64_t ino) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir.empty() ? "." : dir, ec)) {
    struct stat st {};
    if (::lstat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_ino == ino)
      return static_cast<std::uint64_t>(st.st_size);
  }
  return std::nullopt;
}

// A stream's record from before a round cut by a stop (`before`, empty: none), to go on from
// again; the findings reported in that round are not reported a second time.
std::string rolled_back(const std::string& after, const std::string& before) {
  auto a = decode_stream_record(after);
  auto b = before.empty() ? Result<StreamRecord>(StreamRecord{}) : decode_stream_record(before);
  if (!a || !b) return before;
  for (const auto& k : a->known)
    if (std::find(b->known.begin(), b->known.end(), k) == b->known.end()) b->replay.push_back(k);
  // (and they stay counted: what is suppressed is not counted again)
  b->name = a->name;
  b->findings = a->findings;
  b->infos = a->infos;
  b->known = a->known;
  return encode(*b);
}

double seconds_since_epoch(WallTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

Watcher::Watcher(WatchOptions options, const Clock& clock)
    : opt_(std::move(options)), clock_(clock) {}

Watcher::~Watcher() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (rescanner_.joinable()) rescanner_.join();
}

Result<std::unique_ptr<Watcher>> Watcher::start(WatchOptions options, const Clock& clock) {
  std::unique_ptr<Watcher> w(new Watcher(std::move(options), clock));
  if (auto st = w->load(); !st) return st.error();
  w->rescanner_ = std::thread([p = w.get()] { p->rescan_loop(); });
  return w;
}

Result<void> Watcher::load() {
  std::error_code ec;
  std::filesystem::create_directories(opt_.state_dir, ec);
  if (ec)
    return make_error(ErrorKind::config,
                      "cannot create --state-dir " + opt_.state_dir.string() + ": " + ec.message());
  ::chmod(opt_.state_dir.c_str(), 0700);
  pid_t holder = 0;
  auto lock = InstanceLock::acquire(opt_.state_dir / "lock", &holder);
  if (!lock) return lock.error();
  if (!*lock)
    return make_error(ErrorKind::config,
                      "another logship-verify --follow (pid " + std::to_string(holder) +
                          ") uses --state-dir " + opt_.state_dir.string() +
                          ": stop it, or give each watcher its own state directory");
  lock_ = std::move(**lock);
  auto journal = Journal::open(opt_.state_dir);
  if (!journal) return journal.error();
  journal_ = std::move(*journal);
  auto loaded = journal_->load();
  if (!loaded) return loaded.error();
  next_round_ = loaded->next_round;

  std::map<std::string, std::uint64_t> emit_skip;
  if (opt_.emit) {
    auto f = EmitFile::open(*opt_.emit);
    if (!f) return f.error();
    emit_ = std::move(*f);
    // The last round's lines that did not all reach the file before the stop: their streams
    // go on from before that round and drop what the file already holds.
    // The file they went to may have been rotated (renamed) since: it is looked for beside
    // the emit file, and what it lacks is written to the new one.
    const auto& last = loaded->last;
    std::optional<std::uint64_t> size;
    if (last && last->emit_total() > 0 && !emit_->is_stdout())
      size = last->emit_inode == emit_->inode()
                 ? std::optional<std::uint64_t>(emit_->size())
                 : size_of_inode(opt_.emit->parent_path(), last->emit_inode);
    if (last && last->emit_total() > 0 && !emit_->is_stdout() && !size)
      spdlog::error(
          "the file --emit wrote round {} to (inode {}) is gone from {}: if the stop "
          "cut that round, its last lines are lost",
          last->number, last->emit_inode, opt_.emit->parent_path().string());
    if (size && *size < last->emit_base + last->emit_total()) {
      if (*size < last->emit_base)
        spdlog::error(
            "{} is shorter ({} bytes) than the journal says it was ({}): lines "
            "emitted before were lost with it; the last round's are written again",
            opt_.emit->string(), *size, last->emit_base);
      auto present = *size > last->emit_base ? *size - last->emit_base : 0;
      for (const auto& st : last->streams) {
        const auto there = std::min(present, st.emit_bytes);
        present -= there;
        if (there == st.emit_bytes) continue;
        emit_skip[st.name] = there;
        loaded->streams[st.name] = rolled_back(st.record, loaded->before_last[st.name]);
        spdlog::info(
            "stream {}: {} of its {} bytes of lines of round {} reached {} before the "
            "stop; it goes on from before that round",
            st.name, there, st.emit_bytes, last->number, opt_.emit->string());
      }
    }
    if (auto st = emit_->sync(); !st) return st;
  }
  if (opt_.on_finding) alarm_ = std::make_unique<Alarm>(*opt_.on_finding, clock_);

  static const EmitFormat* const kNone = nullptr;
  for (const auto& cfg : opt_.streams) {
    auto key = vault::read_key_file(cfg.key);
    if (!key)
      return make_error(ErrorKind::config, "stream " + cfg.name + ": " + key.error().message);
    auto s = std::make_unique<WatchedStream>(
        cfg, *key, [this](const WatchedStream& st, const vault::Finding& f) { on_report(st, f); },
        opt_.emit ? &opt_.emit_format : kNone, clock_);
    crypto::wipe(*key);
    if (auto it = loaded->streams.find(cfg.name); it != loaded->streams.end()) {
      auto rec = decode_stream_record(it->second);
      if (!rec)
        return make_error(ErrorKind::data, "state of stream " + cfg.name + " in " +
                                               opt_.state_dir.string() + ": " +
                                               rec.error().message);
      records_[cfg.name] = it->second;
      s->restore(std::move(*rec));
    }
    if (auto it = emit_skip.find(cfg.name); it != emit_skip.end()) s->skip_emitted(it->second);
    streams_.push_back(std::move(s));
  }
  // The checkpoint from here on holds exactly the configured streams.
  if (auto st = journal_->compact(records_, next_round_ - 1); !st) return st;
  last_compact_ = last_rescan_ = clock_.now();
  return {};
}

void Watcher::on_report(const WatchedStream& s, const vault::Finding& f) {
  const auto line = s.name() + ": " + vault::format_finding(f);
  if (vault::is_info(f.kind)) {
    spdlog::info("{}", line);
    return;
  }
  spdlog::warn("{}", line);
  if (alarm_) alarm_->finding(s.name(), f);
}

Result<void> Watcher::round(const std::function<bool()>& interrupted) {
  if (alarm_) alarm_->tick();
  {  // what the re-verification found
    std::vector<std::pair<std::size_t, vault::Finding>> found;
    {
      std::lock_guard lk(mu_);
      found.swap(rescan_found_);
    }
    for (const auto& [i, f] : found) streams_[i]->rescan_finding(f);
  }
  for (auto& s : streams_) {
    if (interrupted && interrupted()) break;
    try {
      s->poll(opt_.read_budget);
    } catch (const std::exception& e) {  // (e.g. memory): the stream waits, the others go on
      spdlog::error("stream {}: {}; trying again in the next round", s->name(), e.what());
    }
  }
  if (auto st = commit_round(); !st) return st;
  const auto now = clock_.now();
  if (opt_.rescan_interval.count() > 0 && now - last_rescan_ >= opt_.rescan_interval)
    request_rescan();
  // (every second; with many streams less often: the document grows with them)
  const auto every = std::max<std::chrono::seconds>(
      kStatusEvery, std::chrono::seconds(static_cast<long>(streams_.size() / 200)));
  if ((opt_.status_file || opt_.prometheus_file) && now - last_status_ >= every) {
    last_status_ = now;
    if (auto st = write_status(); !st) spdlog::error("{}", st.error().message);
  }
  if (now - last_compact_ >= kCompactEvery || journal_->journal_bytes() >= kCompactBytes) {
    last_compact_ = now;
    if (auto st = journal_->compact(records_, next_round_ - 1); !st) return st;
  }
  return {};
}

Result<void> Watcher::commit_round() {
  Round r;
  std::vector<WatchedStream*> emitting;
  for (auto& s : streams_) {
    if (!s->dirty()) continue;
    auto text = encode(s->record());
    records_[s->name()] = text;
    r.streams.push_back({s->name(), std::move(text), s->emitted().size()});
    if (!s->emitted().empty()) emitting.push_back(s.get());
  }
  if (r.streams.empty()) return {};
  const bool lines = !emitting.empty() && emit_;
  if (emit_) {
    if (emit_unsynced_) {  // the last round's lines are durable before this record says so
      if (auto st = emit_->sync(); !st) return st;
      emit_unsynced_ = false;
    }
    if (auto st = emit_->reopen_if_moved(); !st) return st;
    r.emit_inode = emit_->inode();
    r.emit_base = emit_->size();
  }
  r.number = next_round_++;
  // The record first: after a stop it says how far these lines got (journal.hpp).
  if (auto st = journal_->append(r, lines); !st) return st;
  for (WatchedStream* s : emitting) {
    if (emit_)
      if (auto st = emit_->append(s->emitted()); !st) return st;
    s->take_emitted();
  }
  emit_unsynced_ = lines;
  return {};
}

Result<void> Watcher::write_status() {
  const auto wall = clock_.wall_now();
  std::vector<status::Metric> m;
  m.push_back({"logship_watch_up", "1 while the watcher runs", "gauge", 1, {}});
  m.push_back({"logship_watch_last_check_seconds",
               "when the watcher last looked at its streams",
               "gauge",
               seconds_since_epoch(wall),
               {}});
  m.push_back({"logship_watch_rescans_total",
               "re-verifications from the start completed",
               "counter",
               static_cast<double>(rescans_done_),
               {}});
  JsonObject doc;
  doc.add("time",
          vault::format_time(std::chrono::time_point_cast<std::chrono::microseconds>(wall)));
  JsonArray streams;
  std::uint64_t all_findings = 0;  // (since the state directory was made)
  for (const auto& s : streams_) {
    const auto v = s->view();
    const std::vector<std::pair<std::string, std::string>> label{{"stream", v.name}};
    auto gauge = [&](const char* name, const char* help, double value) {
      m.push_back({name, help, "gauge", value, label});
    };
    gauge("logship_watch_following", "1 when the stream's file is followed, 0 while waiting for it",
          v.phase == StreamPhase::following ? 1 : 0);
    gauge("logship_watch_last_seq", "sequence number of the stream's last batch",
          static_cast<double>(v.last_seq));
    gauge("logship_watch_last_batch_seconds", "when the watcher last saw a new batch",
          seconds_since_epoch(v.last_seen));
    gauge("logship_watch_silence_seconds", "seconds since the last new batch",
          static_cast<double>(v.silence.count()));
    gauge("logship_watch_silent", "1 while a silence finding stands", v.silent ? 1 : 0);
    m.push_back({"logship_watch_verified_bytes_total", "bytes of the stream's files verified",
                 "counter", static_cast<double>(v.bytes_verified), label});
    std::uint64_t total = 0;
    JsonObject kinds;
    for (const auto& [kind, n] : v.findings) {
      total += n;
      kinds.add(kind, n);
      m.push_back({"logship_watch_findings_total",
                   "findings, by kind",
                   "counter",
                   static_cast<double>(n),
                   {{"stream", v.name}, {"kind", kind}}});
    }
    if (v.findings.empty())  // (a zero sample, so that increase() sees the first finding)
      m.push_back({"logship_watch_findings_total",
                   "findings, by kind",
                   "counter",
                   0,
                   {{"stream", v.name}, {"kind", "none"}}});
    JsonObject o;
    o.add("name", v.name)
        .add("file", v.file.string())
        .add("state", to_string(v.phase))
        .add("silent", v.silent)
        .add("silence_seconds", static_cast<std::int64_t>(v.silence.count()))
        .add("bytes_verified", v.bytes_verified)
        .add("findings", total)
        .add("findings_by_kind", kinds)
        .add("infos", v.infos);
    if (v.has_batches)
      o.add("last_seq", v.last_seq).add("last_batch_time", vault::format_time(v.last_batch_time));
    else
      o.add_null("last_seq");
    all_findings += total;
    streams.add(o);
  }
  doc.add("findings", all_findings).add("streams", streams);
  if (opt_.status_file)
    if (auto st = status::write_status_file(*opt_.status_file, doc.str() + "\n"); !st) return st;
  if (opt_.prometheus_file)
    if (auto st = status::write_status_file(*opt_.prometheus_file, status::prometheus_text(m)); !st)
      return st;
  return {};
}

std::chrono::milliseconds Watcher::poll_interval() const {
  for (const auto& s : streams_)
    if (s->backlog()) return std::chrono::milliseconds(0);
  return opt_.poll_interval;
}

Result<void> Watcher::reopen_emit() {
  if (!emit_) return {};
  if (auto st = emit_->sync(); !st) return st;  // (the lines in the file left behind)
  emit_unsynced_ = false;
  return emit_->reopen();
}

Result<void> Watcher::stop() {
  auto st = commit_round();
  if (emit_)
    if (auto e = emit_->sync(); !e && st) st = e;
  if (auto c = journal_->compact(records_, next_round_ - 1); !c && st) st = c;
  if (auto w = write_status(); !w && st) st = w;
  return st;
}

void Watcher::request_rescan() {
  last_rescan_ = clock_.now();
  {
    std::lock_guard lk(mu_);
    if (rescan_busy_ || !rescan_jobs_.empty()) return;  // (one at a time)
  }
  std::vector<RescanJob> jobs;
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    RescanJob job;
    job.stream = i;
    job.files = streams_[i]->files();
    // The live file is opened now (it may be rotated away meanwhile); rotated ones do not move.
    job.fds.resize(job.files.size());
    if (streams_[i]->view().phase == StreamPhase::following && !job.files.empty()) {
      job.live_limit = streams_[i]->live_offset();
      job.fds.back().reset(
          ::open(job.files.back().c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    }
    job.options = streams_[i]->options();
    jobs.push_back(std::move(job));
  }
  {
    std::lock_guard lk(mu_);
    if (rescan_busy_ || !rescan_jobs_.empty()) return;  // (one at a time)
    rescan_jobs_ = std::move(jobs);
  }
  spdlog::info("re-verifying every stream from the start");
  cv_.notify_all();
}

void Watcher::rescan_loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stopping_ || !rescan_jobs_.empty(); });
    if (stopping_) return;
    auto jobs = std::move(rescan_jobs_);
    rescan_jobs_.clear();
    rescan_busy_ = true;
    lk.unlock();
    std::size_t checked = 0;
    for (auto& job : jobs) {
      std::vector<vault::Finding> found;
      vault::Verifier v(job.options, [&](const vault::Finding& f) { found.push_back(f); });
      for (std::size_t k = 0; k < job.files.size(); ++k) {
        if (k + 1 == job.files.size() && job.live_limit) v.limit_next_file(*job.live_limit);
        const bool live = k + 1 == job.files.size() && job.live_limit;
        auto st =
            !live ? v.add_file(job.files[k])
            : job.fds[k].valid()
                ? v.add_fd(std::move(job.fds[k]), job.files[k].string())
                : Result<void>(make_error(ErrorKind::io, errno_message("open", job.files[k])));
        if (!st) {
          found.push_back({job.files[k].string(), 0, vault::FindingKind::rescan_failed,
                           "re-verification could not read it: " + st.error().message});
          break;
        }
        {
          std::lock_guard g(mu_);
          if (stopping_) return;
        }
      }
      crypto::wipe(*job.options.key);
      ++checked;
      std::lock_guard g(mu_);
      for (auto& f : found) rescan_found_.emplace_back(job.stream, std::move(f));
    }
    lk.lock();
    rescan_busy_ = false;
    ++rescans_done_;
    spdlog::info("re-verification of {} streams done", checked);
  }
}

}  // namespace logship::watch
