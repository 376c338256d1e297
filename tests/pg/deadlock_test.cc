// Two transactions that take the same two row locks in opposite orders:
// PostgreSQL breaks the cycle, and the one it picks fails with ABORTED,
// naming SQLSTATE 40P01 (what the API turns into "met a concurrent one;
// retry with the same idempotency key"), while the other commits.
#include <gtest/gtest.h>

#include <future>
#include <latch>

#include "pg/pg_fixture.h"
#include "support/status_testing.h"

namespace tsodso::testing {
namespace {

using store::PgConnection;

class DeadlockTest : public PgTest {};

TEST_F(DeadlockTest, TheLoserOfALockCycleIsAbortedNamingItsSqlstateAndRollsBack) {
  Sql("CREATE TABLE cycle (id int PRIMARY KEY, v int NOT NULL)");
  Sql("INSERT INTO cycle VALUES (1, 0), (2, 0)");
  std::latch first_locks(2);
  // Each transaction locks its own row, waits until the other has too, then
  // asks for the other's row.
  auto transfer = [&](int mine, int theirs) {
    auto conn = PgConnection::Open(dsn_);
    if (!conn.ok()) return conn.status();
    return store::InTransaction(**conn, [&]() -> absl::Status {
      auto own = (*conn)->Exec("UPDATE cycle SET v = v + 1 WHERE id = $1::int", {std::to_string(mine)});
      first_locks.count_down();
      if (!own.ok()) return own.status();
      first_locks.wait();
      return (*conn)->Exec("UPDATE cycle SET v = v + 10 WHERE id = $1::int", {std::to_string(theirs)}).status();
    });
  };
  auto a = std::async(std::launch::async, transfer, 1, 2);
  auto b = std::async(std::launch::async, transfer, 2, 1);
  const absl::Status sa = a.get();
  const absl::Status sb = b.get();
  ASSERT_NE(sa.ok(), sb.ok()) << sa << " / " << sb;
  const absl::Status& lost = sa.ok() ? sb : sa;
  EXPECT_TRUE(StatusIs(lost, absl::StatusCode::kAborted, {"[SQLSTATE 40P01]"}));
  // The winner's two updates stand; the loser's own row update is undone.
  const int winner_row = sa.ok() ? 1 : 2;
  const int loser_row = 3 - winner_row;
  EXPECT_EQ(Sql("SELECT v FROM cycle WHERE id = $1::int", {std::to_string(winner_row)}).Int64(0, 0), 1);
  EXPECT_EQ(Sql("SELECT v FROM cycle WHERE id = $1::int", {std::to_string(loser_row)}).Int64(0, 0), 10);
}

}  // namespace
}  // namespace tsodso::testing
