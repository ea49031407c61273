#include "status/publisher.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "support/test_files.hpp"

namespace logship::status {
namespace {

// A report as the agents' status structs are: json() and metrics().
struct Report {
  int n = 0;
  std::string json() const { return "{\"n\":" + std::to_string(n) + "}"; }
  std::vector<Metric> metrics() const { return {{"logship_n", "n", "gauge", double(n), {}}}; }
};

TEST(Publisher, WritesTheNewestReportToEachFileOffTheCallersThread) {
  test::TempDir dir;
  const auto json = dir.path() / "status.json", prom = dir.path() / "logship.prom";
  {
    Publisher p({json, prom});
    for (int n = 1; n <= 100; ++n) p.publish([&] { return Report{n}; });
    p.flush();
    EXPECT_EQ(test::slurp(json), "{\"n\":100}\n") << "the newest report, once all are written";
    EXPECT_NE(test::slurp(prom).find("logship_n 100\n"), std::string::npos) << test::slurp(prom);
    p.publish([&] { return Report{101}; });
  }  // the destructor writes what is pending
  EXPECT_EQ(test::slurp(json), "{\"n\":101}\n");
}

TEST(Publisher, WithoutFilesNothingIsBuilt) {
  Publisher p({});
  bool built = false;
  p.publish([&] {
    built = true;
    return Report{};
  });
  p.flush();
  EXPECT_FALSE(built);
}

}  // namespace
}  // namespace logship::status
