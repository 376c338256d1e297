#include "runtime/periodic_task.h"

#include <exception>
#include <utility>

#include "spdlog/spdlog.h"

namespace tsodso::runtime {

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Start(Options options, Callback callback) {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = std::stop_source();
  wake_ = options.run_first_immediately;
  thread_ = std::thread([this, options = std::move(options), callback = std::move(callback),
                         stop = stop_.get_token()]() mutable { Run(std::move(options), std::move(callback), stop); });
}

void PeriodicTask::RunNow() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void PeriodicTask::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    if (stop_.stop_possible()) stop_.request_stop();
    // A callback that stops its own task cannot wait for itself; the
    // thread ends when the callback returns and is joined later.
    if (thread_.get_id() == std::this_thread::get_id()) return;
    thread = std::move(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

bool PeriodicTask::running() const {
  std::lock_guard lock(mu_);
  return thread_.joinable();
}

bool PeriodicTask::stop_requested() const {
  std::lock_guard lock(mu_);
  return stop_.stop_requested();
}

void PeriodicTask::Run(Options options, Callback callback, std::stop_token stop) {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, absl::ToChronoMilliseconds(options.period), [&] { return wake_ || stop.stop_requested(); });
      if (stop.stop_requested()) return;
      wake_ = false;
    }
    // One failed run must not end the task: the next one may succeed.
    try {
      callback(stop);
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", options.name, e.what());
    } catch (...) {
      spdlog::error("{}: unknown exception", options.name);
    }
  }
}

}  // namespace tsodso::runtime
