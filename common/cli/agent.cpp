#include "cli/agent.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "vault/key_file.hpp"

namespace logship::cli {

namespace fs = std::filesystem;

namespace {

int init_state(const fs::path& dir, const fs::path& key_out, const std::string& source,
               const Init& s) {
  if (fs::exists(s.marker(dir))) {
    spdlog::error("{} {}", dir.string(), s.refusal);
    return kExitUsage;
  }
  std::error_code ec;
  fs::create_directories(s.subdir.empty() ? dir : dir / s.subdir, ec);
  if (ec) throw UsageError("cannot create state directory " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  auto k0 = vault::generate_key();
  if (!k0) throw std::runtime_error(k0.error().message);
  const std::string comment = "logship verification key (K0) " + s.key_of + " " + source +
                              ", made " + status::iso_time(SystemClock().wall_now()) + ".\n" +
                              s.key_note;
  if (auto st = vault::write_key_file(key_out, *k0, comment); !st)
    throw UsageError(st.error().message);
  try {
    s.keep(dir, *k0);
  } catch (...) {
    crypto::wipe(*k0);
    throw;
  }
  crypto::wipe(*k0);
  std::printf("initialised %s\nverification key written to %s\n%s", dir.c_str(), key_out.c_str(),
              s.advice.c_str());
  return kExitOk;
}

int init_main(int argc, const char* const* argv, const Agent& a) {
  OptionSet set;
  set.options.add_options()(
      "state-dir", po::value<std::string>()->value_name("DIR"),
      ("state directory (default: $XDG_STATE_HOME/logship/" + a.name + ")").c_str())(
      "key-out", po::value<std::string>()->value_name("FILE"),
      "where to write the verification key")("source", po::value<std::string>()->value_name("NAME"),
                                             a.init.source_help.c_str());
  const ProgramInfo info{
      a.info.name + " init", a.info.name + " init --state-dir DIR --key-out FILE [--source NAME]",
      a.init.description,
      "Exit codes: 0 done; 2 the directory is already initialised, or a bad option.\n"};
  auto vm = parse(argc, argv, info, set);
  if (!vm) return kExitOk;
  setup_logging(a.info.name, (*vm)["log-level"].as<std::string>());
  if (!vm->count("key-out")) throw UsageError("missing --key-out FILE for the verification key");
  return init_state(optional_string(*vm, "state-dir").value_or(default_state_dir(a.name).string()),
                    (*vm)["key-out"].as<std::string>(),
                    optional_string(*vm, "source").value_or(host_name()), a.init);
}

int run_main(int argc, const char* const* argv, const Agent& a) {
  OptionSet set;
  a.add_run_options(set);
  auto vm = parse(argc, argv, a.info, set);
  if (!vm) return kExitOk;
  setup_logging(a.info.name, (*vm)["log-level"].as<std::string>());
  return a.run(*vm);
}

}  // namespace

int agent_main(int argc, const char* const* argv, const Agent& agent) {
  return run(agent.info, [&] {
    if (argc > 1 && std::strcmp(argv[1], "init") == 0) return init_main(argc - 1, argv + 1, agent);
    return run_main(argc, argv, agent);
  });
}

void add_status_options(OptionSet& set) {
  // clang-format off
  set.options.add_options()
    ("status-file", po::value<std::string>()->value_name("FILE"),
     "JSON status, rewritten atomically every --status-interval")
    ("prometheus-file", po::value<std::string>()->value_name("FILE"),
     "the same as a node_exporter textfile (name it *.prom)")
    ("status-interval", po::value<int>()->default_value(5)->value_name("SECONDS"),
     "how often the status files are rewritten");
  // clang-format on
}

StatusOptions status_options(const po::variables_map& vm) {
  StatusOptions o;
  if (auto f = optional_string(vm, "status-file")) o.files.json = *f;
  if (auto f = optional_string(vm, "prometheus-file")) o.files.prometheus = *f;
  o.interval = std::chrono::seconds(int_at_least(vm, "status-interval", 1));
  return o;
}

fs::path default_state_dir(const std::string& name) {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg)
    return fs::path(xdg) / "logship" / name;
  if (const char* home = std::getenv("HOME"); home && *home)
    return fs::path(home) / ".local" / "state" / "logship" / name;
  return "logship-" + name + "-state";
}

std::optional<InstanceLock> lock_state_dir(const fs::path& dir) {
  pid_t holder = 0;
  auto lock = InstanceLock::acquire(dir / "lock", &holder);
  if (!lock) throw UsageError(lock.error().message);
  if (!lock->has_value())
    spdlog::info("already running (pid {}) for state directory {}; nothing to do", holder,
                 dir.string());
  return std::move(*lock);
}

}  // namespace logship::cli
