// Assertions on absl::Status for tests: the code and the pieces of text an
// error message must carry (the field, the offending value).
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tsodso::testing {

// Succeed when `status` has `code` and its message contains every piece.
inline ::testing::AssertionResult StatusIs(const absl::Status& status, absl::StatusCode code,
                                           std::initializer_list<std::string> pieces = {}) {
  if (status.code() != code) {
    return ::testing::AssertionFailure() << "expected code " << absl::StatusCodeToString(code) << ", got " << status;
  }
  const std::string message(status.message());
  for (const std::string& piece : pieces) {
    if (message.find(piece) == std::string::npos) {
      return ::testing::AssertionFailure() << "message \"" << message << "\" does not contain \"" << piece << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult StatusIs(const absl::StatusOr<T>& result, absl::StatusCode code,
                                    std::initializer_list<std::string> pieces = {}) {
  return StatusIs(result.status(), code, pieces);
}

}  // namespace tsodso::testing
