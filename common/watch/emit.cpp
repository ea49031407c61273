#include "watch/emit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "util/json.hpp"
#include "vault/format.hpp"

namespace logship::watch {

Result<EmitFormat> parse_emit_format(std::string_view text) {
  if (text == "raw") return EmitFormat::raw;
  if (text == "json") return EmitFormat::json;
  return make_error(ErrorKind::config,
                    "--emit-format " + std::string(text) + " is not known: use raw or json");
}

void EmitBuffer::batch(const Batch& b) {
  src_ = b.src;
  stream_ = b.stream;
  seq_ = b.seq;
  time_ = vault::format_time(b.time);
  index_ = 0;
}

void EmitBuffer::put(std::string_view bytes) {
  if (skip_ > 0) {
    const auto n = std::min<std::uint64_t>(skip_, bytes.size());
    bytes.remove_prefix(n);
    skip_ -= n;
  }
  out_.append(bytes);
}

Result<void> EmitBuffer::write(std::string_view bytes) {
  if (format_ == EmitFormat::raw) {
    put(bytes);
    return {};
  }
  // The extractor writes whole lines ("...\n") and fragments without their LF.
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      line_.append(bytes);
      in_line_ = true;
      return {};
    }
    if (in_line_) {
      line_.append(bytes.substr(0, nl));
      json_line(line_);
      line_.clear();
      in_line_ = false;
    } else {
      json_line(bytes.substr(0, nl));
    }
    bytes.remove_prefix(nl + 1);
  }
  return {};
}

void EmitBuffer::json_line(std::string_view line) {
  JsonObject o;
  o.add("src", src_)
      .add("stream", stream_)
      .add("seq", seq_)
      .add("time", time_)
      .add("index", index_++);
  if (valid_utf8(line))
    o.add("line", line);
  else
    o.add("line_base64", base64(line));
  put(o.str() + "\n");
}

Result<EmitFile> EmitFile::open(const std::filesystem::path& path) {
  EmitFile f;
  f.path_ = path;
  if (auto st = f.reopen(); !st) return st.error();
  return f;
}

Result<void> EmitFile::reopen() {
  if (is_stdout()) {
    fd_.reset(::dup(STDOUT_FILENO));
    inode_ = 0;
    size_ = 0;
    return {};
  }
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid())
    return make_error(ErrorKind::io, errno_message("open", path_) +
                                         ": check that the directory exists and is writable");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return make_error(ErrorKind::io, errno_message("stat", path_));
  fd_ = std::move(fd);
  inode_ = st.st_ino;
  size_ = static_cast<std::uint64_t>(st.st_size);
  return {};
}

Result<void> EmitFile::reopen_if_moved() {
  if (is_stdout()) return {};
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && st.st_ino == inode_) return {};
  return reopen();
}

Result<void> EmitFile::append(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (auto st = write_all(fd_.get(), bytes, path_); !st) return st;
  size_ += bytes.size();
  return {};
}

Result<void> EmitFile::sync() {
  if (is_stdout() || ::fdatasync(fd_.get()) == 0) return {};
  return make_error(ErrorKind::io, errno_message("fdatasync", path_));
}

}  // namespace logship::watch
