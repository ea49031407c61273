#include "util/slot_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace logship {
namespace {

namespace fs = std::filesystem;

class SlotFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("logship-slot-" + std::to_string(::getpid()));
    fs::remove(path_);
  }
  void TearDown() override { fs::remove(path_); }
  std::string raw() {
    auto r = read_file(path_);
    return r ? *r : "";
  }
  void corrupt_slot(int slot) {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(slot * static_cast<std::streamoff>(SlotFile::kSlotSize) + 25);  // in the payload
    f.put('\x55');
  }
  fs::path path_;
};

TEST_F(SlotFileTest, NewFileIsEmptyThenHoldsTheLatestRecord) {
  auto f = SlotFile::open(path_);
  ASSERT_TRUE(f);
  auto r = f->read();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  ASSERT_TRUE(f->write("first"));
  ASSERT_TRUE(f->write("second"));
  auto g = SlotFile::open(path_);
  ASSERT_TRUE(g);
  r = g->read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value(), "second");
  EXPECT_EQ(fs::file_size(path_), 2 * SlotFile::kSlotSize);
  EXPECT_EQ(fs::status(path_).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(SlotFileTest, ReplacedRecordIsGoneFromTheFile) {
  auto f = SlotFile::open(path_);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->read());
  ASSERT_TRUE(f->write("key=SECRET-OLD-KEY"));
  ASSERT_TRUE(f->write("key=the-new-key"));
  EXPECT_EQ(raw().find("SECRET-OLD-KEY"), std::string::npos);
}

TEST_F(SlotFileTest, ATornSlotFallsBackToTheOther) {
  {
    auto f = SlotFile::open(path_);
    ASSERT_TRUE(f && f->read());
    ASSERT_TRUE(f->write("one"));
    ASSERT_TRUE(f->write("two"));  // generation 2: both slots hold "two"
  }
  corrupt_slot(0);
  auto f = SlotFile::open(path_);
  auto r = f->read();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->value(), "two");
  ASSERT_TRUE(f->write("three"));
  auto g = SlotFile::open(path_);
  EXPECT_EQ(g->read()->value(), "three");
}

TEST_F(SlotFileTest, BothSlotsDamagedIsAnErrorNamingTheFile) {
  {
    auto f = SlotFile::open(path_);
    ASSERT_TRUE(f && f->read());
    ASSERT_TRUE(f->write("one"));
  }
  corrupt_slot(0);
  corrupt_slot(1);
  auto f = SlotFile::open(path_);
  auto r = f->read();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::data);
  EXPECT_NE(r.error().message.find(path_.string()), std::string::npos);
}

TEST_F(SlotFileTest, UnsyncedWritesLeaveTheDurableRecordAloneUntilTheSync) {
  auto f = SlotFile::open(path_);
  ASSERT_TRUE(f && f->read());
  ASSERT_TRUE(f->write("key=DURABLE-KEY"));
  const auto first = f->write_unsynced("key=second");
  const auto second = f->write_unsynced("key=third");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*second, *first + 1);
  // A power loss now finds the durable record whole in its slot: both unsynced writes went to
  // the other slot.
  EXPECT_NE(raw().find("DURABLE-KEY"), std::string::npos);
  EXPECT_EQ(raw().find("key=second"), std::string::npos) << "written over by the third";
  // A crash of the process finds the newest record (it is in the page cache).
  {
    auto g = SlotFile::open(path_);
    auto r = g->read();
    ASSERT_TRUE(r && r->has_value());
    EXPECT_EQ(r->value(), "key=third");
  }
  const auto synced = f->sync();
  ASSERT_TRUE(synced);
  EXPECT_EQ(*synced, *second);
  EXPECT_EQ(raw().find("DURABLE-KEY"), std::string::npos) << "the replaced key is erased";
  ASSERT_TRUE(f->write_unsynced("key=fourth"));
  EXPECT_NE(raw().find("key=third"), std::string::npos) << "the durable record is kept";
}

TEST_F(SlotFileTest, WritesDuringASyncOnAnotherThreadLoseNothing) {
  auto f = SlotFile::open(path_);
  ASSERT_TRUE(f && f->read());
  std::atomic<bool> done{false};
  std::thread syncer([&] {
    while (!done) ASSERT_TRUE(f->sync());
  });
  std::uint64_t last = 0;
  for (int i = 0; i < 300; ++i) {
    auto g = f->write_unsynced("record " + std::to_string(i));
    ASSERT_TRUE(g);
    last = *g;
  }
  done = true;
  syncer.join();
  const auto synced = f->sync();
  ASSERT_TRUE(synced);
  EXPECT_EQ(*synced, last);
  auto g = SlotFile::open(path_);
  EXPECT_EQ(g->read()->value(), "record 299");
}

TEST_F(SlotFileTest, OversizedRecordIsRefused) {
  auto f = SlotFile::open(path_);
  ASSERT_TRUE(f && f->read());
  EXPECT_FALSE(f->write(std::string(SlotFile::kMaxRecord + 1, 'x')));
  EXPECT_TRUE(f->write(std::string(SlotFile::kMaxRecord, 'x')));
}

}  // namespace
}  // namespace logship
