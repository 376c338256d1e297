// A thread that runs a callback every period: the loop the publishers and
// the feed's heartbeat share, written once.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "absl/time/time.h"

namespace tsodso::runtime {

class PeriodicTask {
 public:
  // The callback gets a stop token to check between steps of long work, so
  // that Stop() never waits for more than one step.
  using Callback = std::function<void(std::stop_token)>;

  struct Options {
    // Named in the log when the callback throws.
    std::string name;
    // From the end of one run to the start of the next.
    absl::Duration period = absl::Seconds(1);
    // Run once at Start() rather than one period later.
    bool run_first_immediately = false;
  };

  PeriodicTask() = default;
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Start the thread; does nothing while one is running.
  void Start(Options options, Callback callback);
  // Run the callback as soon as the current run (if any) is over, without
  // waiting for the rest of the period.
  void RunNow();
  // Ask a run in progress to give up, wait for the thread to end. The task
  // can be started again afterwards. From inside the callback it only asks.
  void Stop();
  bool running() const;
  // True from Stop() until the next Start(): for work that runs both on the
  // task's thread and on callers' threads.
  bool stop_requested() const;

 private:
  void Run(Options options, Callback callback, std::stop_token stop);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::stop_source stop_{std::nostopstate};
  bool wake_ = false;
  std::thread thread_;
};

}  // namespace tsodso::runtime
