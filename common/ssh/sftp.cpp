#include "ssh/sftp.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <limits>

#include "ssh/channel.hpp"
#include "ssh/deadline.hpp"
#include "ssh/session.hpp"

namespace logship::ssh {

using sftp::Code;
using sftp::Reply;
using sftp::Type;

namespace {

FileAttrs to_file_attrs(const sftp::Attrs& a) {
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
    : endpoint_(session.options().endpoint()), channel_(std::move(channel)) {}

SftpSession::~SftpSession() = default;

Result<std::unique_ptr<SftpSession>> SftpSession::start(Session& session, SteadyTime deadline) {
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

Error SftpSession::protocol_error(const std::string& what) const {
  return make_error(ErrorKind::protocol, what + " (" + endpoint_ + ")");
}

Status SftpSession::send(const std::string& packet, SteadyTime deadline) {
  return channel_->write(packet, deadline);
}

Result<Reply> SftpSession::await(std::uint32_t id, SteadyTime deadline) {
  compact_inbox();  // (the previous reply's body is no longer used)
  if (auto it = early_.find(id); it != early_.end()) {
    current_ = std::move(it->second.body);
    const Reply r{it->second.type, id, current_};
    early_.erase(it);
    return r;
  }
  for (;;) {
    bool bad = false;
    std::size_t used = 0;
    while (auto reply = sftp::take_reply(std::string_view(inbox_).substr(inbox_used_), used, bad)) {
      inbox_used_ += used;
      if (abandoned_.erase(reply->id) != 0) continue;
      if (reply->id == id) return *reply;  // a view into inbox_, kept until the next await()
      early_[reply->id] = Stored{reply->type, std::string(reply->body)};
    }
    if (bad) return protocol_error("malformed SFTP reply");
    compact_inbox();
    if (channel_->at_eof()) {
      return make_error(
          ErrorKind::network,
          "SFTP server on " + endpoint_ + " ended" +
              (channel_->stderr_text().empty() ? std::string()
                                               : ": " + std::string(channel_->stderr_text())));
    }
    if (expired(deadline)) {
      return make_error(ErrorKind::timeout, "SFTP: no answer from " + endpoint_ +
                                                " before the deadline; the vault or the "
                                                "network stalls");
    }
    SteadyTime wait_until = deadline;
    if (interrupt_) {
      const auto now = std::chrono::steady_clock::now();
      if (now - interrupt_checked_ >= kInterruptCheck) {
        interrupt_checked_ = now;
        if (interrupt_())
          return make_error(ErrorKind::timeout, "SFTP: waiting for " + endpoint_ + " interrupted");
      }
      wait_until = std::min(deadline, now + kInterruptCheck);
    }
    auto n = channel_->read_some(inbox_, wait_until);
    if (!n) return n.error();
  }
}

void SftpSession::compact_inbox() {
  // Replies are decoded where they lie; the bytes before inbox_used_ are dropped only now and
  // then, so each byte is moved at most about once (erasing every reply from the front moved
  // the whole backlog each time).
  if (inbox_used_ == inbox_.size()) {
    inbox_.clear();
    inbox_used_ = 0;
  } else if (inbox_used_ >= kCompactBytes && inbox_used_ >= inbox_.size() / 2) {
    inbox_.erase(0, inbox_used_);
    inbox_used_ = 0;
  }
}

Result<Reply> SftpSession::call(const std::string& packet, std::uint32_t id, SteadyTime deadline) {
  problem_ = FileProblem::none;
  if (auto st = send(packet, deadline); !st) return st.error();
  return await(id, deadline);
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
                                          const std::string& what, SteadyTime deadline) {
  const std::uint32_t id = next_id();
  const std::string packet =
      type == Type::fstat ? sftp::encode_handle(type, id, arg) : sftp::encode_path(type, id, arg);
  auto reply = call(packet, id, deadline);
  if (!reply) return reply.error();
  if (reply->type != Type::attrs) return status_error(*reply, what);
  sftp::Attrs a;
  if (!sftp::parse_attrs(reply->body, a)) return protocol_error(what + ": malformed ATTRS");
  return to_file_attrs(a);
}

Result<FileAttrs> SftpSession::stat(const std::string& path, SteadyTime deadline) {
  return attrs_call(Type::stat, path, "stat " + path, deadline);
}

Result<FileAttrs> SftpSession::lstat(const std::string& path, SteadyTime deadline) {
  return attrs_call(Type::lstat, path, "lstat " + path, deadline);
}

Result<FileAttrs> SftpSession::fstat(const SftpFile& file, SteadyTime deadline) {
  return attrs_call(Type::fstat, file.handle, "fstat " + file.path, deadline);
}

Result<SftpFile> SftpSession::open(const std::string& path, std::uint32_t flags,
                                   SteadyTime deadline) {
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

Result<SftpFile> SftpSession::open_read(const std::string& path, SteadyTime deadline) {
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

Status SftpSession::close(SftpFile& file, SteadyTime deadline) {
  if (file.handle.empty()) return {};
  const std::uint32_t id = next_id();
  auto reply = call(sftp::encode_handle(Type::close, id, file.handle), id, deadline);
  file.handle.clear();
  if (!reply) return reply.error();
  Code code = Code::failure;
  std::string message;
  if (reply->type == Type::status && sftp::parse_status(reply->body, code, message) &&
      code == Code::ok) {
    return {};
  }
  return status_error(*reply, "close " + file.path);
}

Result<ReadResult> SftpSession::read(const SftpFile& file, std::uint64_t offset,
                                     std::uint64_t max_bytes, const Sink& sink,
                                     SteadyTime deadline) {
  struct Request {
    std::uint32_t id;
    std::uint64_t offset;
    std::uint32_t length;
  };
  problem_ = FileProblem::none;
  const std::uint64_t end = max_bytes > std::numeric_limits<std::uint64_t>::max() - offset
                                ? std::numeric_limits<std::uint64_t>::max()
                                : offset + max_bytes;
  const std::uint32_t chunk = std::max<std::uint32_t>(1, tuning_.request_bytes);
  const unsigned depth = std::max(1u, tuning_.max_in_flight);
  std::deque<Request> in_flight;
  std::uint64_t next = offset;       // the next offset to ask for
  std::uint64_t delivered = offset;  // everything before it went to the sink
  const std::string what = "read " + file.path;

  // A request that comes before all those in flight (the rest of a short reply).
  auto request_first = [&](std::uint64_t at, std::uint32_t length) -> Status {
    const Request r{next_id(), at, length};
    if (auto st = send(sftp::encode_read(r.id, file.handle, at, length), deadline); !st) {
      return st;
    }
    in_flight.push_front(r);
    return {};
  };
  // Forget the requests still due: their replies are dropped when they arrive.
  auto drop_in_flight = [&] {
    for (const auto& r : in_flight) {
      if (early_.erase(r.id) == 0) abandoned_.insert(r.id);
    }
    in_flight.clear();
  };
  auto abandon = [&](Error e) -> Result<ReadResult> {
    drop_in_flight();
    return e;
  };

  // The pipeline is refilled a few requests at a time, in one channel write: one SSH packet and
  // one send() for all of them, instead of one each (a system call per 64 KiB read otherwise).
  const unsigned refill = std::max(1u, depth / 4);
  std::string batch;
  for (;;) {
    if (in_flight.size() + refill <= depth || in_flight.empty()) {
      batch.clear();
      while (in_flight.size() < depth && next < end) {
        const auto length = static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk, end - next));
        const Request r{next_id(), next, length};
        batch += sftp::encode_read(r.id, file.handle, next, length);
        in_flight.push_back(r);
        next += length;
      }
      if (!batch.empty()) {
        if (auto st = send(batch, deadline); !st) return abandon(st.error());
      }
    }
    if (in_flight.empty()) return ReadResult{delivered - offset, false};

    const Request head = in_flight.front();
    in_flight.pop_front();
    auto reply = await(head.id, deadline);
    if (!reply) return abandon(reply.error());
    if (head.offset != delivered) return abandon(protocol_error(what + ": request out of order"));

    if (reply->type == Type::status) {
      Code code = Code::failure;
      std::string message;
      if (sftp::parse_status(reply->body, code, message) && code == Code::eof) {
        drop_in_flight();  // later requests are past the end too
        return ReadResult{delivered - offset, true};
      }
      return abandon(status_error(*reply, what));
    }
    std::string_view data;
    if (reply->type != Type::data || !sftp::parse_string(reply->body, data)) {
      return abandon(status_error(*reply, what));
    }
    if (data.size() > head.length) {
      return abandon(protocol_error(what + ": the server sent more bytes than asked for"));
    }
    if (data.empty()) {  // not allowed by the protocol; treat like EOF rather than loop
      drop_in_flight();
      return ReadResult{delivered - offset, true};
    }
    if (auto st = sink(data); !st) return abandon(st.error());
    delivered += data.size();
    if (data.size() < head.length) {
      // A short reply: ask for the rest at its exact offset before anything later is used.
      const auto rest = static_cast<std::uint32_t>(head.length - data.size());
      ++short_replies_;
      if (auto st = request_first(delivered, rest); !st) return abandon(st.error());
    }
  }
}

}  // namespace logship::ssh
