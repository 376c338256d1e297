// Statements sent in one round trip (libpq's pipeline mode): results in
// order, the first failure reported and nothing after it run, and a
// deferred statement sent with the next one, its failure that statement's.
#include <gtest/gtest.h>

#include "pg_fixture.h"
#include "store/pg.h"

namespace tsodso::store {
namespace {

class PipelineTest : public ::tsodso::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    Sql("CREATE TABLE piped (n int PRIMARY KEY)");
  }
};

TEST_F(PipelineTest, StatementsRunInOrderAndAnswerEach) {
  auto results = conn_->ExecPipeline({{"INSERT INTO piped VALUES ($1)", {1}},
                                      {"INSERT INTO piped VALUES ($1)", {2}},
                                      {"SELECT sum(n) FROM piped", {}},
                                      {"SELECT n * $1::int FROM piped ORDER BY n", {10}}});
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 4u);
  EXPECT_EQ((*results)[2].Int64(0, 0), 3);
  ASSERT_EQ((*results)[3].rows(), 2);
  EXPECT_EQ((*results)[3].Int64(1, 0), 20);
  // The connection is usable as before, prepared statements included.
  EXPECT_EQ(Sql("SELECT count(*) FROM piped").Int64(0, 0), 2);
  auto again = conn_->Exec("SELECT n * $1::int FROM piped ORDER BY n", {3});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->Int64(0, 0), 3);
}

TEST_F(PipelineTest, TheFirstFailureIsReportedAndNothingAfterItRuns) {
  ASSERT_TRUE(conn_->Exec("BEGIN").ok());
  auto results = conn_->ExecPipeline({{"INSERT INTO piped VALUES ($1)", {1}},
                                      {"INSERT INTO piped VALUES ($1)", {1}},
                                      {"INSERT INTO piped VALUES ($1)", {2}}});
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), absl::StatusCode::kAlreadyExists) << results.status();
  EXPECT_NE(results.status().message().find("INSERT INTO piped"), std::string::npos) << results.status();
  ASSERT_TRUE(conn_->Exec("ROLLBACK").ok());
  EXPECT_EQ(Count("piped"), 0);
  // Outside a transaction, the pipeline is one implicit transaction: the
  // statement before the failure is rolled back with it.
  results = conn_->ExecPipeline(
      {{"INSERT INTO piped VALUES ($1)", {5}}, {"SELECT 1/0", {}}, {"INSERT INTO piped VALUES ($1)", {6}}});
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(Count("piped"), 0);
  EXPECT_TRUE(conn_->healthy());
}

TEST_F(PipelineTest, ADeferredStatementGoesWithTheNextAndItsFailureIsThatStatements) {
  conn_->Defer("BEGIN");
  ASSERT_TRUE(conn_->deferred());
  ASSERT_TRUE(conn_->Exec("INSERT INTO piped VALUES ($1)", {7}).ok());
  EXPECT_FALSE(conn_->deferred());
  EXPECT_TRUE(conn_->deferred_status().ok());
  // The deferred BEGIN opened a transaction: the insert rolls back.
  ASSERT_TRUE(conn_->Exec("ROLLBACK").ok());
  EXPECT_EQ(Count("piped"), 0);

  // A deferred statement that fails: the statement after it does not run,
  // fails with its error, and the failure is kept until dropped.
  ASSERT_TRUE(conn_->Exec("BEGIN").ok());
  conn_->Defer("RELEASE SAVEPOINT nowhere");
  auto insert = conn_->Exec("INSERT INTO piped VALUES ($1)", {8});
  ASSERT_FALSE(insert.ok());
  EXPECT_NE(insert.status().message().find("RELEASE SAVEPOINT"), std::string::npos) << insert.status();
  EXPECT_FALSE(conn_->deferred_status().ok());
  conn_->DropDeferred();
  EXPECT_TRUE(conn_->deferred_status().ok());
  ASSERT_TRUE(conn_->Exec("ROLLBACK").ok());

  // A pipeline carries the deferred statements first, and answers for its
  // own statements only.
  conn_->Defer("BEGIN");
  auto piped = conn_->ExecPipeline({{"INSERT INTO piped VALUES ($1)", {10}}, {"SELECT count(*) FROM piped", {}}});
  ASSERT_TRUE(piped.ok()) << piped.status();
  ASSERT_EQ(piped->size(), 2u);
  EXPECT_EQ((*piped)[1].Int64(0, 0), 1);
  ASSERT_TRUE(conn_->Exec("ROLLBACK").ok());
  EXPECT_EQ(Count("piped"), 0);
  // So does a script, just before it.
  conn_->Defer("BEGIN");
  ASSERT_TRUE(conn_->ExecScript("INSERT INTO piped VALUES (11); INSERT INTO piped VALUES (12)").ok());
  ASSERT_TRUE(conn_->Exec("ROLLBACK").ok());
  EXPECT_EQ(Count("piped"), 0);

  // Dropped unsent: never run.
  conn_->Defer("INSERT INTO piped VALUES (9)");
  conn_->DropDeferred();
  ASSERT_TRUE(conn_->Exec("SELECT $1::int", {1}).ok());
  EXPECT_EQ(Count("piped"), 0);
}

}  // namespace
}  // namespace tsodso::store
