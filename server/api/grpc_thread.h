// Work handed to gRPC's own threads.
#pragma once

#include <functional>

namespace tsodso::api {

// Run `fn` soon on a thread of gRPC's executor instead of the caller's.
// Writes to streams started there complete on that same thread, where
// started from another thread each completion wakes an executor thread: the
// feed's fan-out starts its writes here so that a dispatch to a thousand
// idle streams costs one wake-up rather than a thousand.
void RunOnGrpcThread(std::function<void()> fn);

}  // namespace tsodso::api
