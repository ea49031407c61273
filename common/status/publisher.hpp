// Publisher: writes an agent's status files on a thread of its own, so that the thread that
// reads syslog's FIFO never waits for the disk (on a busy disk, replacing a file by rename can
// take 100 ms or more on ext4, which flushes the new file's data first). Only the newest report
// is kept: one not yet written when a newer one comes is dropped.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "status/status.hpp"

namespace logship::status {

class Publisher {
 public:
  explicit Publisher(StatusFiles files);
  ~Publisher();  // writes the report still pending, then stops
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Builds the report that `build` returns (a struct with json() and metrics()) when a file is
  // configured, and hands it to the writing thread. Never waits for the disk.
  template <class Build>
  void publish(const Build& build) {
    if (!files_.json && !files_.prometheus) return;
    const auto report = build();
    post({files_.json ? report.json() + "\n" : std::string(),
          files_.prometheus ? prometheus_text(report.metrics()) : std::string()});
  }
  // Returns once every report handed over so far is written (tests, and the end of a run).
  void flush();

 private:
  struct Report {
    std::string json, prometheus;
  };
  void post(Report report);
  void run();
  void write(const Report& report) const;

  StatusFiles files_;
  std::mutex mu_;
  std::condition_variable wake_, written_;
  std::optional<Report> pending_;
  bool writing_ = false, stop_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace logship::status
