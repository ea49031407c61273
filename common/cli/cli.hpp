// The command-line contract every logship binary shares: Boost.Program_options, an INI file
// with --config (the command line wins), --help, --version, --log-level, and exit codes
// 0 success, 1 runtime failure or findings, 2 usage or configuration error.
#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace logship::cli {

namespace po = boost::program_options;

enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

// A usage or configuration error: main prints it as one line and exits with kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What --help prints around the option list.
struct ProgramInfo {
  std::string name;         // e.g. "logship-verify"
  std::string usage;        // e.g. "logship-verify [options] FILE..."
  std::string description;  // what it does, in a few lines
  std::string epilog;       // examples and exit codes
};

// Options that a program takes. `options` are shown by --help and settable in the config file;
// `hidden` (usually the positional arguments) are command-line only and not shown.
struct OptionSet {
  // caption: the heading of `options` in --help; empty when they come in captioned groups
  explicit OptionSet(const std::string& caption = "Options") : options(caption) {}
  po::options_description options;
  po::options_description hidden{"Hidden"};
  po::positional_options_description positional;
};

// Parses argv (argv[0] is skipped) and the --config file. Returns nullopt when --help or
// --version was printed. Throws UsageError for anything malformed or unknown.
std::optional<po::variables_map> parse(int argc, const char* const* argv, const ProgramInfo& info,
                                       OptionSet& set);

// Runs `body` and turns an escaping exception into one line on stderr and an exit code:
// UsageError -> 2, anything else -> 1.
int run(const ProgramInfo& info, const std::function<int()>& body);

// The string value of option `name`, if it was given (command line or config file).
std::optional<std::string> optional_string(const po::variables_map& vm, const char* name);
// The non-empty string value of option `name`; UsageError "missing --NAME: FIX" otherwise.
std::string required_string(const po::variables_map& vm, const char* name, const char* fix);
// The int value of option `name`; UsageError unless it is at least `min`.
int int_at_least(const po::variables_map& vm, const char* name, int min);

// Parses a byte count: digits with an optional binary suffix K, M, G or T (e.g. "256M").
// Throws UsageError naming `option` for anything else.
std::uint64_t parse_size(const std::string& text, const std::string& option);

// The local host name (the default source name).
std::string host_name();

// Configures spdlog's default logger: stderr, UTC timestamps, the program's name.
// Throws UsageError for an unknown level.
void setup_logging(const std::string& program, const std::string& level);

}  // namespace logship::cli
