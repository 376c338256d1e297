#include "store/migrations.h"

#include <gtest/gtest.h>

#include <thread>

#include "store/pg.h"
#include "support/pg_cluster.h"
#include "support/status_testing.h"

namespace tsodso::store {
namespace {

using ::tsodso::testing::PgCluster;

std::unique_ptr<PgConnection> Open(const std::string& dsn) {
  auto conn = PgConnection::Open(dsn);
  EXPECT_TRUE(conn.ok()) << conn.status();
  return conn.ok() ? std::move(*conn) : nullptr;
}

TEST(MigrationsTest, EmbeddedMigrationsAreNumberedInOrder) {
  const auto& all = EmbeddedMigrations();
  ASSERT_FALSE(all.empty());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version, static_cast<int>(i) + 1) << all[i].name;
    const std::string sql(all[i].sql);
    EXPECT_TRUE(sql.find("CREATE ") != std::string::npos || sql.find("ALTER ") != std::string::npos) << all[i].name;
  }
}

TEST(MigrationsTest, FreshDatabaseGetsEveryMigrationOnce) {
  auto conn = Open(PgCluster::Get().NewDatabase());
  ASSERT_NE(conn, nullptr);
  auto first = Migrate(*conn);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_GT(*first, 0);
  EXPECT_EQ(*first, static_cast<int>(EmbeddedMigrations().size()));

  auto second = Migrate(*conn);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, 0);

  auto recorded = conn->Exec("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_EQ(recorded->Int64(0, 0), *first);

  for (const char* table : {"event_seq", "events", "notices", "idempotency_keys", "audit_log", "audit_head"}) {
    auto r = conn->Exec("SELECT to_regclass($1) IS NOT NULL", {std::string("public.") + table});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->Text(0, 0), "t") << table << " was not created";
  }
  auto seq = conn->Exec("SELECT last_seq FROM event_seq");
  ASSERT_TRUE(seq.ok()) << seq.status();
  ASSERT_EQ(seq->rows(), 1);
  EXPECT_EQ(seq->Int64(0, 0), 0);
  auto head = conn->Exec("SELECT last_id, last_hash FROM audit_head");
  ASSERT_TRUE(head.ok()) << head.status();
  ASSERT_EQ(head->rows(), 1);
  EXPECT_EQ(head->Int64(0, 0), 0);
  EXPECT_EQ(head->Text(0, 1), std::string(64, '0'));
}

TEST(MigrationsTest, ReplicasMigratingTogetherApplyEachMigrationOnce) {
  const std::string dsn = PgCluster::Get().NewDatabase();
  constexpr int kReplicas = 4;
  std::vector<absl::StatusOr<int>> results(kReplicas, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      auto conn = PgConnection::Open(dsn);
      if (!conn.ok()) {
        results[i] = conn.status();
        return;
      }
      results[i] = Migrate(**conn);
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    total += *r;
  }
  EXPECT_EQ(total, static_cast<int>(EmbeddedMigrations().size()));
}

TEST(PgConnectionTest, UnreachableDatabaseIsUnavailableNamingTheHost) {
  auto conn = PgConnection::Open("host=/nonexistent/socket/dir dbname=x connect_timeout=2");
  EXPECT_TRUE(::tsodso::testing::StatusIs(conn, absl::StatusCode::kUnavailable, {"/nonexistent/socket/dir"}));
}

TEST(PgConnectionTest, SqlErrorsMapToStatusCodes) {
  auto conn = Open(PgCluster::Get().NewDatabase());
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->ExecScript("CREATE TABLE t (k integer PRIMARY KEY)").ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO t VALUES ($1)", {7}).ok());
  EXPECT_TRUE(::tsodso::testing::StatusIs(conn->Exec("INSERT INTO t VALUES ($1)", {7}),
                                          absl::StatusCode::kAlreadyExists, {"23505"}));
  EXPECT_TRUE(::tsodso::testing::StatusIs(conn->Exec("SELECT * FROM no_such_table"), absl::StatusCode::kInternal,
                                          {"no_such_table"}));
  // The connection stays usable after errors.
  auto r = conn->Exec("SELECT count(*) FROM t");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Int64(0, 0), 1);
}

}  // namespace
}  // namespace tsodso::store
