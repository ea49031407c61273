#include "follow/file_identity.hpp"

#include <algorithm>

namespace logship::follow {

FileIdentity identify(std::string_view head) {
  head = head.substr(0, std::min(head.size(), kFingerprintBytes));
  return FileIdentity{head.size(), crypto::sha256(head)};
}

bool same_start(const FileIdentity& id, std::string_view head) {
  if (head.size() < id.length) return false;
  return crypto::sha256(head.substr(0, id.length)) == id.digest;
}

FileIdentity grow(const FileIdentity& id, std::string_view head) {
  if (id.length >= kFingerprintBytes || head.size() <= id.length || !same_start(id, head))
    return id;
  return identify(head);
}

}  // namespace logship::follow
