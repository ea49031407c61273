// logship-verify: checks vault files, extracts their payload, or writes a redacted copy.
// All logic lives in common/vault; this file only wires options to it.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>

#include <spdlog/spdlog.h>

#include "cli/cli.hpp"
#include "util/clock.hpp"
#include "vault/key_file.hpp"
#include "vault/redact.hpp"
#include "vault/report.hpp"
#include "vault/verifier.hpp"
#include "watch/watcher.hpp"

namespace {

using namespace logship;
namespace po = cli::po;

constexpr std::size_t kKeepFindings = 10000;  // per list in the --json document

const cli::ProgramInfo kInfo{
    "logship-verify",
    "logship-verify [options] FILE...\n"
    "       logship-verify --follow --key KEY [options] FILE...\n"
    "       logship-verify --follow --streams STREAMS_FILE [options]\n"
    "       logship-verify --redact REGEX --out NEW_FILE FILE",
    "Checks vault files written by logship-push (format v1, FORMAT.md). FILEs are one\n"
    "stream, in order: give rotated files oldest first. Checks every batch's framing and\n"
    "line/byte counts, the sequence numbers (gaps, repeats, going backwards), the hash chain,\n"
    "and with --key every MAC (K_seq is derived from K_0 and the batch's position only).\n"
    "Reports torn batches (a begin without a valid end) unless a resend completed them\n"
    "(an interrupted transfer: info only), dropped counts, stray lines outside batches\n"
    "(bytes of a sealed batch that an interrupted transfer's cat appended late are skipped:\n"
    "transfer-remnant, info only),\n"
    "silences longer than --max-silence between consecutive batches, and a tail short of\n"
    "--expect-seq. Without --key a forger who rewrites the whole chain goes unnoticed: always\n"
    "verify with the key kept off the host.\n"
    "Findings go to stdout as FILE:LINE: kind: details (to stderr with --extract);\n"
    "a summary and infos go to stderr.\n\n"
    "With --follow it keeps running: the last FILE (or each stream of --streams) is followed\n"
    "as it grows and across its rotation, every finding is logged within seconds (stderr:\n"
    "journald), silence is measured on the watcher's own clock (--max-silence), the place\n"
    "reached is kept in --state-dir (a restart, even after kill -9, resumes there), verified\n"
    "lines are handed on once each (--emit), and everything is re-verified from the start\n"
    "every --rescan-interval and on SIGUSR1. SIGTERM stops it, SIGHUP reopens --emit.\n"
    "docs/WATCH.md has the details.",
    "What exit status 0 with --key means, against someone who can write the vault file but\n"
    "holds no key:\n"
    "  line or batch altered, inserted, deleted inside  detected with the key alone\n"
    "  forged or re-labelled batch, forged torn copy    detected with the key alone\n"
    "  first batches deleted (head cut)                 only with --expect-start\n"
    "  last batches deleted (tail cut), sender stopped  only with --expect-seq N, and the\n"
    "                                                   heartbeat monitoring (DEPLOY.md)\n"
    "  batches deleted, visible as a pause              --max-silence (between batches only)\n"
    "  anything sealed after the sender's key was stolen: out of reach by design\n"
    "Lines of torn or still open batches are sealed by no MAC: --extract leaves them out\n"
    "unless --extract-unsealed is given (then marked). FORMAT.md section 8.1 has the details.\n\n"
    "Exit status: 0 clean, 1 findings (or a read error), 2 usage error (bad option, missing\n"
    "or unreadable file or key).\n\n"
    "Examples:\n"
    "  logship-verify --key web1.key /srv/vault/web1.auth.log.1 /srv/vault/web1.auth.log\n"
    "  logship-verify --key web1.key --max-silence 180 --expect-seq 5000 web1.auth.log\n"
    "  logship-verify --extract web1.auth.log | grep sshd\n"
    "  logship-verify --json --key web1.key web1.auth.log > report.json\n"
    "  logship-verify --redact 'user=alice' --out web1.redacted.log web1.auth.log\n"
    "  logship-verify --follow --key web1.key --max-silence 180 --emit /srv/out/web1.log \\\n"
    "      --state-dir /var/lib/logship-watch web1.auth.log\n"
    "  logship-verify --follow --streams /etc/logship/watch.conf --prometheus-file \\\n"
    "      /var/lib/node_exporter/textfile/logship_watch.prom\n"};

void add_options(cli::OptionSet& set) {
  set.options.add_options()(
      "key", po::value<std::string>()->value_name("FILE"),
      "verification key file (logship-key v1, from logship-push init): check every MAC")(
      "max-silence", po::value<std::uint64_t>()->value_name("SECONDS"),
      "finding when two consecutive batches of a stream are further apart than this")(
      "expect-seq", po::value<std::uint64_t>()->value_name("N"),
      "finding when a stream's last complete batch has a seq below N (tail cut)")(
      "expect-start", po::bool_switch(),
      "finding when a stream's first batch is not seq 0 (head cut; give every file since the "
      "stream began)")(
      "mixed-streams", po::bool_switch(),
      "the files may hold several streams (src, stream), each verified on its own; without it "
      "a second stream is a finding (a batch moved from another file)")(
      "extract", po::bool_switch(),
      "write the payload to stdout: each sealed line once, in order, unescaped, fragments "
      "joined")(
      "extract-unsealed", po::bool_switch(),
      "with --extract, also the lines of torn and still open batches, which no MAC covers, "
      "each run between '@logship unsealed-begin FILE:LINE ...' and '@logship unsealed-end' "
      "lines")("json", po::bool_switch(),
               "write a machine-readable summary with all findings to stdout")(
      "redact", po::value<std::string>()->value_name("REGEX"),
      "write a copy of FILE to --out with payload lines matching REGEX (POSIX extended, as "
      "grep -E, matched anywhere in the line) replaced by their redaction marker")(
      "out", po::value<std::string>()->value_name("FILE"),
      "output of --redact; must not exist (created 0640)")(
      "max-key-steps", po::value<std::uint64_t>()->value_name("N"),
      "key evolutions the whole run may spend beyond one per batch (default 2^28, about 40 s): "
      "bounds what forged sequence numbers cost; a batch beyond it is a finding, MAC unchecked")(
      "max-line-bytes", po::value<std::size_t>()->default_value(64 << 20)->value_name("BYTES"),
      "longest vault line read; a longer one is a finding");
  po::options_description follow("Following (--follow)");
  follow.add_options()("follow", po::bool_switch(),
                       "keep running: follow the last FILE as it grows (see above)")(
      "streams", po::value<std::string>()->value_name("FILE"),
      "watch every stream of this file, one [NAME] section each (file =, key =, rotated =, "
      "max-silence =, expect-start =); instead of FILE... and --key")(
      "state-dir", po::value<std::string>()->value_name("DIR"),
      "where the watcher keeps its place (0700; holds key positions); default "
      "$XDG_STATE_HOME/logship/verify or ~/.local/state/logship/verify")(
      "status-file", po::value<std::string>()->value_name("FILE"),
      "a JSON status document, rewritten every second")(
      "prometheus-file", po::value<std::string>()->value_name("FILE"),
      "Prometheus metrics (node_exporter textfile), rewritten every second")(
      "emit", po::value<std::string>()->value_name("FILE|-"),
      "append each verified payload line to FILE (- for stdout), once, in order")(
      "emit-format", po::value<std::string>()->default_value("raw")->value_name("raw|json"),
      "raw: the payload as --extract writes it; json: one object per line with src, stream, "
      "seq, time, index and the line")(
      "on-finding", po::value<std::string>()->value_name("PROGRAM"),
      "run PROGRAM KIND STREAM FILE LINE MESSAGE for every new finding (no shell; also in "
      "LOGSHIP_* variables), at most 20 at once then one per 3 s")(
      "rescan-interval", po::value<std::uint64_t>()->default_value(21600)->value_name("SECONDS"),
      "re-verify every stream from the start this often (0: only on SIGUSR1)")(
      "poll-interval", po::value<std::uint64_t>()->default_value(250)->value_name("MS"),
      "how often the files are looked at");
  set.options.add(follow);
  set.hidden.add_options()("file", po::value<std::vector<std::string>>(), "vault files");
  set.positional.add("file", -1);
}

// Files must exist and be regular: checked up front, so a typo is a usage error.
void check_inputs(const std::vector<std::string>& files) {
  if (files.empty())
    throw cli::UsageError("no vault file given: logship-verify [options] FILE... (see --help)");
  for (const auto& f : files) {
    std::error_code ec;
    const auto st = std::filesystem::status(f, ec);
    if (ec || !std::filesystem::exists(st))
      throw cli::UsageError("cannot open " + f +
                            ": no such file; check the path (rotated files oldest first)");
    if (!std::filesystem::is_regular_file(st))
      throw cli::UsageError(f + " is not a regular file; give vault files by path");
    if (::access(f.c_str(), R_OK) != 0)
      throw cli::UsageError("cannot read " + f + ": permission denied; run as the vault user");
  }
}

int redact(const po::variables_map& vm, const std::vector<std::string>& files) {
  if (!vm.count("out")) throw cli::UsageError("--redact needs --out NEW_FILE");
  if (files.size() != 1) throw cli::UsageError("--redact takes exactly one input FILE");
  if (vm["extract"].as<bool>() || vm["json"].as<bool>())
    throw cli::UsageError("--redact cannot be combined with --extract or --json");
  const auto out = vm["out"].as<std::string>();
  if (std::filesystem::exists(out))
    throw cli::UsageError(out + " already exists; --out never overwrites, choose a new name");
  auto pattern = vault::Pattern::compile(vm["redact"].as<std::string>());
  if (!pattern) throw cli::UsageError(pattern.error().message);
  auto stats = vault::redact_file(files[0], out, *pattern, vm["max-line-bytes"].as<std::size_t>());
  if (!stats) throw std::runtime_error(stats.error().message);
  std::cerr << kInfo.name << ": wrote " << out << ": " << stats->lines << " lines, "
            << stats->redacted << " redacted; verify it with --key\n";
  return cli::kExitOk;
}

// "\r" progress line on stderr, only when stderr is a terminal.
vault::Verifier::Progress progress_printer() {
  if (!::isatty(STDERR_FILENO)) return {};
  return [](const std::string& file, std::uint64_t done, std::uint64_t size) {
    const auto pct = size ? done * 100 / size : 100;
    std::fprintf(stderr, "\r%s: %3llu%% of %llu MiB\033[K", file.c_str(),
                 static_cast<unsigned long long>(pct), static_cast<unsigned long long>(size >> 20));
    if (done >= size) std::fprintf(stderr, "\r\033[K");
  };
}

std::string summary_line(const vault::Summary& s) {
  std::uint64_t batches = 0, heartbeats = 0, dups = 0, interrupted = 0, remnants = 0, dropped = 0,
                redacted = 0;
  for (const auto& st : s.streams) {
    batches += st.batches;
    heartbeats += st.heartbeats;
    dups += st.duplicates;
    interrupted += st.interrupted;
    remnants += st.remnants;
    dropped += st.dropped;
    redacted += st.redacted;
  }
  return std::to_string(s.files.size()) + " files, " + std::to_string(s.lines_read) + " lines, " +
         std::to_string(batches) + " batches (" + std::to_string(heartbeats) + " heartbeats), " +
         std::to_string(s.streams.size()) + " streams, " + std::to_string(dups) + " duplicates, " +
         std::to_string(interrupted) + " interrupted transfers, " + std::to_string(remnants) +
         " late remnants, " + std::to_string(dropped) + " lines dropped, " +
         std::to_string(redacted) +
         " lines redacted: " + (s.ok() ? "OK" : std::to_string(s.findings) + " findings");
}

// --max-silence, checked: 1 s to ten years.
std::optional<std::chrono::seconds> max_silence(const po::variables_map& vm) {
  if (!vm.count("max-silence")) return std::nullopt;
  constexpr auto kMax = vault::VerifyOptions::kMaxSilenceSeconds;
  const auto s = vm["max-silence"].as<std::uint64_t>();
  if (s == 0 || s > kMax)
    throw cli::UsageError("--max-silence " + std::to_string(s) + " is out of range: give 1 to " +
                          std::to_string(kMax) + " seconds (ten years)");
  return std::chrono::seconds(s);
}

std::filesystem::path default_state_dir() {
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x)
    return std::filesystem::path(x) / "logship/verify";
  if (const char* h = std::getenv("HOME"); h && *h)
    return std::filesystem::path(h) / ".local/state/logship/verify";
  throw cli::UsageError("no --state-dir given and neither XDG_STATE_HOME nor HOME is set");
}

// The streams to follow: --streams, or the files of the command line (the last followed).
std::vector<watch::StreamConfig> follow_streams(const po::variables_map& vm,
                                                const std::vector<std::string>& files) {
  if (vm.count("streams")) {
    if (!files.empty() || vm.count("key") || vm.count("max-silence") ||
        vm["expect-start"].as<bool>())
      throw cli::UsageError(
          "--streams takes each stream's files and settings from its file: give no FILE, "
          "--key, --max-silence or --expect-start with it");
    auto streams = watch::read_streams(vm["streams"].as<std::string>());
    if (!streams) throw cli::UsageError(streams.error().message);
    return *streams;
  }
  if (files.empty())
    throw cli::UsageError(
        "--follow needs the file to follow (FILE..., the last one is followed) "
        "or --streams STREAMS_FILE");
  if (!vm.count("key"))
    throw cli::UsageError(
        "--follow needs --key KEY: a watcher without the key cannot tell a "
        "forged batch from a true one");
  watch::StreamConfig s;
  s.file = files.back();
  s.name = s.file.filename().string();
  s.rotated = watch::default_rotated(s.file);
  for (std::size_t i = 0; i + 1 < files.size(); ++i) s.earlier.emplace_back(files[i]);
  s.key = vm["key"].as<std::string>();
  s.max_silence = max_silence(vm);
  s.expect_start = vm["expect-start"].as<bool>();
  return {s};
}

int follow(const po::variables_map& vm, const std::vector<std::string>& files) {
  for (const char* o : {"extract", "json", "extract-unsealed", "mixed-streams"})
    if (vm[o].as<bool>())
      throw cli::UsageError(std::string("--") + o +
                            " is for a one-off verification; with --follow use --emit");
  for (const char* o : {"expect-seq", "redact", "out"})
    if (vm.count(o))
      throw cli::UsageError(std::string("--") + o + " cannot be combined with --follow");
  watch::WatchOptions opt;
  opt.streams = follow_streams(vm, files);
  opt.state_dir = vm.count("state-dir") ? std::filesystem::path(vm["state-dir"].as<std::string>())
                                        : default_state_dir();
  if (vm.count("status-file")) opt.status_file = vm["status-file"].as<std::string>();
  if (vm.count("prometheus-file")) opt.prometheus_file = vm["prometheus-file"].as<std::string>();
  if (vm.count("emit")) opt.emit = vm["emit"].as<std::string>();
  auto format = watch::parse_emit_format(vm["emit-format"].as<std::string>());
  if (!format) throw cli::UsageError(format.error().message);
  opt.emit_format = *format;
  if (vm.count("on-finding")) {
    const auto p = vm["on-finding"].as<std::string>();
    if (p.empty() || p[0] != '/' || ::access(p.c_str(), X_OK) != 0)
      throw cli::UsageError("--on-finding " + p +
                            ": give the absolute path of an executable program (it is run "
                            "directly, not through a shell)");
    opt.on_finding = p;
  }
  opt.rescan_interval = std::chrono::seconds(vm["rescan-interval"].as<std::uint64_t>());
  const auto poll_ms = vm["poll-interval"].as<std::uint64_t>();
  if (poll_ms < 10 || poll_ms > 60000)
    throw cli::UsageError("--poll-interval must be 10 to 60000 ms");
  opt.poll_interval = std::chrono::milliseconds(poll_ms);

  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&set, sig);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  UniqueFd sigfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));

  // Two or three descriptors per stream (its live file, the one before, its identity): a
  // vault with hundreds of streams needs more than the usual soft limit of 1024.
  if (rlimit lim{}; ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  const auto stream_count = opt.streams.size();
  SystemClock clock;
  auto watcher = watch::Watcher::start(std::move(opt), clock);
  if (!watcher) {
    if (watcher.error().kind == ErrorKind::config) throw cli::UsageError(watcher.error().message);
    throw std::runtime_error(watcher.error().message);
  }
  auto& w = **watcher;
  spdlog::info("following {} stream{}", stream_count, stream_count == 1 ? "" : "s");
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    std::size_t asked = 0;
    auto signalled = [&] {  // (a signal waits: the round ends, the loop below reads it)
      if (asked++ % 64 != 0) return false;
      pollfd p{sigfd.get(), POLLIN, 0};
      return ::poll(&p, 1, 0) > 0;
    };
    if (auto st = w.round(signalled); !st) throw std::runtime_error(st.error().message);
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    const auto wait = std::max<std::int64_t>(0, (w.poll_interval() - spent).count());
    pollfd p{sigfd.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait)) <= 0) continue;
    signalfd_siginfo si{};
    bool stop = false;
    while (::read(sigfd.get(), &si, sizeof si) == sizeof si) {
      if (si.ssi_signo == SIGUSR1) {
        w.request_rescan();
      } else if (si.ssi_signo == SIGHUP) {
        spdlog::info("SIGHUP: reopening --emit");
        if (auto st = w.reopen_emit(); !st) spdlog::error("{}", st.error().message);
      } else {
        stop = true;
      }
    }
    if (stop) {
      spdlog::info("stopping; checkpoint saved");
      if (auto st = w.stop(); !st) throw std::runtime_error(st.error().message);
      return cli::kExitOk;
    }
  }
}

int verify(const po::variables_map& vm, const std::vector<std::string>& files) {
  const bool extract = vm["extract"].as<bool>(), json = vm["json"].as<bool>();
  if (extract && json)
    throw cli::UsageError("--extract and --json both write to stdout; use one at a time");
  if (vm.count("out")) throw cli::UsageError("--out is only for --redact");
  vault::VerifyOptions opt;
  opt.max_line_bytes = vm["max-line-bytes"].as<std::size_t>();
  if (vm.count("key")) {
    auto key = vault::read_key_file(vm["key"].as<std::string>());
    if (!key) throw cli::UsageError(key.error().message);
    opt.key = *key;
  }
  opt.max_silence = max_silence(vm);
  if (vm.count("expect-seq")) opt.expect_seq = vm["expect-seq"].as<std::uint64_t>();
  if (vm.count("max-key-steps")) opt.max_key_steps = vm["max-key-steps"].as<std::uint64_t>();
  opt.expect_start = vm["expect-start"].as<bool>();
  opt.mixed_streams = vm["mixed-streams"].as<bool>();
  opt.extract_unsealed = vm["extract-unsealed"].as<bool>();
  if (opt.extract_unsealed && !extract)
    throw cli::UsageError("--extract-unsealed only adds to --extract; give both");
  // A batch still being written at the end of a live file is not torn (see VerifyOptions).
  opt.now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());

  std::vector<vault::Finding> findings, infos;
  std::uint64_t omitted = 0;
  auto report = [&](const vault::Finding& f) {
    if (json) {
      auto& list = vault::is_info(f.kind) ? infos : findings;
      if (list.size() < kKeepFindings)
        list.push_back(f);
      else
        ++omitted;
      return;
    }
    auto& out = (extract || vault::is_info(f.kind)) ? std::cerr : std::cout;
    out << vault::format_finding(f) << "\n";
  };
  vault::FdSink stdout_sink(STDOUT_FILENO, "stdout");
  vault::Verifier verifier(opt, report, extract ? &stdout_sink : nullptr);
  verifier.on_progress(progress_printer());
  for (const auto& f : files)
    if (auto st = verifier.add_file(f); !st) throw std::runtime_error(st.error().message);
  if (auto st = verifier.finish(); !st) throw std::runtime_error(st.error().message);
  const auto summary = verifier.summary();
  std::cout << std::flush;
  if (json)
    std::cout << vault::to_json(summary, findings, infos, omitted) << std::flush;
  else
    std::cerr << kInfo.name << ": " << summary_line(summary) << "\n";
  return summary.ok() ? cli::kExitOk : cli::kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run(kInfo, [&]() -> int {
    cli::OptionSet set;
    add_options(set);
    auto vm = cli::parse(argc, argv, kInfo, set);
    if (!vm) return cli::kExitOk;
    cli::setup_logging(kInfo.name, (*vm)["log-level"].as<std::string>());
    const auto files = vm->count("file") ? (*vm)["file"].as<std::vector<std::string>>()
                                         : std::vector<std::string>{};
    if ((*vm)["follow"].as<bool>()) return follow(*vm, files);
    for (const char* o :
         {"streams", "state-dir", "status-file", "prometheus-file", "emit", "on-finding"})
      if (vm->count(o)) throw cli::UsageError(std::string("--") + o + " is only for --follow");
    check_inputs(files);
    return vm->count("redact") ? redact(*vm, files) : verify(*vm, files);
  });
}
