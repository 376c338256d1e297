// A fixed set of threads that run queued tasks, each thread with a state of
// its own (a database connection, or nothing). The queue is bounded: a pool
// that cannot keep up refuses work at once (RESOURCE_EXHAUSTED) rather than
// let calls wait without end and memory grow.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace tsodso::runtime {

template <typename State>
class WorkerPool {
 public:
  using Task = std::function<void(State&)>;

  // `name` is for messages and logs.
  WorkerPool(std::string name, int threads, size_t max_queue) : name_(std::move(name)), max_queue_(max_queue) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~WorkerPool() { Shutdown(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queue `task`, or return why it was not queued: RESOURCE_EXHAUSTED when
  // the queue is full, UNAVAILABLE when the pool has stopped.
  absl::Status Post(Task task) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return absl::UnavailableError("gateway is shutting down; ask again");
      if (queue_.size() >= max_queue_) {
        return absl::ResourceExhaustedError(
            absl::StrCat(name_, ": ", queue_.size(), " tasks are waiting already; retry later"));
      }
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return absl::OkStatus();
  }

  // Tasks waiting for a thread.
  size_t queued() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

  // Finish the queued tasks, then stop the threads.
  void Shutdown() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  void Work() {
    State state{};
    while (true) {
      Task task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        task(state);
      } catch (const std::exception& e) {
        // A task must not throw; if one does, its thread's state is in an
        // unknown condition and starts afresh.
        spdlog::error("{}: a task failed: {}", name_, e.what());
        state = State{};
      } catch (...) {
        spdlog::error("{}: a task failed with an unknown exception", name_);
        state = State{};
      }
    }
  }

  const std::string name_;
  const size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tsodso::runtime

namespace tsodso::runtime {

// Threads for work that needs no state of its own (CPU-heavy answers).
struct Stateless {};
using ComputePool = WorkerPool<Stateless>;

}  // namespace tsodso::runtime
