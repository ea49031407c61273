// Runs a program (no shell) and captures what it prints: for fixtures driving ssh-keygen.
#pragma once

#include <string>
#include <vector>

namespace logship::test {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or not started
  std::string output;  // stdout and stderr together
};

// Runs argv[0] found on PATH with the given arguments and waits for it.
CommandResult run_command(const std::vector<std::string>& argv);

// run_command, throwing std::runtime_error with the output unless it exits 0.
std::string run_checked(const std::vector<std::string>& argv);

}  // namespace logship::test
