#include "ship/push_state.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <sstream>

namespace logship::ship {

namespace {

constexpr std::string_view kHeader = "logship-push-state v1\n";

Error bad(std::string what) {
  return make_error(ErrorKind::data, "push state: " + std::move(what));
}

// Splits off the next line (without '\n'); false at the end.
bool next_line(std::string_view& text, std::string_view& line) {
  if (text.empty()) return false;
  const auto nl = text.find('\n');
  line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  return true;
}

std::optional<std::uint64_t> field(std::string_view line, std::string_view key) {
  if (line.substr(0, key.size()) != key || line.size() <= key.size() || line[key.size()] != '=')
    return std::nullopt;
  return vault::parse_decimal(line.substr(key.size() + 1));
}

}  // namespace

std::string encode(const PushState& s) {
  std::string out(kHeader);
  out += "acked=" + std::to_string(s.acked) + "\n";
  if (s.inflight) {
    const auto& f = *s.inflight;
    out += "inflight=" + std::to_string(f.first) + " " + std::to_string(f.last) + " " +
           vault::format_time(f.time) + " " + std::to_string(f.dropped) + (f.open ? " open" : "") +
           "\n";
  } else {
    out += "inflight=-\n";
  }
  out += s.seal.persist();
  return out;
}

Result<PushState> decode(std::string_view text) {
  std::string_view line;
  if (text.substr(0, kHeader.size()) != kHeader)
    return bad("unknown version or not a state record");
  text.remove_prefix(kHeader.size());
  if (!next_line(text, line)) return bad("truncated");
  const auto acked = field(line, "acked");
  if (!acked) return bad("bad acked= line");
  if (!next_line(text, line) || line.substr(0, 9) != "inflight=") return bad("bad inflight= line");
  std::optional<InFlight> inflight;
  if (line != "inflight=-") {
    std::istringstream in{std::string(line.substr(9))};
    std::string first, last, time, dropped, open, extra;
    in >> first >> last >> time >> dropped >> open >> extra;
    const auto f = vault::parse_decimal(first), l = vault::parse_decimal(last),
               d = vault::parse_decimal(dropped);
    const auto t = vault::parse_time(time);
    if (!f || !l || !d || !t || (*f && *f > *l) || !(open.empty() || open == "open") ||
        !extra.empty() || (open == "open" && *f == 0))
      return bad("bad inflight= line");
    inflight = InFlight{*f, *l, *t, *d, open == "open"};
  }
  auto seal = vault::SealState::restore(text);
  if (!seal) return bad(seal.error().message);
  return PushState{*acked, inflight, std::move(*seal)};
}

// The thread that syncs what record() wrote: it syncs whenever a generation newer than the
// durable one is wanted, and after a failure waits until it is asked again.
struct PushStateFile::Background {
  Background(SlotFile& f, std::function<void()> on_settled)
      : file(f), settled(std::move(on_settled)), thread([this] { run(); }) {}
  ~Background() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    wake.notify_all();
    thread.join();
  }
  void run() {
    std::unique_lock lock(mu);
    for (;;) {
      wake.wait(lock, [&] { return stop || retry || (wanted > synced && !error); });
      if (stop && (wanted <= synced || error)) return;
      retry = false;
      lock.unlock();
      auto r = file.sync();
      lock.lock();
      if (r) {
        synced = std::max(synced, *r);
        error.reset();
      } else {
        error = r.error();
      }
      done.notify_all();
      if (settled) {
        lock.unlock();
        settled();
        lock.lock();
      }
    }
  }

  SlotFile& file;
  std::function<void()> settled;
  std::mutex mu;
  std::condition_variable wake, done;
  std::uint64_t wanted = 0;  // the newest generation recorded
  std::uint64_t synced = 0;  // the newest known to be on the disk
  std::optional<Error> error;
  bool retry = false, stop = false;
  std::thread thread;  // last: starts once the rest is ready
};

PushStateFile::PushStateFile(SlotFile file) : file_(std::make_unique<SlotFile>(std::move(file))) {}
PushStateFile::PushStateFile(PushStateFile&&) noexcept = default;
PushStateFile& PushStateFile::operator=(PushStateFile&&) noexcept = default;
PushStateFile::~PushStateFile() = default;

Result<PushStateFile> PushStateFile::open(const std::filesystem::path& path) {
  auto f = SlotFile::open(path);
  if (!f) return f.error();
  return PushStateFile(std::move(*f));
}

Result<std::optional<PushState>> PushStateFile::load() {
  auto r = file_->read();
  if (!r) return r.error();
  if (!r->has_value()) return std::optional<PushState>{};
  auto s = decode(**r);
  if (!s) return s.error();
  return std::optional<PushState>{std::move(*s)};
}

Result<void> PushStateFile::save(const PushState& state) {
  auto g = record(state);
  if (!g) return g.error();
  return durable(*g);
}

Result<std::uint64_t> PushStateFile::record(const PushState& state) {
  if (!background_) {
    if (auto st = file_->write(encode(state)); !st) return st.error();
    return file_->sync();  // the generation just written, already durable
  }
  auto g = file_->write_unsynced(encode(state));
  if (!g) return g.error();
  {
    std::lock_guard lock(background_->mu);
    background_->wanted = std::max(background_->wanted, *g);
  }
  background_->wake.notify_one();
  return *g;
}

Result<void> PushStateFile::durable(std::uint64_t generation) {
  if (!background_) return {};
  Background& b = *background_;
  std::unique_lock lock(b.mu);
  b.done.wait(lock, [&] { return b.synced >= generation || b.error; });
  if (b.synced >= generation) return {};
  const Error e = *b.error;
  b.error.reset();
  b.retry = true;
  b.wake.notify_one();
  return e;
}

bool PushStateFile::sync_settled(std::uint64_t generation) {
  if (!background_) return true;
  std::lock_guard lock(background_->mu);
  return background_->synced >= generation || background_->error;
}

void PushStateFile::sync_in_background(std::function<void()> settled) {
  if (!background_) background_ = std::make_unique<Background>(*file_, std::move(settled));
}

}  // namespace logship::ship
