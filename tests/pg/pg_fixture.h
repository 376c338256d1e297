// A fresh, migrated database per test in the binary's private cluster.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/migrations.h"
#include "store/pg.h"
#include "support/pg_cluster.h"

namespace tsodso::testing {

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dsn_ = PgCluster::Get().NewDatabase();
    ASSERT_FALSE(dsn_.empty());
    conn_ = Connect();
    ASSERT_NE(conn_, nullptr);
    auto applied = store::Migrate(*conn_);
    ASSERT_TRUE(applied.ok()) << applied.status();
  }

  // Open another connection to the test database (fails the test on error).
  std::unique_ptr<store::PgConnection> Connect() {
    auto conn = store::PgConnection::Open(dsn_);
    if (!conn.ok()) {
      ADD_FAILURE() << conn.status();
      return nullptr;
    }
    return std::move(*conn);
  }

  // Run a statement that must succeed and return its result.
  store::PgResult Sql(const std::string& sql, const std::vector<store::Param>& params = {}) {
    auto r = conn_->Exec(sql, params);
    if (!r.ok()) {
      ADD_FAILURE() << r.status();
      std::abort();
    }
    return std::move(*r);
  }

  int64_t Count(const std::string& table) { return Sql("SELECT count(*) FROM " + table).Int64(0, 0); }

  std::string dsn_;
  std::unique_ptr<store::PgConnection> conn_;
};

}  // namespace tsodso::testing
