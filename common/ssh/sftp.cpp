#include "ssh/sftp.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "ssh/channel.hpp"
#include "ssh/deadline.hpp"
#include "ssh/session.hpp"

namespace logship::ssh {

using sftp::Code;
using sftp::Reply;
using sftp::Type;

namespace {

FileAttrs to_file_attrs(const sftp::WireAttrs& a) {
  FileAttrs f;
  f.size = a.size.value_or(0);
  f.mtime = WallTime(std::chrono::seconds(a.mtime.value_or(0)));
  const std::uint32_t mode = a.permissions.value_or(0);
  f.mode = mode & 07777;
  switch (mode & S_IFMT) {
    case S_IFREG:
      f.type = FileType::regular;
      break;
    case S_IFDIR:
      f.type = FileType::directory;
      break;
    case S_IFLNK:
      f.type = FileType::symlink;
      break;
    default:
      f.type = FileType::other;
  }
  return f;
}

const char* type_name(FileType t) {
  switch (t) {
    case FileType::regular:
      return "a regular file";
    case FileType::directory:
      return "a directory";
    case FileType::symlink:
      return "a symbolic link";
    case FileType::other:
      break;
  }
  return "a special file";
}

}  // namespace

SftpSession::SftpSession(Session& session, std::unique_ptr<Channel> channel)
    : session_(session), endpoint_(session.options().endpoint()), channel_(std::move(channel)) {}

SftpSession::~SftpSession() = default;

Result<std::unique_ptr<SftpSession>> SftpSession::start(Session& session, Deadline deadline) {
  auto channel = session.start_subsystem("sftp");
  if (!channel) return channel.error();
  std::unique_ptr<SftpSession> s(new SftpSession(session, std::move(*channel)));
  if (auto st = s->send(sftp::encode_init(), deadline); !st) return st.error();
  auto reply = s->await(0, deadline);
  if (!reply) return reply.error();
  std::uint32_t version = 0;
  if (reply->type != Type::version || !sftp::parse_version(reply->body, version)) {
    return s->protocol_error("SFTP start: no VERSION reply");
  }
  if (version != 3) {
    return s->protocol_error("SFTP start: server speaks version " + std::to_string(version) +
                             ", not 3");
  }
  return s;
}

const Clock& SftpSession::clock() const {
  return session_.clock();
}

Error SftpSession::protocol_error(const std::string& what) const {
  return make_error(ErrorKind::protocol, what + " (" + endpoint_ + ")");
}

Result<void> SftpSession::send(const std::string& packet, Deadline deadline) {
  outbox_ += packet;  // after whatever was asked for before it
  return flush(deadline);
}

Result<Reply> SftpSession::await(std::uint32_t id, Deadline deadline) {
  if (auto st = flush(deadline); !st) return st.error();  // never wait for an unsent request
  inbox_.compact();  // (the previous reply's body is no longer used)
  if (auto it = early_.find(id); it != early_.end()) {
    current_ = std::move(it->second.body);
    const Reply r{it->second.type, id, current_};
    early_.erase(it);
    return r;
  }
  for (;;) {
    bool bad = false;
    while (auto reply = inbox_.next(bad)) {
      if (abandoned_.erase(reply->id) != 0) continue;
      if (reply->id == id) return *reply;  // a view into inbox_, kept until the next await()
      early_[reply->id] = Stored{reply->type, std::string(reply->body)};
    }
    if (bad) return protocol_error("malformed SFTP reply");
    inbox_.compact();
    if (channel_->at_eof()) {
      return make_error(
          ErrorKind::network,
          "SFTP server on " + endpoint_ + " ended" +
              (channel_->stderr_text().empty() ? std::string()
                                               : ": " + std::string(channel_->stderr_text())));
    }
    const auto now = session_.clock().now();
    const SteadyTime ends = session_.until(deadline);
    if (now >= ends) {
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
          deadline.is_live() ? deadline.idle : std::chrono::milliseconds(0));
      return make_error(ErrorKind::timeout,
                        "SFTP: no answer from " + endpoint_ +
                            (deadline.is_live() ? ", and nothing moved on the connection for " +
                                                      std::to_string(secs.count()) + " s"
                                                : " in time") +
                            ": the host or the network stalls");
    }
    // An interruption (Session::set_interrupt) ends the wait with an error; the requests in
    // flight are then forgotten by their Pending, and the session stays usable.
    auto n = channel_->read_some(inbox_.input(), deadline);
    if (!n) return n.error();
  }
}

Result<Reply> SftpSession::call(const std::string& packet, std::uint32_t id, Deadline deadline) {
  problem_ = FileProblem::none;
  if (auto st = send(packet, deadline); !st) return st.error();
  auto reply = await(id, deadline);
  if (!reply) forget(id);  // (a reply that comes after all is dropped)
  return reply;
}

Error SftpSession::status_error(const Reply& reply, const std::string& what) {
  Code code = Code::failure;
  std::string message;
  if (reply.type != Type::status || !sftp::parse_status(reply.body, code, message)) {
    problem_ = FileProblem::none;
    return protocol_error(what + ": unexpected SFTP reply type " +
                          std::to_string(static_cast<int>(reply.type)));
  }
  std::string why;
  switch (code) {
    case Code::no_such_file:
      problem_ = FileProblem::no_such_file;
      why = "no such file";
      break;
    case Code::permission_denied:
      problem_ = FileProblem::permission_denied;
      why = "permission denied";
      break;
    default:
      problem_ = FileProblem::other;
      why = message.empty()
                ? "failure (SFTP status " + std::to_string(static_cast<std::uint32_t>(code)) + ")"
                : message;
  }
  return make_error(ErrorKind::remote_refused, what + " on " + endpoint_ + ": " + why);
}

Result<FileAttrs> SftpSession::attrs_call(Type type, const std::string& arg,
                                          const std::string& what, Deadline deadline) {
  const std::uint32_t id = next_id();
  const std::string packet =
      type == Type::fstat ? sftp::encode_handle(type, id, arg) : sftp::encode_path(type, id, arg);
  auto reply = call(packet, id, deadline);
  if (!reply) return reply.error();
  if (reply->type != Type::attrs) return status_error(*reply, what);
  sftp::WireAttrs a;
  if (!sftp::parse_attrs(reply->body, a)) return protocol_error(what + ": malformed ATTRS");
  return to_file_attrs(a);
}

Result<FileAttrs> SftpSession::stat(const std::string& path, Deadline deadline) {
  return attrs_call(Type::stat, path, "stat " + path, deadline);
}

Result<FileAttrs> SftpSession::lstat(const std::string& path, Deadline deadline) {
  return attrs_call(Type::lstat, path, "lstat " + path, deadline);
}

Result<FileAttrs> SftpSession::fstat(const SftpFile& file, Deadline deadline) {
  return attrs_call(Type::fstat, file.handle, "fstat " + file.path, deadline);
}

Result<SftpFile> SftpSession::open(const std::string& path, std::uint32_t flags,
                                   Deadline deadline) {
  const std::uint32_t id = next_id();
  auto reply = call(sftp::encode_open(id, path, flags), id, deadline);
  if (!reply) return reply.error();
  if (reply->type != Type::handle) return status_error(*reply, "open " + path);
  SftpFile f{path, {}};
  if (!sftp::parse_string(reply->body, f.handle)) {
    return protocol_error("open " + path + ": malformed HANDLE");
  }
  return f;
}

Result<SftpFile> SftpSession::open_read(const std::string& path, Deadline deadline) {
  auto attrs = stat(path, deadline);
  if (!attrs) return attrs.error();
  if (attrs->type != FileType::regular) {
    problem_ = FileProblem::not_regular_file;
    return make_error(ErrorKind::remote_refused, "open " + path + " on " + endpoint_ + ": it is " +
                                                     type_name(attrs->type) +
                                                     ", not a regular file");
  }
  return open(path, sftp::kRead, deadline);
}

Result<void> SftpSession::close(SftpFile& file, Deadline deadline) {
  if (file.handle.empty()) return {};
  auto request = ask_close(file);
  return take_status(request, deadline);
}

Pending SftpSession::ask_close(SftpFile& file) {
  const std::uint32_t id = next_id();
  outbox_ += sftp::encode_handle(Type::close, id, file.handle);
  file.handle.clear();
  return Pending(this, id, 0, "close " + file.path);
}

Result<void> SftpSession::take_status(Pending& request, Deadline deadline) {
  auto reply = take(request, deadline);
  if (!reply) return reply.error();
  Code code = Code::failure;
  std::string message;
  if (reply->type == Type::status && sftp::parse_status(reply->body, code, message) &&
      code == Code::ok) {
    return {};
  }
  return status_error(*reply, request.what_);
}

Pending::Pending(Pending&& other) noexcept
    : session_(std::exchange(other.session_, nullptr)),
      id_(other.id_),
      length_(other.length_),
      what_(std::move(other.what_)) {}

Pending& Pending::operator=(Pending&& other) noexcept {
  if (this != &other) {
    drop();
    session_ = std::exchange(other.session_, nullptr);
    id_ = other.id_;
    length_ = other.length_;
    what_ = std::move(other.what_);
  }
  return *this;
}

Pending::~Pending() {
  drop();
}

void Pending::drop() {
  if (session_ != nullptr) session_->forget(id_);
  session_ = nullptr;
}

void SftpSession::forget(std::uint32_t id) {
  if (early_.erase(id) == 0) abandoned_.insert(id);
}

Pending SftpSession::ask_stat(const std::string& path) {
  const std::uint32_t id = next_id();
  outbox_ += sftp::encode_path(Type::stat, id, path);
  return Pending(this, id, 0, "stat " + path);
}

Pending SftpSession::ask_fstat(const SftpFile& file) {
  const std::uint32_t id = next_id();
  outbox_ += sftp::encode_handle(Type::fstat, id, file.handle);
  return Pending(this, id, 0, "fstat " + file.path);
}

Pending SftpSession::ask_read(const SftpFile& file, std::uint64_t offset, std::uint32_t length) {
  const std::uint32_t id = next_id();
  outbox_ += sftp::encode_read(id, file.handle, offset, length);
  return Pending(this, id, length, "read " + file.path);
}

Result<void> SftpSession::flush(Deadline deadline) {
  if (outbox_.empty()) return {};
  // (a failed write leaves the channel unusable: what was queued is void with it)
  const std::string out = std::exchange(outbox_, std::string());
  return channel_->write(out, deadline);
}

Result<Reply> SftpSession::take(Pending& request, Deadline deadline) {
  problem_ = FileProblem::none;
  if (request.session_ != this)
    return protocol_error(request.what_ + ": no such request pending (taken twice?)");
  auto reply = await(request.id_, deadline);
  if (reply) request.session_ = nullptr;  // taken; on failure drop() forgets it
  return reply;
}

Result<FileAttrs> SftpSession::take_attrs(Pending& request, Deadline deadline) {
  auto reply = take(request, deadline);
  if (!reply) return reply.error();
  if (reply->type != Type::attrs) return status_error(*reply, request.what_);
  sftp::WireAttrs a;
  if (!sftp::parse_attrs(reply->body, a))
    return protocol_error(request.what_ + ": malformed ATTRS");
  return to_file_attrs(a);
}

Result<std::optional<std::string_view>> SftpSession::take_data(Pending& request,
                                                               Deadline deadline) {
  auto reply = take(request, deadline);
  if (!reply) return reply.error();
  if (reply->type == Type::status) {
    Code code = Code::failure;
    std::string message;
    if (sftp::parse_status(reply->body, code, message) && code == Code::eof)
      return std::optional<std::string_view>();
    return status_error(*reply, request.what_);
  }
  std::string_view data;
  if (reply->type != Type::data || !sftp::parse_string(reply->body, data))
    return status_error(*reply, request.what_);
  if (data.size() > request.length_) {
    return protocol_error(request.what_ + ": the server sent " + std::to_string(data.size()) +
                          " bytes for a request of " + std::to_string(request.length_));
  }
  if (data.size() < request.length_) ++short_replies_;
  return std::optional<std::string_view>(data);
}

}  // namespace logship::ssh
