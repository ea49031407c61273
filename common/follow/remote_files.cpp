#include "follow/remote_files.hpp"

namespace logship::follow {

Stat to_stat(const ssh::FileAttrs& a) {
  Stat r;
  r.size = a.size;
  r.mtime = a.mtime;
  r.mode = a.mode;
  switch (a.type) {
    case ssh::FileType::regular:
      r.kind = Kind::regular;
      break;
    case ssh::FileType::directory:
      r.kind = Kind::directory;
      break;
    default:
      r.kind = Kind::special;
  }
  return r;
}

}  // namespace logship::follow
