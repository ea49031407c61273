#include "ssh/sftp.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "crypto/sha256.hpp"
#include "ssh/sftp_read.hpp"
#include "ssh_test_util.hpp"
#include "util/files.hpp"

namespace logship::ssh {
namespace {

class SftpTest : public SshdTest {
 protected:
  void SetUp() override {
    SshdTest::SetUp();
    sshd_.add_authorized_key(test::pull_key_options(), sshd_.client_key());
    session_ = connect(options_for(sshd_, sshd_.client_key()));
    ASSERT_TRUE(session_);
    auto sftp = SftpSession::start(*session_, in_seconds(10));
    ASSERT_TRUE(sftp) << sftp.error().message;
    sftp_ = std::move(*sftp);
  }
  std::string make_file(const std::string& name, const std::string& content) {
    const auto path = sshd_.dir() / name;
    EXPECT_TRUE(atomic_write_file(path, content, 0644));
    return path.string();
  }
  // Reads [offset, offset + max) of `path` through one handle.
  Result<std::string> read_range(const std::string& path, std::uint64_t offset, std::uint64_t max,
                                 bool* eof = nullptr) {
    auto f = sftp_->open_read(path, in_seconds(10));
    if (!f) return f.error();
    std::string out;
    auto r = read_pipelined(
        *sftp_, *f, offset, max,
        [&](std::string_view bytes) {
          out.append(bytes);
          return Result<void>{};
        },
        std::chrono::seconds(30), tuning_);
    if (!r) return r.error();
    EXPECT_EQ(r->bytes, out.size());
    if (eof != nullptr) *eof = r->eof;
    EXPECT_TRUE(sftp_->close(*f, in_seconds(10)));
    return out;
  }
  std::unique_ptr<Session> session_;
  std::unique_ptr<SftpSession> sftp_;
  ReadTuning tuning_;
};

constexpr std::uint64_t kAll = ~std::uint64_t{0};

TEST_F(SftpTest, LargeFileReadsBackIdentical) {
  const std::string content = random_bytes(20 * 1024 * 1024 + 12345);  // not a multiple of 64K
  const auto path = make_file("big.log", content);
  bool eof = false;
  auto got = read_range(path, 0, kAll, &eof);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(eof);
  EXPECT_LE(sftp_->short_replies(), 1u) << "only the last 64 KiB request may come back short";
  ASSERT_EQ(got->size(), content.size());
  EXPECT_EQ(crypto::to_hex(crypto::sha256(*got)), crypto::to_hex(crypto::sha256(content)));
}

TEST_F(SftpTest, ShortRepliesAreReRequestedWithoutHoles) {
  // OpenSSH's sftp-server answers at most 261,120 bytes per READ: ask for 512 KiB at a time.
  tuning_ = {512 * 1024, 4};
  const std::string content = random_bytes(5 * 1024 * 1024 + 999, 3);
  const auto path = make_file("short.log", content);
  auto got = read_range(path, 0, kAll);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(*got == content) << "sizes " << got->size() << " vs " << content.size();
  EXPECT_GT(sftp_->short_replies(), 0u) << "the server did not shorten any reply";
}

TEST_F(SftpTest, ReadsFromAnOffsetAndStopsAtMaxOrEof) {
  const std::string content = random_bytes(1024 * 1024 + 5, 5);
  const auto path = make_file("offset.log", content);
  bool eof = true;
  auto mid = read_range(path, 100'001, 300'000, &eof);
  ASSERT_TRUE(mid) << mid.error().message;
  EXPECT_TRUE(*mid == content.substr(100'001, 300'000));
  EXPECT_FALSE(eof);
  auto tail = read_range(path, 1'000'000, kAll, &eof);
  ASSERT_TRUE(tail) << tail.error().message;
  EXPECT_TRUE(*tail == content.substr(1'000'000));
  EXPECT_TRUE(eof);
  auto past = read_range(path, content.size(), kAll, &eof);
  ASSERT_TRUE(past) << past.error().message;
  EXPECT_TRUE(past->empty());
  EXPECT_TRUE(eof);
}

TEST_F(SftpTest, ManyFilesShareOneSession) {
  for (int i = 0; i < 20; ++i) {
    const std::string content = random_bytes(static_cast<std::size_t>(i) * 7919 + 1, i);
    const auto path = make_file("f" + std::to_string(i), content);
    auto got = read_range(path, 0, kAll);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_TRUE(*got == content) << i;
  }
}

TEST_F(SftpTest, StatReportsSizeTimeAndType) {
  const auto path = make_file("stat.log", "12345");
  std::filesystem::create_directory(sshd_.dir() / "subdir");
  std::filesystem::create_symlink(path, sshd_.dir() / "link");
  auto st = sftp_->stat(path, in_seconds(5));
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->size, 5u);
  EXPECT_EQ(st->type, FileType::regular);
  const auto age = std::chrono::system_clock::now() - st->mtime;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(1));
  auto dir = sftp_->stat((sshd_.dir() / "subdir").string(), in_seconds(5));
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->type, FileType::directory);
  auto link = sftp_->lstat((sshd_.dir() / "link").string(), in_seconds(5));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->type, FileType::symlink);
  auto target = sftp_->stat((sshd_.dir() / "link").string(), in_seconds(5));
  ASSERT_TRUE(target);
  EXPECT_EQ(target->type, FileType::regular);
  auto f = sftp_->open_read(path, in_seconds(5));
  ASSERT_TRUE(f);
  auto fst = sftp_->fstat(*f, in_seconds(5));
  ASSERT_TRUE(fst);
  EXPECT_EQ(fst->size, 5u);
  EXPECT_TRUE(sftp_->close(*f, in_seconds(5)));
}

TEST_F(SftpTest, FileProblemsAreTyped) {
  auto missing = sftp_->stat((sshd_.dir() / "missing").string(), in_seconds(5));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::remote_refused);
  EXPECT_EQ(sftp_->last_problem(), FileProblem::no_such_file);
  EXPECT_NE(missing.error().message.find("no such file"), std::string::npos);

  auto dir = sftp_->open_read(sshd_.dir().string(), in_seconds(5));
  ASSERT_FALSE(dir);
  EXPECT_EQ(sftp_->last_problem(), FileProblem::not_regular_file) << dir.error().message;

  // sftp-server -R (the pull key's forced command) refuses any open for writing.
  const auto path = make_file("ro.log", "x");
  auto w = sftp_->open(path, sftp::kWrite | sftp::kAppend, in_seconds(5));
  ASSERT_FALSE(w);
  EXPECT_EQ(sftp_->last_problem(), FileProblem::permission_denied) << w.error().message;
  EXPECT_EQ(*read_file(path), "x");

  if (::geteuid() != 0) {  // root reads anything
    const auto secret = make_file("secret.log", "s");
    std::filesystem::permissions(secret, std::filesystem::perms::none);
    auto denied = sftp_->open_read(secret, in_seconds(5));
    ASSERT_FALSE(denied);
    EXPECT_EQ(sftp_->last_problem(), FileProblem::permission_denied);
  }
  auto ok = sftp_->stat(path, in_seconds(5));  // the session still works
  ASSERT_TRUE(ok);
  EXPECT_EQ(sftp_->last_problem(), FileProblem::none);
}

// Requests asked for together go out in one write and their replies are taken in any order; a
// request dropped untaken does not disturb those after it.
TEST_F(SftpTest, PipelinedRequestsAreTakenInAnyOrder) {
  const std::string content = random_bytes(100'000, 11);
  const auto path = make_file("pipe.log", content);
  auto f = sftp_->open_read(path, in_seconds(10));
  ASSERT_TRUE(f) << f.error().message;
  auto stat = sftp_->ask_stat(path);
  auto fstat = sftp_->ask_fstat(*f);
  auto head = sftp_->ask_read(*f, 0, 1024);
  {
    auto dropped = sftp_->ask_read(*f, 0, 64 * 1024);  // never taken
  }
  auto tail = sftp_->ask_read(*f, 99'990, 64 * 1024);
  auto past = sftp_->ask_read(*f, 100'000, 10);
  auto missing = sftp_->ask_stat((sshd_.dir() / "missing").string());
  EXPECT_TRUE(tail && head);
  auto t = sftp_->take_data(tail, in_seconds(10));
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ(**t, content.substr(99'990));
  EXPECT_FALSE(tail);  // taken
  auto h = sftp_->take_data(head, in_seconds(10));
  ASSERT_TRUE(h && h->has_value());
  EXPECT_EQ(**h, content.substr(0, 1024));
  auto m = sftp_->take_attrs(missing, in_seconds(10));
  ASSERT_FALSE(m);
  EXPECT_EQ(sftp_->last_problem(), FileProblem::no_such_file);
  auto p = sftp_->take_data(past, in_seconds(10));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_FALSE(p->has_value()) << "a read at the end of the file is EOF";
  auto a = sftp_->take_attrs(fstat, in_seconds(10));
  auto b = sftp_->take_attrs(stat, in_seconds(10));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size, content.size());
  EXPECT_EQ(b->size, content.size());
  auto again = sftp_->take_attrs(stat, in_seconds(10));
  EXPECT_FALSE(again) << "a reply is taken once";
  EXPECT_TRUE(sftp_->close(*f, in_seconds(10)));
}

// Following a file: a read begun with one READ ends at a reply shorter than asked (the end of
// the file for now) without a second round trip; begun with more, a short reply followed by the
// end of the file is the end too. Nothing is skipped either way.
TEST_F(SftpTest, AFollowReadEndsAtTheShortReply) {
  const std::string content = random_bytes(1000, 13);
  const auto path = make_file("follow.log", content);
  auto f = sftp_->open_read(path, in_seconds(10));
  ASSERT_TRUE(f);
  std::string got;
  auto sink = [&](std::string_view b) {
    got.append(b);
    return Result<void>{};
  };
  SftpRead one(*sftp_, *f, 0, 1u << 20);
  one.start(1);
  auto r = one.run(sink, std::chrono::seconds(10));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->bytes, 1000u);
  EXPECT_TRUE(r->short_end);
  EXPECT_FALSE(r->eof);
  {
    auto out = std::ofstream(path, std::ios::app | std::ios::binary);
    out << std::string(70'000, 'x');  // more than one READ
  }
  SftpRead two(*sftp_, *f, 1000, 1u << 20);
  two.start(2);
  r = two.run(sink, std::chrono::seconds(10));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->bytes, 70'000u);
  EXPECT_TRUE(r->eof || r->short_end);
  EXPECT_TRUE(got == content + std::string(70'000, 'x'));
  EXPECT_TRUE(sftp_->close(*f, in_seconds(10)));
}

}  // namespace
}  // namespace logship::ssh
