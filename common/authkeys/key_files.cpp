#include "authkeys/key_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/files.hpp"

namespace logship::authkeys {

namespace fs = std::filesystem;

namespace {

fs::path directory_of(const fs::path& file) {
  const auto dir = file.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// Creates `path` with exactly `data` and `mode`, failing if it exists.
Result<void> create_exclusive(const fs::path& path, std::string_view data, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) {
    if (errno == EEXIST)
      return make_error(ErrorKind::config, path.string() +
                                               " already exists; choose another --out, or "
                                               "give --force to replace the pair");
    return make_error(ErrorKind::io, errno_message("create", path));
  }
  auto fail = [&](std::string msg) -> Result<void> {
    ::unlink(path.c_str());
    return make_error(ErrorKind::io, std::move(msg));
  };
  if (::fchmod(fd.get(), mode) != 0) return fail(errno_message("chmod", path));
  if (auto st = write_all(fd.get(), data, path); !st) return fail(st.error().message);
  if (::fsync(fd.get()) != 0) return fail(errno_message("fsync", path));
  return {};
}

}  // namespace

fs::path public_key_path(const fs::path& private_key) {
  return private_key.string() + ".pub";
}

Result<void> check_key_destination(const fs::path& private_key, bool replace) {
  if (private_key.empty() || private_key.filename().empty())
    return make_error(ErrorKind::config, "--out must name a file, e.g. ~/.ssh/logship_push");
  const fs::path dir = directory_of(private_key);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return make_error(ErrorKind::config,
                      errno_message("cannot use the directory", dir) + "; create it (mode 0700)");
  if (!S_ISDIR(st.st_mode))
    return make_error(ErrorKind::config, dir.string() + " is not a directory");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return make_error(ErrorKind::config,
                      dir.string() +
                          " is writable by group or others, who could replace the key; put it in "
                          "a directory only you can write (chmod go-w, or ~/.ssh)");
  if (replace) return {};
  for (const auto& p : {private_key, public_key_path(private_key)}) {
    struct stat existing {};
    if (::lstat(p.c_str(), &existing) == 0)
      return make_error(ErrorKind::config, p.string() +
                                               " already exists; choose another --out, or give "
                                               "--force to replace the pair");
  }
  return {};
}

Result<void> write_key_files(const fs::path& private_key, std::string_view private_text,
                             std::string_view public_line, bool replace) {
  const fs::path pub = public_key_path(private_key);
  if (replace) {
    if (auto st = atomic_write_file(private_key, private_text, 0600); !st) return st;
    if (auto st = atomic_write_file(pub, public_line, 0644); !st) return st;
  } else {
    if (auto st = create_exclusive(private_key, private_text, 0600); !st) return st;
    if (auto st = create_exclusive(pub, public_line, 0644); !st) {
      ::unlink(private_key.c_str());
      return st;
    }
  }
  return fsync_dir(directory_of(private_key));
}

}  // namespace logship::authkeys
