#include "fake_remote_files.hpp"

#include <algorithm>

namespace logship::test {

namespace {

using follow::FileProblem;
using follow::RemoteError;
using follow::RemoteResult;

RemoteError file_error(FileProblem problem, const std::string& what) {
  return RemoteError{make_error(ErrorKind::remote_refused, what), problem};
}

struct Answer final : follow::RemoteFiles::Asked::Answer {
  std::optional<RemoteResult<ssh::FileAttrs>> attrs;
  std::optional<RemoteResult<std::string>> bytes;
};

template <class T>
follow::RemoteFiles::Asked asked(RemoteResult<T> r, std::optional<RemoteResult<T>> Answer::*slot) {
  auto a = std::make_unique<Answer>();
  (*a).*slot = std::move(r);
  return follow::RemoteFiles::Asked(std::move(a));
}

Answer* answer_of(std::unique_ptr<follow::RemoteFiles::Asked::Answer>& a) {
  return static_cast<Answer*>(a.get());
}

ssh::FileAttrs attrs_of(const FakeRemoteFiles::Inode& inode) {
  ssh::FileAttrs a;
  a.size = inode.data.size();
  a.mtime = inode.mtime;
  a.type = inode.type;
  a.mode = 0644;
  return a;
}

class FakeRead final : public follow::RemoteRead {
 public:
  FakeRead(FakeRemoteFiles& files, ssh::SftpFile file, std::uint64_t offset,
           std::uint64_t max_bytes, ssh::ReadTuning tuning)
      : files_(files), file_(std::move(file)), offset_(offset), max_(max_bytes), tuning_(tuning) {}
  void start(unsigned /*requests*/) override {}
  RemoteResult<ssh::ReadResult> run(const ssh::Sink& sink) override {
    ssh::ReadResult r;
    while (r.bytes < max_) {
      const auto want = std::min<std::uint64_t>(tuning_.request_bytes, max_ - r.bytes);
      auto b = files_.bytes(file_, offset_ + r.bytes, want);
      if (!b) return b.error();
      if (b->empty()) {
        r.eof = true;
        break;
      }
      if (auto st = sink(*b); !st) return st.error();
      r.bytes += b->size();
    }
    return r;
  }

 private:
  FakeRemoteFiles& files_;
  ssh::SftpFile file_;
  std::uint64_t offset_, max_;
  ssh::ReadTuning tuning_;
};

}  // namespace

void FakeRemoteFiles::touch(Inode& inode) {
  inode.mtime = WallTime(std::chrono::seconds(++seconds_));
}

void FakeRemoteFiles::append(const std::string& path, const std::string& bytes) {
  dangling_.erase(path);
  auto& inode = paths_[path];
  if (!inode) inode = std::make_shared<Inode>();
  inode->data += bytes;
  touch(*inode);
}

void FakeRemoteFiles::rename(const std::string& from, const std::string& to) {
  paths_[to] = paths_.at(from);
  paths_.erase(from);
}

void FakeRemoteFiles::copy(const std::string& from, const std::string& to) {
  paths_[to] = std::make_shared<Inode>(*paths_.at(from));
}

void FakeRemoteFiles::remove(const std::string& path) {
  paths_.erase(path);
  dangling_.erase(path);
}

void FakeRemoteFiles::truncate(const std::string& path) {
  auto& inode = *paths_.at(path);
  inode.data.clear();
  touch(inode);
}

void FakeRemoteFiles::make_directory(const std::string& path) {
  remove(path);
  auto& inode = paths_[path];
  inode = std::make_shared<Inode>();
  inode->type = ssh::FileType::directory;
  touch(*inode);
}

void FakeRemoteFiles::make_dangling_symlink(const std::string& path) {
  remove(path);
  dangling_.insert(path);
}

void FakeRemoteFiles::deny(const std::string& path, bool denied) {
  if (denied)
    denied_.insert(path);
  else
    denied_.erase(path);
}

RemoteResult<std::shared_ptr<FakeRemoteFiles::Inode>> FakeRemoteFiles::lookup(
    const std::string& path) const {
  if (denied_.count(path)) return file_error(FileProblem::permission_denied, path + ": denied");
  auto it = paths_.find(path);
  if (it == paths_.end()) return file_error(FileProblem::no_such_file, path + ": no such file");
  return it->second;
}

RemoteResult<ssh::FileAttrs> FakeRemoteFiles::stat(const std::string& path) {
  auto inode = lookup(path);
  if (!inode) return inode.error();
  return attrs_of(**inode);
}

RemoteResult<ssh::FileAttrs> FakeRemoteFiles::lstat(const std::string& path) {
  if (!dangling_.count(path)) return stat(path);
  ssh::FileAttrs a;
  a.type = ssh::FileType::symlink;
  return a;
}

RemoteResult<ssh::SftpFile> FakeRemoteFiles::open(const std::string& path) {
  auto inode = lookup(path);
  if (!inode) return inode.error();
  if ((*inode)->type != ssh::FileType::regular)
    return file_error(FileProblem::not_regular_file, path + ": not a regular file");
  ssh::SftpFile f{path, std::to_string(++next_handle_)};
  handles_[f.handle] = *inode;
  return f;
}

Result<void> FakeRemoteFiles::close(ssh::SftpFile& file, std::optional<SteadyTime> /*deadline*/) {
  handles_.erase(file.handle);
  file.handle.clear();
  return {};
}

RemoteResult<std::string> FakeRemoteFiles::bytes(const ssh::SftpFile& file, std::uint64_t offset,
                                                 std::uint64_t length) {
  if (failing_read_) {
    const auto problem = *failing_read_;
    failing_read_.reset();
    if (problem == FileProblem::none)
      return RemoteError{make_error(ErrorKind::network, "the link broke")};
    return file_error(problem, file.path + ": read refused");
  }
  auto it = handles_.find(file.handle);
  if (it == handles_.end()) return make_error(ErrorKind::protocol, "no such handle");
  const auto& data = it->second->data;
  if (offset >= data.size()) return std::string();
  return data.substr(offset, length);
}

follow::RemoteFiles::Asked FakeRemoteFiles::ask_stat(const std::string& path) {
  return asked(stat(path), &Answer::attrs);
}

follow::RemoteFiles::Asked FakeRemoteFiles::ask_fstat(const ssh::SftpFile& file) {
  auto it = handles_.find(file.handle);
  if (it == handles_.end())
    return asked<ssh::FileAttrs>(make_error(ErrorKind::protocol, "no such handle"), &Answer::attrs);
  return asked<ssh::FileAttrs>(attrs_of(*it->second), &Answer::attrs);
}

follow::RemoteFiles::Asked FakeRemoteFiles::ask_read(const ssh::SftpFile& file,
                                                     std::uint64_t offset, std::uint32_t length) {
  return asked(bytes(file, offset, length), &Answer::bytes);
}

follow::RemoteFiles::Asked FakeRemoteFiles::ask_close(ssh::SftpFile& file) {
  (void)close(file, std::nullopt);
  return asked<std::string>(std::string(), &Answer::bytes);
}

RemoteResult<ssh::FileAttrs> FakeRemoteFiles::take_attrs(Asked& a) {
  auto answer = a.take();
  if (!answer || !answer_of(answer)->attrs) return make_error(ErrorKind::protocol, "not asked");
  return std::move(*answer_of(answer)->attrs);
}

RemoteResult<std::string> FakeRemoteFiles::take_bytes(Asked& a) {
  auto answer = a.take();
  if (!answer || !answer_of(answer)->bytes) return make_error(ErrorKind::protocol, "not asked");
  return std::move(*answer_of(answer)->bytes);
}

Result<void> FakeRemoteFiles::take_closed(Asked& a, SteadyTime /*deadline*/) {
  auto answer = a.take();
  if (!answer) return make_error(ErrorKind::protocol, "not asked");
  return {};
}

std::unique_ptr<follow::RemoteRead> FakeRemoteFiles::read(const ssh::SftpFile& file,
                                                          std::uint64_t offset,
                                                          std::uint64_t max_bytes,
                                                          ssh::ReadTuning tuning) {
  return std::make_unique<FakeRead>(*this, file, offset, max_bytes, tuning);
}

}  // namespace logship::test
