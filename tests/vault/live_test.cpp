// Verifying a file as it grows (logship-verify --follow): whatever the pieces the bytes arrive
// in, and wherever a verifier is stopped and resumed from its saved state, the findings and
// the extracted payload are those of verifying the whole file at once.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "vault/verifier.hpp"
#include "vault_fixture.hpp"

namespace logship::vault {
namespace {

using testing::at;
using testing::lines;

// Finding keys without the file (its name differs between the two runs): line and kind. Lines
// outside any batch are reported as they are read when the file grows, so a run of them may
// be reported in pieces: those are compared by kind only, once.
std::vector<std::string> keys(const std::vector<Finding>& list) {
  std::vector<std::string> out;
  for (const auto& f : list) {
    if (f.kind == FindingKind::stray_line) {
      if (std::find(out.begin(), out.end(), "stray-line") == out.end()) out.push_back("stray-line");
      continue;
    }
    out.push_back(std::to_string(f.line) + " " + std::string(to_string(f.kind)));
  }
  return out;
}

struct LiveRun {
  std::vector<Finding> findings, infos;
  std::string extracted;
  std::size_t resumes = 0;
};

// Grows a file by `steps` (byte counts) and reads it live after each step; at every settled
// point with probability `resume_p` saves the state, drops the verifier and resumes a new one
// (the extract sink keeps what was written before the save, as --emit's journal does).
LiveRun live(const std::string& bytes, std::mt19937& rng, double resume_p,
             const VerifyOptions& opt = testing::keyed()) {
  testing::TempDir dir;
  const auto path = dir.path() / "live.vault";
  UniqueFd w(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  LiveRun out;
  StringSink sink;
  auto report = [&](const Finding& f) {
    (is_info(f.kind) ? out.infos : out.findings).push_back(f);
  };
  auto open_live = [&] { return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)); };
  auto v = std::make_unique<Verifier>(opt, report, &sink);
  EXPECT_TRUE(v->add_live(open_live(), path.string()));
  std::string saved;
  std::size_t saved_sink = 0, saved_findings = 0, saved_infos = 0;
  bool want_resume = false;
  auto arm = [&] {
    v->on_settled([&] {
      saved = v->state();
      saved_sink = sink.out.size();
      saved_findings = out.findings.size();
      saved_infos = out.infos.size();
      if (std::bernoulli_distribution(resume_p)(rng)) want_resume = true;
    });
  };
  arm();
  std::size_t written = 0;
  std::uniform_int_distribution<std::size_t> step(1, 200);
  while (written < bytes.size()) {
    const auto n = std::min(bytes.size() - written, step(rng));
    EXPECT_EQ(::write(w.get(), bytes.data() + written, n), static_cast<ssize_t>(n));
    written += n;
    auto rd = v->read_live();
    EXPECT_TRUE(rd) << (rd ? "" : rd.error().message);
    if (want_resume) {  // a crash after the last save: what followed it is done again
      want_resume = false;
      sink.out.resize(saved_sink);
      out.findings.resize(saved_findings);
      out.infos.resize(saved_infos);
      v.reset();
      auto r = Verifier::resume(opt, report, &sink, saved, open_live(), path.string());
      EXPECT_TRUE(r) << (r ? "" : r.error().message);
      if (!r) return out;
      v = std::move(*r);
      arm();
      ++out.resumes;
      EXPECT_TRUE(v->read_live());
    }
  }
  EXPECT_TRUE(v->end_live());
  EXPECT_TRUE(v->finish());
  out.extracted = sink.out;
  return out;
}

// Returns the whole-file outcome.
testing::Outcome expect_same_as_whole(const std::string& bytes, std::uint32_t seed,
                                      double resume_p = 0.3) {
  auto whole = testing::verify({bytes});
  std::mt19937 rng(seed);
  const auto grown = live(bytes, rng, resume_p);
  EXPECT_EQ(keys(grown.findings), keys(whole.findings)) << whole.dump();
  EXPECT_EQ(keys(grown.infos), keys(whole.infos)) << whole.dump();
  EXPECT_EQ(grown.extracted, whole.extracted);
  return whole;
}

std::string batches(testing::Sender& s, int n, int first_time = 0) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out +=
        s.next(lines({"line " + std::to_string(i) + " a", "@logship escaped " + std::to_string(i),
                      "", std::string(300 + i * 7, 'x')}),
               at(first_time + i));
  return out;
}

TEST(Live, AGrowingCleanFileVerifiesAsTheWholeFileWithResumes) {
  testing::Sender s;
  const auto bytes = batches(s, 40);
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    expect_same_as_whole(bytes, seed);
  }
  std::mt19937 rng(7);
  const auto r = live(bytes, rng, 0.5);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_GT(r.resumes, 3u);
}

TEST(Live, FindingsAreTheSameAsInTheWholeFile) {
  testing::Sender s;
  const auto b = batches(s, 12);
  const auto good = b;
  std::vector<std::string> bad;
  {  // a payload byte altered
    auto x = good;
    x[x.find("line 5 a")] = 'L';
    bad.push_back(x);
  }
  {  // a batch removed (gap), a stray line, a torn copy never completed
    testing::Sender t;
    std::string x;
    std::vector<std::string> each;
    for (int i = 0; i < 12; ++i) each.push_back(t.next(lines({"p" + std::to_string(i)}), at(i)));
    for (int i = 0; i < 12; ++i) {
      if (i == 4) continue;
      if (i == 7) x += "planted line\n";
      if (i == 9) x += each[i].substr(0, 20) + "\n";
      x += each[i];
    }
    bad.push_back(x);
  }
  {  // an interrupted copy completed by its resend, and a late remnant of it
    testing::Sender t;
    const auto b0 = t.next(lines({"zero"}), at(0));
    const auto b1 = t.next(lines({"one a", "one b long enough to cut"}), at(1));
    const auto b2 = t.next(lines({"two"}), at(2));
    bad.push_back(b0 + b1.substr(0, 50) + "\n" + b1 + b1.substr(50, 9) + b2);
  }
  for (std::size_t i = 0; i < bad.size(); ++i)
    for (std::uint32_t seed = 1; seed <= 10; ++seed) {
      SCOPED_TRACE("case " + std::to_string(i) + ", seed " + std::to_string(seed));
      const auto whole = expect_same_as_whole(bad[i], seed);
      if (i < 2) {
        EXPECT_FALSE(whole.findings.empty());
      } else {
        EXPECT_TRUE(whole.has(FindingKind::transfer_remnant)) << whole.dump();
      }
    }
}

// A live file being written, and a verifier reading it.
struct Growing {
  testing::TempDir dir;
  std::filesystem::path path;
  std::vector<Finding> found;
  StringSink sink;
  Verifier v{testing::keyed(), [this](const Finding& f) { found.push_back(f); }, &sink};
  explicit Growing(const std::string& first) : path(dir.write("v", first)) {
    EXPECT_TRUE(v.add_live(UniqueFd(::open(path.c_str(), O_RDONLY)), path.string()));
    EXPECT_TRUE(v.read_live());
  }
  void append(const std::string& bytes) {
    std::ofstream(path, std::ios::app) << bytes;
    EXPECT_TRUE(v.read_live());
  }
};

TEST(Live, ALineStillBeingWrittenWaitsForItsEnd) {
  testing::Sender s;
  const auto b0 = s.next(lines({"alpha"}), at(0));
  Growing g(b0.substr(0, b0.size() - 5));
  EXPECT_TRUE(g.found.empty());
  EXPECT_FALSE(g.v.settled());  // the batch is open
  EXPECT_EQ(g.sink.out, "");
  g.append(b0.substr(b0.size() - 5));
  EXPECT_TRUE(g.found.empty());
  EXPECT_TRUE(g.v.settled());
  EXPECT_EQ(g.sink.out, "alpha\n");
  EXPECT_EQ(g.v.live_offset(), b0.size());
}

TEST(Live, ADamagedStateIsRefused) {
  testing::Sender s;
  const auto b0 = s.next(lines({"alpha"}), at(0));
  testing::TempDir dir;
  const auto path = dir.write("v", b0);
  Verifier v(testing::keyed(), {}, nullptr);
  ASSERT_TRUE(v.add_live(UniqueFd(::open(path.c_str(), O_RDONLY)), path.string()));
  ASSERT_TRUE(v.read_live());
  auto state = v.state();
  state[state.find("totals") + 7] ^= 1;
  auto r = Verifier::resume(testing::keyed(), {}, nullptr, state,
                            UniqueFd(::open(path.c_str(), O_RDONLY)), path.string());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("damaged"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace logship::vault

namespace logship::vault {
namespace {

// A writer who edits bytes after they were hashed (before the end line arrives) gets nothing
// extracted: the batch is extracted only from a copy that hashes again to its chain.
TEST(Live, BytesEditedAfterTheyWereVerifiedAreNeverExtracted) {
  testing::Sender s;
  const auto b0 = s.next(lines({"alice logged in", "sudo: alice ran id"}), at(0));
  const auto end_at = b0.find("@logship end");
  Growing g(b0.substr(0, end_at));
  {  // the first payload line, overwritten in place (same length), then the end line
    UniqueFd fd(::open(g.path.c_str(), O_WRONLY));
    const std::string evil = "mallory in  ok  ";
    ASSERT_EQ(::pwrite(fd.get(), evil.data(), 15, static_cast<off_t>(b0.find("alice logged"))), 15);
  }
  g.append(b0.substr(end_at));
  EXPECT_EQ(g.sink.out, "");
  ASSERT_EQ(g.found.size(), 1u);
  EXPECT_EQ(g.found[0].kind, FindingKind::chain_break);
  EXPECT_NE(g.found[0].message.find("changed in the file after it was verified"),
            std::string::npos);
}

// Lines of a batch that fails its MAC, or repeats or goes back in sequence, are reported and
// never extracted.
TEST(Live, LinesOfBatchesThatFailAreNeverExtracted) {
  testing::Sender s;
  const auto b0 = s.next(lines({"x0"}), at(0));
  const auto b1 = s.next(lines({"x1"}), at(1));
  testing::Sender forger("web1", "auth", crypto::Digest{});  // another key
  (void)forger.next(lines({"f0"}), at(0));
  (void)forger.next(lines({"f1"}), at(1));
  const auto forged = forger.next(lines({"FORGED rm -rf evidence"}), at(2));  // seq 2
  auto altered = b0;
  altered[altered.find("x0")] = 'y';  // seq 0 again, altered: backwards and a chain break
  const auto r = testing::verify({b0 + b1 + forged + b0 + altered});
  EXPECT_TRUE(r.has(FindingKind::mac_failure)) << r.dump();
  EXPECT_EQ(r.extracted, "x0\nx1\n");
}

}  // namespace
}  // namespace logship::vault

namespace logship::vault {
namespace {

// Each read stops near its byte budget, unless no line ends within it: then the long line is
// read whole (or seen to be too long), never cut.
TEST(Live, AReadStopsAtItsBudgetButNeverInsideALine) {
  testing::Sender s;
  const std::string longline(3 << 20, 'x');
  std::vector<std::string> many;
  for (int i = 0; i < 20000; ++i) many.push_back("line " + std::to_string(i));
  std::string bytes = s.next(lines({longline}), at(0));
  for (const auto& l : many) bytes += s.next(lines({l}), at(1));
  testing::TempDir dir;
  const auto path = dir.write("v", bytes);
  StringSink sink;
  std::vector<Finding> found;
  Verifier v(
      testing::keyed(), [&](const Finding& f) { found.push_back(f); }, &sink);
  ASSERT_TRUE(v.add_live(UniqueFd(::open(path.c_str(), O_RDONLY)), path.string()));
  constexpr std::uint64_t kBudget = 1 << 20;
  int reads = 0;
  for (;;) {
    auto r = v.read_live(kBudget);
    ASSERT_TRUE(r);
    if (*r == 0) break;
    ++reads;
    if (*r > kBudget) {  // only the read that holds the long line, and just it
      EXPECT_EQ(*r, longline.size() + 1);
      EXPECT_LT(v.live_offset(), longline.size() + 400);
    }
  }
  EXPECT_GT(reads, 2);
  EXPECT_TRUE(found.empty());
  EXPECT_EQ(v.live_offset(), bytes.size());
  std::string want = longline + "\n";
  for (const auto& l : many) want += l + "\n";
  EXPECT_TRUE(sink.out == want);
}

}  // namespace
}  // namespace logship::vault
