#include "api/grpc_thread.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <latch>
#include <memory>
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
  // What the tasks touch outlives the test should one of them run late.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<int> runs = std::vector<int>(kThreads * kTasks, 0);
    std::set<std::thread::id> posters;
    std::set<std::thread::id> runners;
    int done = 0;
  };
  auto state = std::make_shared<State>();
  // Every posting thread is there before the first task is posted, and
  // stays until every task has run: a thread that ran a task and one that
  // posted are alive at the same time, so their ids differ (an ended
  // thread's id can be given to a new one).
  std::latch start(kThreads + 1);
  std::latch stop(1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      {
        std::lock_guard lock(state->mu);
        state->posters.insert(std::this_thread::get_id());
      }
      start.arrive_and_wait();
      for (int i = 0; i < kTasks; ++i) {
        RunOnGrpcThread([state, n = t * kTasks + i] {
          std::lock_guard lock(state->mu);
          ++state->runs[n];
          state->runners.insert(std::this_thread::get_id());
          ++state->done;
          state->cv.notify_all();
        });
      }
      stop.wait();
    });
  }
  start.arrive_and_wait();
  std::unique_lock lock(state->mu);
  const bool all_ran =
      state->cv.wait_for(lock, std::chrono::seconds(10), [&] { return state->done == kThreads * kTasks; });
  lock.unlock();
  stop.count_down();
  for (auto& t : threads) t.join();
  lock.lock();
  ASSERT_TRUE(all_ran) << state->done << " of " << kThreads * kTasks << " tasks ran";
  for (int n = 0; n < kThreads * kTasks; ++n) ASSERT_EQ(state->runs[n], 1) << "task " << n;
  for (const auto& id : state->runners) EXPECT_EQ(state->posters.count(id), 0u);
  EXPECT_EQ(state->runners.count(std::this_thread::get_id()), 0u);
}

}  // namespace
}  // namespace tsodso::api
