// What a caller is told of a failure inside the gateway (api::ForCaller):
// enough to act on (retry, and how), never the database's own words.
#include <gtest/gtest.h>

#include "api/dispatch.h"
#include "support/status_testing.h"

namespace tsodso::api {
namespace {

using testing::StatusIs;

TEST(ForCallerTest, ADeadlockOrSerializationFailureIsAbortedWithARetryHint) {
  for (const char* state : {"40P01", "40001"}) {
    const absl::Status st = ForCaller(absl::AbortedError(
        std::string("UPDATE traffic_lights ...: ERROR: deadlock detected [SQLSTATE ") + state + "]"));
    EXPECT_TRUE(StatusIs(st, absl::StatusCode::kAborted, {"concurrent", "retry with the same idempotency key"}))
        << state;
    EXPECT_EQ(std::string(st.message()).find("traffic_lights"), std::string::npos) << st;
  }
}

TEST(ForCallerTest, OtherAbortsAndInternalErrorsSayOnlyThatNothingWasApplied) {
  for (const absl::Status& in : {absl::AbortedError("transaction was rolled back at COMMIT"),
                                 absl::InternalError("unexpected row count in events [SQLSTATE 23505]"),
                                 absl::DataLossError("audit chain broken at 42")}) {
    const absl::Status st = ForCaller(in);
    EXPECT_EQ(st.code(), in.code());
    EXPECT_EQ(st.message(), "internal error; the request was not applied") << in;
  }
}

TEST(ForCallerTest, StorageUnavailableAsksForARetryButAStoppingGatewaySaysSo) {
  EXPECT_TRUE(StatusIs(ForCaller(absl::UnavailableError("connection to 10.0.0.5:5432 refused")),
                       absl::StatusCode::kUnavailable, {"storage is unavailable", "same idempotency key"}));
  const absl::Status stopping = absl::UnavailableError("gateway is shutting down; resubscribe");
  EXPECT_EQ(ForCaller(stopping), stopping);
}

TEST(ForCallerTest, ADatabaseStatementTimeoutIsDeadlineExceededNamingNoStatement) {
  const absl::Status st =
      ForCaller(absl::DeadlineExceededError("database: canceling statement due to statement timeout"));
  EXPECT_TRUE(StatusIs(st, absl::StatusCode::kDeadlineExceeded, {"was not applied", "retry later"}));
  const absl::Status callers = absl::DeadlineExceededError("computation took longer than the call's deadline");
  EXPECT_EQ(ForCaller(callers), callers);
}

TEST(ForCallerTest, ACallersOwnMistakeIsPassedOnAsIs) {
  const absl::Status bad = absl::InvalidArgumentError("pcc_id: 'X' is not a PCC");
  EXPECT_EQ(ForCaller(bad), bad);
}

}  // namespace
}  // namespace tsodso::api
