#include "support/pg_cluster.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "store/pg.h"

namespace tsodso::testing {

PgCluster& PgCluster::Get() {
  static PgCluster* cluster = [] {
    auto* c = new PgCluster();
    std::atexit([] { delete &Get(); });
    return c;
  }();
  return *cluster;
}

PgCluster::PgCluster() {
  dir_ = std::make_unique<TempDir>("pg");
  store::EmbeddedPostgresOptions opts;
  opts.cluster_dir = *dir_ / "cluster";
  opts.database = "postgres";
  pg_ = std::make_unique<store::EmbeddedPostgres>(opts);
  auto dsn = pg_->Start();
  if (!dsn.ok()) {
    std::fprintf(stderr, "cannot start the test PostgreSQL: %s\n", std::string(dsn.status().message()).c_str());
    std::abort();
  }
  admin_dsn_ = *dsn;
}

PgCluster::~PgCluster() { (void)pg_->Stop(); }

std::string PgCluster::NewDatabase() {
  auto conn = store::PgConnection::Open(admin_dsn_);
  if (!conn.ok()) {
    ADD_FAILURE() << conn.status();
    return "";
  }
  const std::string name = "test_" + std::to_string(getpid()) + "_" + std::to_string(++next_db_);
  auto st = (*conn)->ExecScript("CREATE DATABASE " + name);
  if (!st.ok()) ADD_FAILURE() << st;
  std::string dsn = admin_dsn_;
  dsn.replace(dsn.find("dbname=postgres"), std::string("dbname=postgres").size(), "dbname=" + name);
  return dsn;
}

void PgCluster::Stop() {
  auto st = pg_->Stop();
  ASSERT_TRUE(st.ok()) << st;
}

void PgCluster::Start() {
  auto dsn = pg_->Start();
  ASSERT_TRUE(dsn.ok()) << dsn.status();
}

}  // namespace tsodso::testing
