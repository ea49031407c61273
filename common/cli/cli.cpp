#include "cli/cli.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cctype>
#include <fstream>
#include <iostream>

namespace logship::cli {

namespace {

constexpr const char* kLevels = "trace, debug, info, warn, error, critical, off";

void print_help(const ProgramInfo& info, const po::options_description& visible) {
  std::cout << "Usage: " << info.usage << "\n\n" << info.description << "\n\n" << visible;
  if (!info.epilog.empty()) std::cout << "\n" << info.epilog;
  std::cout << "\nDocumentation: man " << info.name
            << ", and the *.md files in /usr/share/doc/logship/ (docs/ in the source)."
            << std::endl;
}

}  // namespace

std::optional<po::variables_map> parse(int argc, const char* const* argv, const ProgramInfo& info,
                                       OptionSet& set) {
  po::options_description common("Common options");
  common.add_options()("help,h", "print this help and exit")("version",
                                                             "print the version and exit")(
      "config", po::value<std::string>()->value_name("FILE"),
      "read options from an INI file (name = value, one per line); the command line wins");
  po::options_description logging;
  logging.add_options()("log-level",
                        po::value<std::string>()->default_value("info")->value_name("LEVEL"),
                        "stderr log verbosity: trace, debug, info, warn, error, critical, off");

  po::options_description settable;  // what a config file may set
  settable.add(set.options).add(logging);
  po::options_description cmdline;
  cmdline.add(common).add(settable).add(set.hidden);
  po::options_description visible;
  visible.add(set.options).add(common).add(logging);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(cmdline).positional(set.positional).run(),
              vm);
    if (vm.count("help")) {
      print_help(info, visible);
      return std::nullopt;
    }
    if (vm.count("version")) {
      std::cout << info.name << " " << LOGSHIP_VERSION << "\n";
      return std::nullopt;
    }
    if (vm.count("config")) {
      const auto path = vm["config"].as<std::string>();
      std::ifstream in(path);
      if (!in)
        throw UsageError("cannot read config file " + path +
                         ": check the path given to --config and its permissions");
      try {
        po::store(po::parse_config_file(in, settable, /*allow_unregistered=*/false), vm);
      } catch (const po::error& e) {
        throw UsageError("config file " + path + ": " + e.what());
      }
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (see " + info.name + " --help)");
  }
  return vm;
}

int run(const ProgramInfo& info, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    std::cerr << info.name << ": " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << info.name << ": " << e.what() << "\n";
    return kExitFailure;
  }
}

std::optional<std::string> optional_string(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<std::string>();
}

std::string required_string(const po::variables_map& vm, const char* name, const char* fix) {
  auto v = optional_string(vm, name);
  if (!v || v->empty()) throw UsageError(std::string("missing --") + name + ": " + fix);
  return *v;
}

int int_at_least(const po::variables_map& vm, const char* name, int min) {
  const int v = vm[name].as<int>();
  if (v < min)
    throw UsageError("--" + std::string(name) + " must be at least " + std::to_string(min));
  return v;
}

std::uint64_t parse_size(const std::string& text, const std::string& option) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string suffix = text.substr(digits);
  int shift = -1;
  if (suffix.empty())
    shift = 0;
  else if (suffix == "K" || suffix == "k" || suffix == "KiB")
    shift = 10;
  else if (suffix == "M" || suffix == "MiB")
    shift = 20;
  else if (suffix == "G" || suffix == "GiB")
    shift = 30;
  else if (suffix == "T" || suffix == "TiB")
    shift = 40;
  if (digits == 0 || digits > 15 || shift < 0)
    throw UsageError("--" + option + " '" + text +
                     "' is not a size; write a number of bytes, optionally with K, M, G or T");
  return std::stoull(text.substr(0, digits)) << shift;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

void setup_logging(const std::string& program, const std::string& level) {
  const auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off")
    throw UsageError("unknown --log-level '" + level + "'; use one of: " + kLevels);
  auto logger = spdlog::stderr_color_mt(program);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %n[%P] %l: %v", spdlog::pattern_time_type::utc);
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace logship::cli
