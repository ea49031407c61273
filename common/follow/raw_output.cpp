#include "follow/raw_output.hpp"

#include <unistd.h>

namespace logship::follow {

Result<Checkpoint> RawOutput::recover(const std::optional<Checkpoint>& c,
                                      std::vector<std::string>& notes) {
  if (auto st = refresh(); !st) return st.error();
  if (!c) {
    if (size_ > 0)
      notes.push_back(path().string() + " already holds " + std::to_string(size_) +
                      " bytes and no checkpoint names it; appending after them");
    Checkpoint fresh;
    fresh.local_size = size_;
    return fresh;
  }
  if (!c->seal.empty())
    return make_error(ErrorKind::config, "the checkpoint of " + path().string() +
                                             " was written in framed format; give another output "
                                             "file (or state directory) for raw output");
  Checkpoint r = *c;
  if (size_ > c->local_size) {
    if (::ftruncate(fd_.get(), static_cast<off_t>(c->local_size)) != 0)
      return make_error(ErrorKind::io, errno_message("truncate", path()));
    notes.push_back("cut " + path().string() + " back by " + std::to_string(size_ - c->local_size) +
                    " bytes written after the last checkpoint; they are read again");
    size_ = c->local_size;
  } else if (size_ < c->local_size) {
    notes.push_back(path().string() + " is " + std::to_string(c->local_size - size_) +
                    " bytes shorter than its checkpoint says: it was cut or replaced by "
                    "someone else; those bytes are missing from the copy");
    r.local_size = size_;
  }
  return r;
}

Result<void> RawOutput::append(std::string_view bytes) {
  if (auto st = write(bytes); !st) return st;
  origin_.offset += bytes.size();
  return {};
}

}  // namespace logship::follow
