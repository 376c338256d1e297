// A private PostgreSQL cluster under a data directory, for a first run with
// no database configured and for tests: unix socket only, inside the
// cluster's own directory, owned by an unprivileged user.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tsodso::store {

struct EmbeddedPostgresOptions {
  // Directory that holds the cluster (created if missing).
  std::string cluster_dir;
  // Directory of initdb/pg_ctl; empty: `pg_config --bindir`, then
  // /usr/lib/postgresql/<newest>/bin.
  std::string bin_dir;
  // User that owns and runs the cluster when we run as root (PostgreSQL
  // refuses to run as root).
  std::string run_as_user = "postgres";
  std::string database = "tsodso";
  // Whether Stop() also stops a cluster that was already running when
  // Start() found it (left by a killed daemon): yes for the daemon, which
  // owns the cluster; no for one-shot commands such as `audit verify`.
  bool stop_adopted = true;
};

class EmbeddedPostgres {
 public:
  explicit EmbeddedPostgres(EmbeddedPostgresOptions options);
  ~EmbeddedPostgres();

  // Create the cluster on first use, start it (or adopt one already
  // running from an earlier, killed process), create the database, and
  // return a DSN for it.
  absl::StatusOr<std::string> Start();
  // Stop the server (fast shutdown: open transactions roll back).
  absl::Status Stop();
  bool running() const { return running_; }
  const std::string& dsn() const { return dsn_; }

 private:
  absl::Status RunTool(const std::string& tool, const std::vector<std::string>& args, bool as_owner);

  EmbeddedPostgresOptions options_;
  std::string bin_dir_;
  std::string dsn_;
  bool drop_privileges_ = false;
  bool running_ = false;
  bool adopted_ = false;
};

}  // namespace tsodso::store
