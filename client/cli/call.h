// What the verbs share when they call the gateway: exit codes for scripts,
// idempotency keys and retries of requests that carry one.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace tsodso::cli {

// Return the exit code for a status, as main.cc lists them for scripts.
int ExitCode(const absl::Status& status);

// Print the status to stderr; return its exit code.
int Fail(const absl::Status& status);

// Return a new random idempotency key ("cli-" and 24 hex digits).
std::string NewKey();

// Call again, with the same request and so the same idempotency key, while
// the gateway is unavailable: it answers a repeat, never applies it twice.
template <typename Call>
auto RetryWhileUnavailable(Call call) {
  auto r = call();
  for (int attempt = 0; attempt < 2 && !r.ok() && r.status().code() == absl::StatusCode::kUnavailable; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500 << attempt));
    r = call();
  }
  return r;
}

}  // namespace tsodso::cli
