#include "follow/classify.hpp"

namespace logship::follow {

namespace {

Change not_there(Kind k) {
  switch (k) {
    case Kind::missing:
      return Change::missing;
    case Kind::unreadable:
      return Change::unreadable;
    default:
      return Change::not_regular;
  }
}

Change by_size(std::uint64_t size, std::uint64_t offset) {
  return size > offset ? Change::grown : Change::unchanged;
}

}  // namespace

Change classify(const FileIdentity& id, std::uint64_t offset, const Probe& p) {
  if (!p.handle) {  // first look (start, reconnect): only the path and its first bytes
    if (p.path.kind != Kind::regular) return not_there(p.path.kind);
    if (!p.path_head) return Change::need_path_head;
    if (!same_start(id, *p.path_head)) return Change::replaced;
    if (p.path.size < offset) return Change::truncated;
    return by_size(p.path.size, offset);
  }

  // A file is held open: it is the file followed, whatever the path names now. Its own start
  // changed or it shrank: truncated (in place, or copytruncate).
  const Stat& h = *p.handle;
  if (h.size < offset || !p.handle_head || !same_start(id, *p.handle_head))
    return Change::truncated;
  if (p.path.kind != Kind::regular) return not_there(p.path.kind);

  // Does the path still name the held file? The handle was looked at after the path, and a file
  // that is not truncated only grows: if the held file is now smaller, the path names another.
  if (h.size < p.path.size) return Change::rotated;
  if (h.size == p.path.size && h.mtime == p.path.mtime && h.mode == p.path.mode)
    return by_size(h.size, offset);  // (if it is another file after all, it shows when one grows)
  // The held file is larger (or differs in time or mode): rotated, or appended to between the
  // two looks. The path's first bytes decide.
  if (!p.path_head) return Change::need_path_head;
  if (p.path.size < id.length || !same_start(id, *p.path_head)) return Change::rotated;
  return by_size(h.size, offset);
}

bool is_copy_of(const FileIdentity& id, std::uint64_t offset, const Stat& candidate,
                std::string_view head) {
  return candidate.kind == Kind::regular && candidate.size >= offset && same_start(id, head);
}

std::string_view to_string(Change c) {
  switch (c) {
    case Change::unchanged:
      return "unchanged";
    case Change::grown:
      return "grown";
    case Change::truncated:
      return "truncated";
    case Change::rotated:
      return "rotated";
    case Change::replaced:
      return "replaced";
    case Change::missing:
      return "missing";
    case Change::unreadable:
      return "unreadable";
    case Change::not_regular:
      return "not-regular";
    case Change::need_path_head:
      return "need-path-head";
  }
  return "?";
}

std::string_view to_string(Kind k) {
  switch (k) {
    case Kind::regular:
      return "regular file";
    case Kind::missing:
      return "missing";
    case Kind::unreadable:
      return "unreadable";
    case Kind::directory:
      return "a directory";
    case Kind::dangling_symlink:
      return "a dangling symbolic link";
    case Kind::special:
      return "a special file";
  }
  return "?";
}

}  // namespace logship::follow
