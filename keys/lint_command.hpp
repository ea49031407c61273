// logship-keys lint: report authorized_keys entries that grant more than logging needs.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.hpp"

namespace logship::keys {

// The options of `lint`, for --help and the config file.
cli::po::options_description lint_options();

// Lints `files` ("-" is stdin); exit 0 clean, 1 findings. Throws cli::UsageError when a file
// cannot be read.
int run_lint(const cli::po::variables_map& vm, const std::vector<std::string>& files);

}  // namespace logship::keys
