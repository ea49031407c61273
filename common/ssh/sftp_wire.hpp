// The SFTP version 3 wire format (draft-ietf-secsh-filexfer-02), for the messages a reading
// client needs. Pure encoding and decoding: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logship::ssh::sftp {

enum class Type : std::uint8_t {
  init = 1,
  version = 2,
  open = 3,
  close = 4,
  read = 5,
  write = 6,
  lstat = 7,
  fstat = 8,
  stat = 17,
  status = 101,
  handle = 102,
  data = 103,
  name = 104,
  attrs = 105,
};

enum class Code : std::uint32_t {
  ok = 0,
  eof = 1,
  no_such_file = 2,
  permission_denied = 3,
  failure = 4,
  bad_message = 5,
  no_connection = 6,
  connection_lost = 7,
  op_unsupported = 8,
};

// SSH_FXF_* open flags.
enum OpenFlags : std::uint32_t { kRead = 1, kWrite = 2, kAppend = 4, kCreate = 8, kTruncate = 16 };

constexpr std::uint32_t kMaxPacket = 4 * 1024 * 1024;  // bytes; larger frames are refused

// File attributes as an ATTRS reply carries them; absent fields are nullopt. SftpSession turns
// them into FileAttrs, the one attribute type its callers see.
struct WireAttrs {
  std::optional<std::uint64_t> size;
  std::optional<std::uint32_t> uid, gid;
  std::optional<std::uint32_t> permissions;   // st_mode, file type bits included
  std::optional<std::uint32_t> atime, mtime;  // seconds since the epoch
};

// Requests, each a complete frame (length prefix included).
std::string encode_init();
std::string encode_open(std::uint32_t id, std::string_view path, std::uint32_t flags);
std::string encode_path(Type type, std::uint32_t id, std::string_view path);      // stat, lstat
std::string encode_handle(Type type, std::uint32_t id, std::string_view handle);  // close, fstat
std::string encode_read(std::uint32_t id, std::string_view handle, std::uint64_t offset,
                        std::uint32_t length);

// One reply: its type, request id (0 for VERSION) and the bytes after the id (a view into the
// buffer it was taken from).
struct Reply {
  Type type{};
  std::uint32_t id = 0;
  std::string_view body;
};

// Decodes the first complete frame at the front of `buffer` and sets `used` to its size (the
// caller skips that much). nullopt: need more bytes (`used` 0). Sets `bad` on a malformed or
// oversized frame.
std::optional<Reply> take_reply(std::string_view buffer, std::size_t& used, bool& bad);

// Readers of reply bodies; false when the body is malformed.
bool parse_status(std::string_view body, Code& code, std::string& message);
bool parse_string(std::string_view body, std::string& out);       // HANDLE and DATA
bool parse_string(std::string_view body, std::string_view& out);  // ... without a copy
bool parse_attrs(std::string_view body, WireAttrs& out);          // ATTRS
bool parse_version(std::string_view body, std::uint32_t& version);

}  // namespace logship::ssh::sftp
