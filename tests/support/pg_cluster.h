// A real PostgreSQL for tests: one private cluster per test binary (started
// with the gateway's own EmbeddedPostgres), a fresh database per test.
#pragma once

#include <memory>
#include <string>

#include "store/embedded_postgres.h"
#include "support/temp_dir.h"

namespace tsodso::testing {

class PgCluster {
 public:
  // The cluster of this test binary, started on first use and stopped at
  // exit; its postmaster is a child of the binary and also stops when the
  // binary is killed. Fails the test (fatally) when PostgreSQL cannot start: a missing
  // database is an error in CI, never a skip.
  static PgCluster& Get();

  // Create an empty database and return its DSN.
  std::string NewDatabase();
  // Stop and start the server under whatever is connected to it.
  void Stop();
  void Start();
  const std::string& admin_dsn() const { return admin_dsn_; }

  ~PgCluster();

 private:
  PgCluster();
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<store::EmbeddedPostgres> pg_;
  std::string admin_dsn_;
  int next_db_ = 0;
};

}  // namespace tsodso::testing
