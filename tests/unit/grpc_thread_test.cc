#include "api/grpc_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace tsodso::api {
namespace {

// Tasks handed over from several threads at once all run, each once, on
// threads other than the ones that handed them over, and soon.
TEST(RunOnGrpcThreadTest, EveryTaskRunsOnceOnAnotherThread) {
  constexpr int kThreads = 4;
  constexpr int kTasks = 500;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> runs(kThreads * kTasks, 0);
  std::set<std::thread::id> posters;
  std::set<std::thread::id> runners;
  int done = 0;
  std::latch stop_posters(1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      {
        std::lock_guard lock(mu);
        posters.insert(std::this_thread::get_id());
      }
      for (int i = 0; i < kTasks; ++i) {
        RunOnGrpcThread([&, n = t * kTasks + i] {
          std::lock_guard lock(mu);
          ++runs[n];
          runners.insert(std::this_thread::get_id());
          ++done;
          cv.notify_all();
        });
      }
      stop_posters.wait();
    });
  }
  // The posting threads live until every task has run: a thread started
  // after one of them ended could be given its id.
  std::unique_lock lock(mu);
  const bool all_ran = cv.wait_for(lock, std::chrono::seconds(10), [&] { return done == kThreads * kTasks; });
  lock.unlock();
  stop_posters.count_down();
  for (auto& t : threads) t.join();
  lock.lock();
  ASSERT_TRUE(all_ran) << done << " of " << kThreads * kTasks << " tasks ran";
  for (int n = 0; n < kThreads * kTasks; ++n) ASSERT_EQ(runs[n], 1) << "task " << n;
  for (const auto& id : runners) EXPECT_EQ(posters.count(id), 0u);
  EXPECT_EQ(runners.count(std::this_thread::get_id()), 0u);
}

}  // namespace
}  // namespace tsodso::api
