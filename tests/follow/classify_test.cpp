// classify(): what happened to a followed file, from one poll's looks. Table-tested.
#include "follow/classify.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "follow/file_identity.hpp"

namespace logship::follow {
namespace {

const std::string kOld = "Nov 22 02:00:01 web1 sshd[1]: session opened for user alice\n";
const std::string kNew = "Nov 22 03:00:00 web1 sshd[2]: session opened for user bob\n";

Stat reg(std::uint64_t size, int mtime = 100, std::uint32_t mode = 0640) {
  return Stat{Kind::regular, size, WallTime(std::chrono::seconds(mtime)), mode};
}
Stat kind(Kind k) {
  return Stat{k, 0, {}, 0};
}

// A first look: the path and maybe its first bytes.
Probe first(Stat path, std::optional<std::string> head = std::nullopt) {
  Probe p;
  p.path = path;
  p.path_head = std::move(head);
  return p;
}
// A look with a file held open: its fstat and first bytes, maybe the path's first bytes.
Probe held(Stat path, Stat handle, std::string handle_head,
           std::optional<std::string> path_head = std::nullopt) {
  Probe p;
  p.path = path;
  p.handle = handle;
  p.handle_head = std::move(handle_head);
  p.path_head = std::move(path_head);
  return p;
}

struct Row {
  const char* what;
  std::string id_from;  // the identity is that of a file starting so
  std::uint64_t offset;
  Probe probe;
  Change want;
};

std::vector<Row> rows() {
  const std::uint64_t n = kOld.size();
  const std::string grown = kOld + "more\n";
  return {
      // First look (start, reconnect): the path and its first bytes only.
      {"path missing", kOld, n, first(kind(Kind::missing)), Change::missing},
      {"permission denied", kOld, n, first(kind(Kind::unreadable)), Change::unreadable},
      {"a directory now", kOld, n, first(kind(Kind::directory)), Change::not_regular},
      {"a dangling symlink", kOld, n, first(kind(Kind::dangling_symlink)), Change::not_regular},
      {"a FIFO", kOld, n, first(kind(Kind::special)), Change::not_regular},
      {"first bytes not read yet", kOld, n, first(reg(n)), Change::need_path_head},
      {"same file, same size", kOld, n, first(reg(n), kOld), Change::unchanged},
      {"same file, grown", kOld, n, first(reg(n + 5), grown), Change::grown},
      {"shorter than the identity", kOld, n, first(reg(10), kOld.substr(0, 10)),
       Change::replaced},  // the start cannot be compared: another file, or rewritten
      {"same start, shorter than offset", kOld.substr(0, 20), n, first(reg(30), kOld.substr(0, 30)),
       Change::truncated},
      {"other first bytes", kOld, n, first(reg(kNew.size()), kNew), Change::replaced},
      {"empty identity matches any start", "", 0, first(reg(4), "abc\n"), Change::grown},
      {"short identity grows", "Nov", 3, first(reg(n), kOld), Change::grown},

      // A file is held open; its fstat and first bytes were taken after the path's stat.
      {"held and path agree, nothing new", kOld, n, held(reg(n), reg(n), kOld), Change::unchanged},
      {"held and path agree, grown", kOld, n, held(reg(n + 5, 101), reg(n + 5, 101), grown),
       Change::grown},
      {"held file shorter than the offset", kOld, n, held(reg(5), reg(5), kOld.substr(0, 5)),
       Change::truncated},
      {"held file truncated and written past the offset", kOld, n,
       held(reg(2 * n, 101), reg(2 * n, 101), kNew + kNew), Change::truncated},
      {"path gone, held file read on", kOld, n, held(kind(Kind::missing), reg(n + 5), grown),
       Change::missing},
      {"path a directory, held file read on", kOld, n, held(kind(Kind::directory), reg(n), kOld),
       Change::not_regular},
      {"path larger than the held file: another file", kOld, n,
       held(reg(n + 100, 105), reg(n, 100), kOld), Change::rotated},
      {"held larger: appended between the looks, or rotated", kOld, n,
       held(reg(n, 100), reg(n + 5, 101), grown), Change::need_path_head},
      {"... the path starts as ours: appended", kOld, n,
       held(reg(n, 100), reg(n + 5, 101), grown, kOld), Change::grown},
      {"... the path starts otherwise: rotated", kOld, n,
       held(reg(kNew.size(), 100), reg(n + 5, 101), grown, kNew), Change::rotated},
      {"... the path is new and empty: rotated", kOld, n, held(reg(0, 103), reg(n, 100), kOld, ""),
       Change::rotated},
      {"same size, other mtime, path starts as ours", kOld, n,
       held(reg(n, 104), reg(n, 100), kOld, kOld), Change::unchanged},
      {"same size, other mode, path starts otherwise", kOld, n,
       held(reg(n, 100, 0600), reg(n, 100, 0640), kOld, kNew), Change::rotated},
      {"both empty, nothing known yet", "", 0, held(reg(0), reg(0), ""), Change::unchanged},
  };
}

TEST(Classify, Table) {
  for (const auto& r : rows()) {
    SCOPED_TRACE(r.what);
    EXPECT_EQ(to_string(classify(identify(r.id_from), r.offset, r.probe)), to_string(r.want));
  }
}

TEST(Classify, RotatedCopy) {
  const auto id = identify(kOld);
  const auto n = kOld.size();
  EXPECT_TRUE(is_copy_of(id, n, reg(n + 10), kOld + "0123456789"));
  EXPECT_TRUE(is_copy_of(id, n, reg(n), kOld));
  EXPECT_FALSE(is_copy_of(id, n, reg(n - 1), kOld.substr(0, n - 1)));  // shorter than the offset
  EXPECT_FALSE(is_copy_of(id, n, reg(kNew.size()), kNew));             // another file
  EXPECT_FALSE(is_copy_of(id, n, kind(Kind::directory), kOld));
}

TEST(Identity, CoversTheFirstKibAndGrowsWithTheFile) {
  const std::string big(3000, 'x');
  EXPECT_EQ(identify(big).length, kFingerprintBytes);
  EXPECT_EQ(identify(big), identify(big.substr(0, kFingerprintBytes) + "different tail"));
  const auto small = identify("abc");
  EXPECT_EQ(small.length, 3u);
  EXPECT_TRUE(same_start(small, "abcdef"));
  EXPECT_FALSE(same_start(small, "ab"));
  EXPECT_FALSE(same_start(small, "abd"));
  EXPECT_EQ(grow(small, "abcdef"), identify("abcdef"));
  EXPECT_EQ(grow(small, "xbcdef"), small);  // not the same start: unchanged
  EXPECT_EQ(grow(identify(big), big + "more"), identify(big));
}

}  // namespace
}  // namespace logship::follow
