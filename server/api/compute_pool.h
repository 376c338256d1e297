// A few threads for answers that take CPU time and no database (e.g. the
// grid-aware flexibility area), so that they never hold a database worker
// or a gRPC callback thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tsodso::api {

class ComputePool {
 public:
  explicit ComputePool(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~ComputePool() { Shutdown(); }
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  // Run `task` on a pool thread; after Shutdown, on the caller's (so that
  // whoever waits for it is answered).
  void Post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      if (!stopping_) {
        queue_.push_back(std::move(task));
        task = nullptr;
      }
    }
    if (task) {
      task();
      return;
    }
    cv_.notify_one();
  }

  // Finish queued tasks, then stop the threads.
  void Shutdown() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Work() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tsodso::api
