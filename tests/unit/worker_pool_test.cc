// runtime::WorkerPool, the bounded pool the gateway runs its database and
// compute work on: tasks run on the pool's own threads, each thread keeping
// its state from one task to the next; a full queue refuses at once rather
// than let callers wait; a stopped pool refuses; Shutdown finishes what was
// queued; a task that throws leaves its thread working with a fresh state.
// Nothing here waits for a time to pass: threads are held and released with
// promises, and the timeouts only stop a broken pool from hanging the test.
#include "runtime/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/status_testing.h"

namespace tsodso::runtime {
namespace {

using ::tsodso::testing::StatusIs;

// Only a guard against a hang; no test expects anything to take this long.
constexpr auto kGuard = std::chrono::seconds(30);

// What a thread keeps between tasks.
struct Counter {
  int runs = 0;
};
using Pool = WorkerPool<Counter>;

// A task that holds its worker thread until released. Its shared state
// outlives the Blocker, so the worker may still be returning from the task
// when the test's Blocker is gone.
class Blocker {
 public:
  Blocker() : shared_(std::make_shared<Shared>()) {}
  // Declared after the pool, it is destroyed first: a failed assertion
  // releases the worker, and the pool's destructor does not wait for ever.
  ~Blocker() { Release(); }

  Pool::Task Task() {
    return [s = shared_](Counter&) {
      s->started.set_value();
      s->released.wait_for(kGuard);
    };
  }
  bool WaitStarted() { return started_.wait_for(kGuard) == std::future_status::ready; }
  void Release() {
    if (!released_) shared_->release.set_value();
    released_ = true;
  }

 private:
  struct Shared {
    std::promise<void> started;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
  };
  std::shared_ptr<Shared> shared_;
  std::future<void> started_ = shared_->started.get_future();
  bool released_ = false;
};

TEST(WorkerPoolTest, TasksRunOnThePoolsThreadsEachKeepingItsOwnState) {
  struct Run {
    std::thread::id thread;
    const Counter* state;
    int runs;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Run> runs;
  int arrived = 0;
  bool met = true;
  {
    Pool pool("test-pool", 2, 100);
    // The first two tasks wait for each other, so both threads take one.
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(pool.Post([&](Counter& state) {
                        std::unique_lock lock(mu);
                        runs.push_back({std::this_thread::get_id(), &state, ++state.runs});
                        ++arrived;
                        cv.notify_all();
                        if (!cv.wait_for(lock, kGuard, [&] { return arrived >= 2; })) met = false;
                      })
                      .ok());
    }
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(pool.Post([&](Counter& state) {
                        std::lock_guard lock(mu);
                        runs.push_back({std::this_thread::get_id(), &state, ++state.runs});
                      })
                      .ok());
    }
    pool.Shutdown();
  }
  EXPECT_TRUE(met) << "the first two tasks did not run on two threads at once";
  ASSERT_EQ(runs.size(), 22u);
  // Per thread: always the same state, counting its own tasks 1, 2, 3, ...
  std::map<std::thread::id, std::vector<const Run*>> by_thread;
  for (const Run& r : runs) by_thread[r.thread].push_back(&r);
  EXPECT_EQ(by_thread.size(), 2u);
  EXPECT_EQ(by_thread.count(std::this_thread::get_id()), 0u) << "a task ran on the caller's thread";
  std::vector<const Counter*> states;
  for (const auto& [thread, list] : by_thread) {
    for (size_t i = 0; i < list.size(); ++i) {
      EXPECT_EQ(list[i]->state, list.front()->state);
      EXPECT_EQ(list[i]->runs, static_cast<int>(i) + 1);
    }
    states.push_back(list.front()->state);
  }
  if (states.size() == 2) {
    EXPECT_NE(states[0], states[1]) << "two threads shared one state";
  }
}

TEST(WorkerPoolTest, FullQueueIsRefusedAtOnceAndTheTaskNeverRuns) {
  constexpr size_t kMaxQueue = 3;
  Pool pool("db-pool", 1, kMaxQueue);
  Blocker blocker;
  ASSERT_TRUE(pool.Post(blocker.Task()).ok());
  ASSERT_TRUE(blocker.WaitStarted());  // the worker holds it; the queue is empty

  std::atomic<int> queued_ran{0};
  for (size_t i = 0; i < kMaxQueue; ++i) {
    ASSERT_TRUE(pool.Post([&](Counter&) { ++queued_ran; }).ok()) << "task " << i;
  }
  EXPECT_EQ(pool.queued(), kMaxQueue);

  // One more, while the only worker is still held: the answer must come
  // without waiting for room (a Post that waited would not return here).
  std::atomic<bool> refused_ran{false};
  auto answer = std::async(std::launch::async, [&] { return pool.Post([&](Counter&) { refused_ran = true; }); });
  ASSERT_EQ(answer.wait_for(kGuard), std::future_status::ready) << "Post waited for room in the queue";
  EXPECT_TRUE(StatusIs(answer.get(), absl::StatusCode::kResourceExhausted, {"db-pool", "3 tasks are waiting"}));
  EXPECT_EQ(pool.queued(), kMaxQueue);

  blocker.Release();
  pool.Shutdown();
  EXPECT_EQ(queued_ran.load(), static_cast<int>(kMaxQueue));
  EXPECT_FALSE(refused_ran.load());
}

TEST(WorkerPoolTest, AfterShutdownPostIsUnavailableAndTheTaskNeverRuns) {
  Pool pool("test-pool", 2, 10);
  pool.Shutdown();
  bool ran = false;
  EXPECT_TRUE(
      StatusIs(pool.Post([&](Counter&) { ran = true; }), absl::StatusCode::kUnavailable, {"gateway is shutting down"}));
  EXPECT_FALSE(ran);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(WorkerPoolTest, ShutdownFinishesTheQueuedTasksFirst) {
  constexpr size_t kQueued = 5;
  Pool pool("test-pool", 1, kQueued);
  Blocker blocker;
  ASSERT_TRUE(pool.Post(blocker.Task()).ok());
  ASSERT_TRUE(blocker.WaitStarted());
  std::mutex mu;
  std::vector<int> done;
  for (int i = 0; i < static_cast<int>(kQueued); ++i) {
    ASSERT_TRUE(pool.Post([&, i](Counter&) {
                      std::lock_guard lock(mu);
                      done.push_back(i);
                    })
                    .ok());
  }

  // Shut down while the worker is still held with a full queue behind it.
  auto shutdown = std::async(std::launch::async, [&] { pool.Shutdown(); });
  // The pool has begun to stop once Post answers UNAVAILABLE rather than
  // RESOURCE_EXHAUSTED (the queue is full, so nothing more gets in).
  bool stopping = false;
  for (auto until = std::chrono::steady_clock::now() + kGuard; std::chrono::steady_clock::now() < until;) {
    const absl::Status st = pool.Post([](Counter&) { ADD_FAILURE() << "a task refused by Post ran"; });
    ASSERT_TRUE(st.code() == absl::StatusCode::kResourceExhausted || st.code() == absl::StatusCode::kUnavailable) << st;
    if (st.code() == absl::StatusCode::kUnavailable) {
      stopping = true;
      break;
    }
    std::this_thread::yield();
  }
  ASSERT_TRUE(stopping) << "Shutdown never stopped the pool taking tasks";
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(done.empty()) << "the worker is still held";
  }

  blocker.Release();
  ASSERT_EQ(shutdown.wait_for(kGuard), std::future_status::ready) << "Shutdown did not return";
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_EQ(done, (std::vector<int>{0, 1, 2, 3, 4})) << "every queued task runs, in the order queued";
}

TEST(WorkerPoolTest, ThrowingTaskLeavesTheWorkerRunningWithAFreshState) {
  Pool pool("test-pool", 1, 10);
  std::vector<int> seen;  // only the pool's one thread writes it before Shutdown
  auto count = [&](Counter& state) { seen.push_back(++state.runs); };
  ASSERT_TRUE(pool.Post(count).ok());
  ASSERT_TRUE(pool.Post(count).ok());
  ASSERT_TRUE(pool.Post([](Counter& state) {
                    ++state.runs;
                    throw std::runtime_error("task failed on purpose");
                  })
                  .ok());
  ASSERT_TRUE(pool.Post(count).ok());  // a fresh state: 1 again
  ASSERT_TRUE(pool.Post(count).ok());
  ASSERT_TRUE(pool.Post([](Counter& state) {
                    ++state.runs;
                    throw 42;  // not a std::exception
                  })
                  .ok());
  ASSERT_TRUE(pool.Post(count).ok());

  // The worker is still there: a task posted now runs.
  std::promise<void> ran;
  ASSERT_TRUE(pool.Post([&](Counter&) { ran.set_value(); }).ok());
  ASSERT_EQ(ran.get_future().wait_for(kGuard), std::future_status::ready) << "the worker died with its task";
  pool.Shutdown();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 1, 2, 1}));
}

}  // namespace
}  // namespace tsodso::runtime
