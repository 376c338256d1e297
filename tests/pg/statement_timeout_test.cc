// The statement timeout every gateway connection carries: a statement that
// runs past it fails with DEADLINE_EXCEEDED, rolls its transaction back,
// and the session keeps the limit across a reconnection.
#include <gtest/gtest.h>

#include "pg/pg_fixture.h"
#include "support/status_testing.h"

namespace tsodso::testing {
namespace {

using store::PgConnection;
using store::SessionOptions;

class StatementTimeoutTest : public PgTest {
 protected:
  std::unique_ptr<PgConnection> OpenLimited(int timeout_ms) {
    auto conn = PgConnection::Open(dsn_, SessionOptions{.statement_timeout_ms = timeout_ms});
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? std::move(*conn) : nullptr;
  }
};

TEST_F(StatementTimeoutTest, AStatementPastTheLimitIsDeadlineExceededAndTheSessionStaysUsable) {
  auto conn = OpenLimited(200);
  ASSERT_NE(conn, nullptr);
  auto shown = conn->Exec("SHOW statement_timeout");
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(shown->Text(0, 0), "200ms");

  auto slept = conn->Exec("SELECT pg_sleep(2)");
  EXPECT_TRUE(StatusIs(slept.status(), absl::StatusCode::kDeadlineExceeded, {"statement timeout", "57014"}));
  // A statement within the limit runs, on the same session.
  auto quick = conn->Exec("SELECT pg_sleep(0.01), 1");
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_TRUE(conn->healthy());
}

TEST_F(StatementTimeoutTest, ATimedOutStatementRollsItsTransactionBack) {
  auto conn = OpenLimited(200);
  ASSERT_NE(conn, nullptr);
  Sql("CREATE TABLE timeout_probe (v int)");
  absl::Status st = store::InTransaction(*conn, [&]() -> absl::Status {
    auto inserted = conn->Exec("INSERT INTO timeout_probe VALUES (1)");
    if (!inserted.ok()) return inserted.status();
    return conn->Exec("SELECT pg_sleep($1::float8)", {"2"}).status();
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kDeadlineExceeded) << st;
  EXPECT_EQ(Count("timeout_probe"), 0);
}

TEST_F(StatementTimeoutTest, ANewSessionAfterALostConnectionKeepsTheLimit) {
  auto conn = OpenLimited(200);
  ASSERT_NE(conn, nullptr);
  auto pid = conn->Exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok()) << pid.status();
  Sql("SELECT pg_terminate_backend($1::int)", {pid->Text(0, 0)});
  // The first statement finds the session gone; reconnecting restores it
  // with the same settings.
  (void)conn->Exec("SELECT 1");
  ASSERT_TRUE(conn->EnsureConnected().ok());
  auto shown = conn->Exec("SHOW statement_timeout");
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(shown->Text(0, 0), "200ms");
}

TEST_F(StatementTimeoutTest, NoLimitUnlessAsked) {
  auto shown = conn_->Exec("SHOW statement_timeout");
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(shown->Text(0, 0), "0");
}

}  // namespace
}  // namespace tsodso::testing
