// The push agent's input: a named pipe that syslog or auditd writes, or stdin.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "util/files.hpp"
#include "util/result.hpp"

namespace logship::input {

struct FifoOptions {
  std::filesystem::path path;
  mode_t mode = 0620;                // for a FIFO we create: the writer's group may write
  std::optional<std::string> group;  // group of a FIFO we create (e.g. "adm"); default: ours
};

// An open input. For a FIFO, also a write end held open by us, so that a writer restarting
// (syslog reloading) never makes the reader see end-of-file.
struct Input {
  UniqueFd read_fd;          // non-blocking
  UniqueFd keepalive_fd;     // FIFO only: our own write end, never written to
  std::size_t capacity = 0;  // FIFO only: pipe buffer in bytes after raising it
  bool is_fifo = false;
  std::string description;  // "FIFO /run/x (1048576-byte buffer)" or "stdin"
};

// Creates the FIFO if missing (mode and group as given), refuses a path that exists but is not
// a FIFO, opens it non-blocking for reading (and writing, held), and raises its capacity as far
// as /proc/sys/fs/pipe-max-size allows. Errors name the path and the fix.
Result<Input> open_fifo(const FifoOptions& options);

// Standard input, made non-blocking. Its end-of-file is the end of the input.
Result<Input> open_stdin();

// Raises a pipe's buffer towards `wanted` bytes (and the system maximum); returns the size set.
std::size_t raise_pipe_capacity(int fd, std::size_t wanted);

}  // namespace logship::input
