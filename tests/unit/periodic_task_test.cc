// The periodic task the publishers and the feed's heartbeat run on. Waits
// have generous upper bounds and no test asserts that something was fast,
// so a loaded machine slows the tests down but does not fail them.
#include "runtime/periodic_task.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace tsodso::runtime {
namespace {

constexpr auto kPatience = std::chrono::seconds(30);

// Counts the callback's runs and lets a test wait for a count.
class Runs {
 public:
  void Add() {
    {
      std::lock_guard lock(mu_);
      ++count_;
    }
    cv_.notify_all();
  }
  bool WaitFor(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kPatience, [&] { return count_ >= n; });
  }
  int count() const {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

TEST(PeriodicTaskTest, RunsEveryPeriod) {
  Runs runs;
  PeriodicTask task;
  task.Start({.name = "test", .period = absl::Milliseconds(5)}, [&](std::stop_token) { runs.Add(); });
  EXPECT_TRUE(task.running());
  EXPECT_TRUE(runs.WaitFor(3));
  task.Stop();
  EXPECT_FALSE(task.running());
  EXPECT_TRUE(task.stop_requested());
  // Nothing runs after Stop() has returned.
  const int after_stop = runs.count();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(runs.count(), after_stop);
}

TEST(PeriodicTaskTest, RunsFirstAtOnceWhenAsked) {
  Runs runs;
  PeriodicTask task;
  // A period far longer than the test's patience: only the first run can
  // come in time.
  task.Start({.name = "test", .period = absl::Hours(1), .run_first_immediately = true},
             [&](std::stop_token) { runs.Add(); });
  EXPECT_TRUE(runs.WaitFor(1));
}

TEST(PeriodicTaskTest, RunNowWakesItBeforeThePeriod) {
  Runs runs;
  PeriodicTask task;
  task.Start({.name = "test", .period = absl::Hours(1)}, [&](std::stop_token) { runs.Add(); });
  task.RunNow();
  EXPECT_TRUE(runs.WaitFor(1));
  task.RunNow();
  EXPECT_TRUE(runs.WaitFor(2));
}

TEST(PeriodicTaskTest, StopEndsTheWaitAndAsksARunToGiveUp) {
  // Waiting for an hour: Stop() must not wait for the period.
  {
    PeriodicTask idle;
    idle.Start({.name = "test", .period = absl::Hours(1)}, [](std::stop_token) {});
    idle.Stop();
    EXPECT_FALSE(idle.running());
  }
  // A long run that checks its token returns when asked.
  Runs started;
  bool gave_up = false;
  PeriodicTask busy;
  busy.Start({.name = "test", .period = absl::Hours(1), .run_first_immediately = true}, [&](std::stop_token stop) {
    started.Add();
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!stop.stop_requested() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    gave_up = stop.stop_requested();
  });
  ASSERT_TRUE(started.WaitFor(1));
  busy.Stop();  // joins: gave_up is written before this returns
  EXPECT_TRUE(gave_up);
}

TEST(PeriodicTaskTest, AnExceptionDoesNotEndIt) {
  Runs runs;
  PeriodicTask task;
  task.Start({.name = "test", .period = absl::Milliseconds(5)}, [&](std::stop_token) {
    runs.Add();
    if (runs.count() == 1) throw std::runtime_error("first run fails");
    if (runs.count() == 2) throw 42;  // not even a std::exception
  });
  EXPECT_TRUE(runs.WaitFor(3));
}

TEST(PeriodicTaskTest, StartsAgainAfterStop) {
  Runs runs;
  PeriodicTask task;
  task.Start({.name = "test", .period = absl::Hours(1), .run_first_immediately = true},
             [&](std::stop_token) { runs.Add(); });
  ASSERT_TRUE(runs.WaitFor(1));
  task.Stop();
  task.Start({.name = "test", .period = absl::Hours(1), .run_first_immediately = true},
             [&](std::stop_token) { runs.Add(); });
  EXPECT_FALSE(task.stop_requested());
  EXPECT_TRUE(runs.WaitFor(2));
}

TEST(PeriodicTaskTest, TheDestructorStopsIt) {
  Runs runs;
  {
    PeriodicTask task;
    task.Start({.name = "test", .period = absl::Hours(1), .run_first_immediately = true},
               [&](std::stop_token) { runs.Add(); });
    ASSERT_TRUE(runs.WaitFor(1));
  }
  EXPECT_EQ(runs.count(), 1);
}

}  // namespace
}  // namespace tsodso::runtime
