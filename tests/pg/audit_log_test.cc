#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "pg_fixture.h"
#include "store/audit_store.h"
#include "support/status_testing.h"

namespace tsodso::store {
namespace {

using ::tsodso::testing::StatusIs;

AuditEntry Entry(int i) {
  AuditEntry e;
  e.party_id = i % 3 == 0 ? "" : absl::StrCat("party-", i % 4);
  e.method = i % 2 ? "/tsodso.v1.OperatorService/PublishNotice" : "/tsodso.v1.FeedService/Subscribe";
  e.outcome = i % 5 == 0 ? "PERMISSION_DENIED" : "OK";
  e.request_digest = core::Sha256Hex(absl::StrCat("request ", i));
  e.response_digest = core::Sha256Hex(absl::StrCat("response ", i));
  return e;
}

class AuditLogTest : public ::tsodso::testing::PgTest {
 protected:
  void AppendMany(int n) {
    for (int i = 1; i <= n; ++i) {
      absl::Status st = AppendAuditNow(*conn_, Entry(i));
      ASSERT_TRUE(st.ok()) << st;
    }
  }
};

TEST_F(AuditLogTest, EmptyLogVerifies) {
  auto v = VerifyAuditLog(*conn_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->records, 0);
  EXPECT_EQ(v->last_hash, core::kGenesisHash);
}

TEST_F(AuditLogTest, AppendedChainVerifies) {
  AppendMany(25);
  auto v = VerifyAuditLog(*conn_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->records, 25);
  EXPECT_EQ(v->last_hash, Sql("SELECT hash FROM audit_log WHERE id = 25").Text(0, 0));
  EXPECT_EQ(Sql("SELECT last_id FROM audit_head").Int64(0, 0), 25);
  EXPECT_EQ(Sql("SELECT min(id), max(id), count(*) FROM audit_log").Text(0, 2), "25");
  // Stored fields are the ones given.
  auto row = Sql("SELECT party_id, method, outcome, request_digest FROM audit_log WHERE id = 10");
  const AuditEntry want = Entry(10);
  EXPECT_EQ(row.Text(0, 0), want.party_id);
  EXPECT_EQ(row.Text(0, 1), want.method);
  EXPECT_EQ(row.Text(0, 2), want.outcome);
  EXPECT_EQ(row.Text(0, 3), want.request_digest);
}

TEST_F(AuditLogTest, AlteredRowIsDataLossNamingItsId) {
  AppendMany(25);
  const std::string original = Sql("SELECT outcome FROM audit_log WHERE id = 13").Text(0, 0);
  Sql("UPDATE audit_log SET outcome = 'OK_BUT_FORGED' WHERE id = 13");
  EXPECT_TRUE(StatusIs(VerifyAuditLog(*conn_), absl::StatusCode::kDataLoss, {"audit record 13 ", "altered"}));

  Sql("UPDATE audit_log SET outcome = $1 WHERE id = 13", {original});
  auto restored = VerifyAuditLog(*conn_);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->records, 25);

  Sql("UPDATE audit_log SET at_us = at_us + 1 WHERE id = 20");
  EXPECT_TRUE(StatusIs(VerifyAuditLog(*conn_), absl::StatusCode::kDataLoss, {"audit record 20 "}));
}

TEST_F(AuditLogTest, DeletedMiddleRowIsDataLossMissing) {
  AppendMany(25);
  Sql("DELETE FROM audit_log WHERE id = 12");
  EXPECT_TRUE(StatusIs(VerifyAuditLog(*conn_), absl::StatusCode::kDataLoss, {"audit record 12", "missing"}));
}

TEST_F(AuditLogTest, DeletedLastRowIsDataLossAboutTheHead) {
  AppendMany(5);
  Sql("DELETE FROM audit_log WHERE id = 5");
  EXPECT_TRUE(StatusIs(VerifyAuditLog(*conn_), absl::StatusCode::kDataLoss, {"ends at record 4", "head", "5"}));
}

TEST_F(AuditLogTest, RewrittenHeadIsDataLoss) {
  AppendMany(5);
  Sql("UPDATE audit_head SET last_hash = (SELECT hash FROM audit_log WHERE id = 4)");
  EXPECT_TRUE(StatusIs(VerifyAuditLog(*conn_), absl::StatusCode::kDataLoss, {"head"}));
}

TEST_F(AuditLogTest, AppendInsideARolledBackTransactionLeavesNoTrace) {
  AppendMany(3);
  absl::Status st = InTransaction(*conn_, [&]() -> absl::Status {
    if (auto s = AppendAudit(*conn_, Entry(99)); !s.ok()) return s;
    return absl::AbortedError("the RPC's own transaction failed");
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(AppendAuditNow(*conn_, Entry(4)).ok());
  auto v = VerifyAuditLog(*conn_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->records, 4);
}

TEST_F(AuditLogTest, ConcurrentAppendersKeepTheChainLinear) {
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<absl::Status> failures[kThreads];
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto conn = PgConnection::Open(dsn_);
      if (!conn.ok()) {
        failures[t].push_back(conn.status());
        return;
      }
      for (int i = 0; i < kEach; ++i) {
        if (auto st = AppendAuditNow(**conn, Entry(t * 1000 + i)); !st.ok()) failures[t].push_back(st);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& f : failures) {
    for (const auto& st : f) ADD_FAILURE() << st;
  }
  auto v = VerifyAuditLog(*conn_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->records, kThreads * kEach);
  EXPECT_EQ(Sql("SELECT max(id) FROM audit_log").Int64(0, 0), kThreads * kEach);
}

TEST_F(AuditLogTest, VerifyIsConsistentWhileAppendsRun) {
  AppendMany(10);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto conn = PgConnection::Open(dsn_);
    if (!conn.ok()) return;
    for (int i = 0; !stop && i < 500; ++i) (void)AppendAuditNow(**conn, Entry(i));
  });
  for (int i = 0; i < 20; ++i) {
    auto v = VerifyAuditLog(*conn_);
    EXPECT_TRUE(v.ok()) << v.status();
  }
  stop = true;
  writer.join();
}

}  // namespace
}  // namespace tsodso::store
