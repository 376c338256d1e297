#include "api/grpc_thread.h"

#include <grpc/support/time.h>
#include <grpcpp/alarm.h>

#include <mutex>

namespace tsodso::api {
namespace {

struct Task {
  // Orders the task's making before its run where ThreadSanitizer can see
  // it: gRPC's own hand-over to its executor is invisible to it.
  std::mutex mu;
  std::function<void()> fn;
  grpc::Alarm alarm;
};

}  // namespace

void RunOnGrpcThread(std::function<void()> fn) {
  auto* task = new Task;
  std::lock_guard lock(task->mu);
  task->fn = std::move(fn);
  // An alarm already due: gRPC hands its callback to an executor thread at
  // once (a deadline of now would be rounded up to the next millisecond and
  // wait for the timer thread). An alarm may be deleted in its own
  // callback: gRPC keeps what the callback needs until it returns.
  task->alarm.Set(gpr_inf_past(GPR_CLOCK_MONOTONIC), [task](bool) {
    { std::lock_guard ordered(task->mu); }
    task->fn();
    delete task;
  });
}

}  // namespace tsodso::api
