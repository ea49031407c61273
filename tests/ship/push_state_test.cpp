#include "ship/push_state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>

#include "support/wait.hpp"

namespace logship::ship {
namespace {

crypto::Digest key0() {
  crypto::Digest k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 7);
  return k;
}

TEST(PushState, EncodeDecodeRoundTrip) {
  PushState s{
      41, InFlight{42, 99, vault::VaultTime(std::chrono::microseconds(1'700'000'000'123'456)), 3},
      vault::SealState::initial(key0())};
  auto back = decode(encode(s));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->acked, 41u);
  EXPECT_EQ(back->inflight, s.inflight);
  EXPECT_EQ(back->seal.seq(), 0u);
  EXPECT_EQ(back->seal.key(), key0());

  s.inflight->open = true;
  auto open = decode(encode(s));
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_EQ(open->inflight, s.inflight);
  EXPECT_TRUE(open->inflight->open);

  PushState idle{7, std::nullopt, vault::SealState::initial(key0())};
  auto b2 = decode(encode(idle));
  ASSERT_TRUE(b2);
  EXPECT_FALSE(b2->inflight);
}

TEST(PushState, DamagedRecordsAreRefused) {
  PushState s{1, std::nullopt, vault::SealState::initial(key0())};
  const auto text = encode(s);
  EXPECT_FALSE(decode("logship-push-state v2\n" + text.substr(22)));
  auto cut = text.substr(0, text.size() - 10);
  EXPECT_FALSE(decode(cut));
  auto bad_inflight = text;
  bad_inflight.replace(bad_inflight.find("inflight=-"), 10, "inflight=5 4 x 0");
  EXPECT_FALSE(decode(bad_inflight));
}

TEST(PushState, FileSavesAndLoads) {
  auto path =
      std::filesystem::temp_directory_path() / ("logship-pushstate-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  {
    auto f = PushStateFile::open(path);
    ASSERT_TRUE(f);
    auto none = f->load();
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value());
    ASSERT_TRUE(f->save(PushState{5, std::nullopt, vault::SealState::initial(key0())}));
  }
  auto f = PushStateFile::open(path);
  auto loaded = f->load();
  ASSERT_TRUE(loaded);
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->acked, 5u);
  std::filesystem::remove(path);
}

TEST(PushState, RecordsSyncedInTheBackgroundAreDurableWhenAskedAndAtTheEnd) {
  auto path = std::filesystem::temp_directory_path() /
              ("logship-pushstate-bg-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  {
    auto f = PushStateFile::open(path);
    ASSERT_TRUE(f && f->load());
    std::atomic<int> settled{0};
    f->sync_in_background([&] { ++settled; });
    std::uint64_t g = 0;
    for (std::uint64_t acked = 1; acked <= 200; ++acked) {
      auto r = f->record(PushState{acked, std::nullopt, vault::SealState::initial(key0())});
      ASSERT_TRUE(r);
      EXPECT_GT(*r, g);
      g = *r;
      if (acked % 50 == 0) {
        ASSERT_TRUE(f->durable(g));
        EXPECT_TRUE(f->sync_settled(g));
        // durable() wakes on the sync itself; the callback follows it, on the sync thread.
        EXPECT_TRUE(test::wait_until([&] { return settled.load() > 0; }, std::chrono::seconds(10),
                                     "the sync thread to tell the sender"));
      }
    }
    ASSERT_TRUE(f->record(PushState{201, std::nullopt, vault::SealState::initial(key0())}));
  }  // the last record is synced before the file closes
  auto f = PushStateFile::open(path);
  auto loaded = f->load();
  ASSERT_TRUE(loaded && loaded->has_value());
  EXPECT_EQ((*loaded)->acked, 201u);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace logship::ship
