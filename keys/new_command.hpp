// logship-keys new: mint a key pair and print its authorized_keys line.
#pragma once

#include "cli/cli.hpp"

namespace logship::keys {

// The options of `new`, for --help and the config file.
cli::po::options_description new_options();

// Runs `new` with parsed options; returns the exit code. Throws cli::UsageError.
int run_new(const cli::po::variables_map& vm);

}  // namespace logship::keys
