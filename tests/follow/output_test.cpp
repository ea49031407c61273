// The local outputs and their crash recovery: raw is cut back to the checkpoint; framed rolls
// forward whole batches written after it and resends a torn one byte-identical.
#include "follow/output.hpp"
#include "vault/hashing.hpp"

#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include <fcntl.h>
#include <unistd.h>

#include "support/temp_dir.hpp"
#include "support/test_files.hpp"
#include "vault/extract.hpp"
#include "vault/verifier.hpp"

namespace logship::follow {
namespace {

namespace fs = std::filesystem;

const crypto::Digest kKey = [] {
  crypto::Digest k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  return k;
}();

// A stream as logship-pull starts one: K_0 from the genesis key kKey at position 0 (a
// verifier with kKey derives it from the begin lines' genesis=0).
Result<vault::SealState> start_stream() {
  return vault::SealState::initial(vault::stream_key(kKey, 0, "web1", "/var/log/auth.log"), 0);
}

struct Verified {
  std::string extracted;
  std::vector<vault::Finding> findings, infos;
  std::string dump() const {
    std::string s;
    for (const auto& f : findings) s += vault::format_finding(f) + "\n";
    for (const auto& f : infos) s += vault::format_finding(f) + "\n";
    return s;
  }
};

Verified verify(const fs::path& file) {
  Verified v;
  vault::StringSink sink;
  vault::VerifyOptions o;
  o.key = kKey;
  vault::Verifier verifier(
      o,
      [&](const vault::Finding& f) {
        (vault::is_info(f.kind) ? v.infos : v.findings).push_back(f);
      },
      &sink);
  EXPECT_TRUE(verifier.add_file(file));
  EXPECT_TRUE(verifier.finish());
  v.extracted = sink.out;
  return v;
}

class OutputTest : public ::testing::Test {
 protected:
  std::unique_ptr<Output> open(Format format, const std::string& source = "web1") {
    OutputOptions o;
    o.path = file();
    o.format = format;
    o.source = source;
    o.stream = "/var/log/auth.log";
    o.max_batch = 64;  // small batches: several per append
    o.start_stream = start_stream;
    auto out = Output::open(o, clock_);
    EXPECT_TRUE(out) << out.error().message;
    return out ? std::move(*out) : nullptr;
  }
  // What a follower saves: the output's resumable position.
  Checkpoint checkpoint(const Output& out) const {
    return Checkpoint{kGen, identify("x"), out.resumable_offset(), out.size(), out.seal_record()};
  }
  fs::path file() const { return dir_.path() / "copy" / "auth.log"; }

  static constexpr std::uint64_t kGen = 0x1234;
  test::TempDir dir_;
  ManualClock clock_;
};

TEST_F(OutputTest, RawIsCutBackToTheCheckpoint) {
  auto out = open(Format::raw);
  std::vector<std::string> notes;
  auto c = out->recover(std::nullopt, notes);
  ASSERT_TRUE(c);
  ASSERT_TRUE(out->set_origin({"/var/log/auth.log", kGen, 0}));
  ASSERT_TRUE(out->append("one\ntwo\n"));
  const auto saved = checkpoint(*out);
  EXPECT_EQ(saved.offset, 8u);
  ASSERT_TRUE(out->append("three\nfou"));  // written, never checkpointed: then a crash
  out.reset();

  out = open(Format::raw);
  auto r = out->recover(saved, notes);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->offset, 8u);
  EXPECT_EQ(test::slurp(file()), "one\ntwo\n");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("cut"), std::string::npos);
  ASSERT_TRUE(out->set_origin({"/var/log/auth.log", kGen, r->offset}));
  ASSERT_TRUE(out->append("three\nfour\n"));
  EXPECT_EQ(test::slurp(file()), "one\ntwo\nthree\nfour\n");
}

TEST_F(OutputTest, RawRefusesAnAppendOnlyFile) {
  { open(Format::raw); }
  const int fd = ::open(file().c_str(), O_RDONLY);
  int flags = 0;
  ASSERT_EQ(::ioctl(fd, FS_IOC_GETFLAGS, &flags), 0);
  flags |= FS_APPEND_FL;
  if (::ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0) {
    ::close(fd);
    GTEST_SKIP() << "cannot set the append-only attribute here (needs CAP_LINUX_IMMUTABLE)";
  }
  OutputOptions o;
  o.path = file();
  o.format = Format::raw;
  auto out = Output::open(o, clock_);
  EXPECT_FALSE(out);
  if (!out) {
    EXPECT_EQ(out.error().kind, ErrorKind::config);
    EXPECT_NE(out.error().message.find("--format framed"), std::string::npos);
  }
  o.format = Format::framed;  // framed never cuts: fine
  o.source = "web1";
  o.stream = "s";
  EXPECT_TRUE(Output::open(o, clock_));
  flags &= ~FS_APPEND_FL;
  ::ioctl(fd, FS_IOC_SETFLAGS, &flags);
  ::close(fd);
}

TEST_F(OutputTest, FramedRollsForwardBatchesWrittenAfterTheCheckpoint) {
  auto out = open(Format::framed);
  std::vector<std::string> notes;
  ASSERT_TRUE(out->recover(std::nullopt, notes));
  ASSERT_TRUE(out->set_origin({"/var/log/auth.log", kGen, 0}));
  ASSERT_TRUE(out->append("one\ntwo\n"));
  ASSERT_TRUE(out->flush());
  const auto saved = checkpoint(*out);
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(out->append("three\nfour is a longer line, longer than a batch of 64 bytes\nfi"));
  ASSERT_TRUE(out->flush());
  const auto pending = out->pending();
  EXPECT_EQ(pending, 2u);  // "fi" waits for its '\n'
  const auto offset = out->resumable_offset();
  out.reset();  // crash: the batches after `saved` are in the file, the checkpoint is older

  out = open(Format::framed);
  auto r = out->recover(saved, notes);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->offset, offset);
  EXPECT_NE(r->seal, saved.seal);  // the seal state moved on with the batches
  ASSERT_TRUE(out->set_origin({"/var/log/auth.log", kGen, r->offset}));
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(out->append("five\n"));
  ASSERT_TRUE(out->flush());
  const auto v = verify(file());
  EXPECT_TRUE(v.findings.empty()) << v.dump();
  EXPECT_EQ(v.extracted,
            "one\ntwo\nthree\nfour is a longer line, longer than a batch of 64 bytes\nfive\n");
}

TEST_F(OutputTest, FramedResendsATornBatchIdentically) {
  auto out = open(Format::framed);
  std::vector<std::string> notes;
  ASSERT_TRUE(out->recover(std::nullopt, notes));
  ASSERT_TRUE(out->set_origin({"/var/log/auth.log", kGen, 0}));
  ASSERT_TRUE(out->append("one\n"));
  const auto saved = checkpoint(*out);
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(out->append("two\nthree\n"));
  const auto full = out->size();
  out.reset();
  // Cut in the last batch's end line: its begin line and "three" are in the torn copy, so the
  // resend must repeat them byte for byte (the begin line's time included).
  fs::resize_file(file(), full - 10);

  clock_.advance(std::chrono::seconds(5));  // the resend keeps the torn copy's time
  out = open(Format::framed);
  notes.clear();
  auto r = out->recover(saved, notes);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->offset, 8u);  // "two" (a batch of its own) was complete: rolled forward
  ASSERT_TRUE(out->set_origin({"/var/log/auth.log", kGen, r->offset}));
  const std::string remote = "one\ntwo\nthree\nfour\n";  // read again, and more meanwhile
  ASSERT_TRUE(out->append(remote.substr(r->offset)));
  ASSERT_TRUE(out->flush());
  const auto v = verify(file());
  EXPECT_TRUE(v.findings.empty()) << v.dump();
  ASSERT_EQ(v.infos.size(), 1u) << v.dump();
  EXPECT_EQ(v.infos[0].kind, vault::FindingKind::interrupted_transfer);
  EXPECT_EQ(v.extracted, "one\ntwo\nthree\nfour\n");
}

// A stream's key is bound to its source and path: continuing it under another --source would
// seal batches that no key verifies, so the restart refuses, naming the fix.
TEST_F(OutputTest, FramedRefusesToContinueAStreamUnderAnotherSource) {
  auto out = open(Format::framed);
  std::vector<std::string> notes;
  ASSERT_TRUE(out->recover(std::nullopt, notes));
  ASSERT_TRUE(out->set_origin({"/var/log/auth.log", kGen, 0}));
  ASSERT_TRUE(out->append("one\n"));
  ASSERT_TRUE(out->flush());
  const auto saved = checkpoint(*out);
  out.reset();
  out = open(Format::framed, "web2");
  auto r = out->recover(saved, notes);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::config);
  EXPECT_NE(r.error().message.find("another --source"), std::string::npos) << r.error().message;
  out = open(Format::framed);
  EXPECT_TRUE(out->recover(saved, notes));
}

TEST_F(OutputTest, FramedTornBatchNotResentIsExtractedOnce) {
  // The torn batch cannot be completed identically (here: the file was rotated meanwhile and
  // the rest comes from a copy, file= differs): a finding, but --extract has no repeat.
  auto out = open(Format::framed);
  std::vector<std::string> notes;
  ASSERT_TRUE(out->recover(std::nullopt, notes));
  ASSERT_TRUE(out->set_origin({"/var/log/auth.log", kGen, 0}));
  ASSERT_TRUE(out->append("one\n"));
  const auto saved = checkpoint(*out);
  ASSERT_TRUE(out->append("two\nthree\n"));
  const auto full = out->size();
  out.reset();
  fs::resize_file(file(), full - 10);

  out = open(Format::framed);
  auto r = out->recover(saved, notes);
  ASSERT_TRUE(r);
  ASSERT_TRUE(out->set_origin({"/var/log/auth.log.1", kGen, r->offset}));
  const std::string remote = "one\ntwo\nthree\nlast\n";
  ASSERT_TRUE(out->append(remote.substr(r->offset)));
  ASSERT_TRUE(out->flush());
  const auto v = verify(file());
  EXPECT_EQ(v.extracted, "one\ntwo\nthree\nlast\n") << v.dump();
  EXPECT_FALSE(v.findings.empty());
}

TEST_F(OutputTest, FramedMarksAndFragments) {
  auto out = open(Format::framed);
  std::vector<std::string> notes;
  ASSERT_TRUE(out->recover(std::nullopt, notes));
  ASSERT_TRUE(out->set_origin({"/var/log/auth.log", kGen, 0}));
  ASSERT_TRUE(out->mark({{"event", "started"}}));
  ASSERT_TRUE(out->append("@logship looks like a control line\nno newline"));
  ASSERT_TRUE(out->finish());  // the incomplete line becomes a fragment
  EXPECT_EQ(out->pending(), 0u);
  EXPECT_EQ(out->resumable_offset(), 45u);
  const auto text = test::slurp(file());
  EXPECT_NE(text.find("file=/var/log/auth.log fid=0000000000001234 off=0 event=started"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("@logship part no newline\n"), std::string::npos) << text;
  const auto v = verify(file());
  EXPECT_TRUE(v.findings.empty()) << v.dump();
  EXPECT_EQ(v.extracted, "@logship looks like a control line\nno newline");
}

TEST_F(OutputTest, FramedCutsEachBatchAfterTheLineThatFillsIt) {
  // Lines are added a run at a time (two hashed at once); each batch still ends with the line
  // that brought it to max_batch, as adding them one by one does, whatever the pieces' sizes.
  OutputOptions o;
  o.path = file();
  o.source = "web1";
  o.stream = "/var/log/auth.log";
  o.max_line = 50;  // some lines become fragments
  o.max_batch = 300;
  o.start_stream = start_stream;
  auto out = Output::open(o, clock_);
  ASSERT_TRUE(out);
  std::vector<std::string> notes;
  ASSERT_TRUE((*out)->recover(std::nullopt, notes));
  ASSERT_TRUE((*out)->set_origin({"/var/log/auth.log", kGen, 0}));
  std::string text;
  for (int i = 0; i < 400; ++i) {
    if (i % 13 == 0) text += "@logship begin looks like a control line ";
    text +=
        "line " + std::to_string(i) + " " + std::string(static_cast<std::size_t>(i * 7 % 90), 'x');
    text += '\n';
  }
  for (std::size_t at = 0, n = 1; at < text.size(); at += n, n = n * 5 % 997 + 1)
    ASSERT_TRUE((*out)->append(std::string_view(text).substr(at, std::min(n, text.size() - at))));
  ASSERT_TRUE((*out)->finish());
  EXPECT_EQ((*out)->resumable_offset(), text.size());

  const auto copy = test::slurp(file());
  std::size_t batches = 0, pos = 0;
  while (pos < copy.size()) {
    ASSERT_TRUE(std::string_view(copy).substr(pos).starts_with("@logship begin ")) << pos;
    const auto end = copy.find("\n@logship end ", pos);
    ASSERT_NE(end, std::string::npos);
    const auto last = copy.rfind('\n', end - 1);  // the batch's last payload line starts after it
    const auto before = last + 1 - pos, with = end + 1 - pos;  // bytes without / with it
    EXPECT_GE(with, o.max_batch) << "batch " << batches << " was cut early";
    EXPECT_LT(before, o.max_batch) << "batch " << batches << " was cut late";
    pos = copy.find('\n', end + 1) + 1;
    ++batches;
    if (pos + 1000 > copy.size()) break;  // the last batches: sealed by finish(), short
  }
  EXPECT_GT(batches, 10u);
  const auto v = verify(file());
  EXPECT_TRUE(v.findings.empty()) << v.dump();
  EXPECT_EQ(v.extracted, text);
}

}  // namespace
}  // namespace logship::follow
