#include "api/grpc_thread.h"

#include <grpc/support/time.h>
#include <grpcpp/alarm.h>

namespace tsodso::api {

void RunOnGrpcThread(std::function<void()> fn) {
  // An alarm already due: gRPC hands its callback to an executor thread at
  // once (a deadline of now would be rounded up to the next millisecond and
  // wait for the timer thread). The alarm may be deleted in its own
  // callback: gRPC keeps what the callback needs until it returns.
  auto* alarm = new grpc::Alarm;
  alarm->Set(gpr_inf_past(GPR_CLOCK_MONOTONIC), [alarm, fn = std::move(fn)](bool) {
    fn();
    delete alarm;
  });
}

}  // namespace tsodso::api
