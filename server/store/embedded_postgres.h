// A private PostgreSQL cluster under a data directory, for a first run with
// no database configured and for tests: unix socket only, inside the
// cluster's own directory, owned by an unprivileged user.
//
// The postmaster runs as a child of this process and dies with it: should
// this process be killed (even by SIGKILL), the kernel asks the postmaster
// for a fast shutdown. Whether a cluster of the directory already runs is
// decided by connecting to its socket, never by postmaster.pid alone.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tsodso::store {

struct EmbeddedPostgresOptions {
  // Directory that holds the cluster (created if missing).
  std::string cluster_dir;
  // Directory of initdb/postgres; empty: `pg_config --bindir`, then
  // /usr/lib/postgresql/<newest>/bin.
  std::string bin_dir;
  // User that owns and runs the cluster when we run as root (PostgreSQL
  // refuses to run as root).
  std::string run_as_user = "postgres";
  std::string database = "tsodso";
  // Whether this process owns the cluster: yes for the daemon and tests. An
  // owner that finds the cluster running (left by an older process) stops
  // it and starts it again as its own child, so that it cannot outlive the
  // owner; Stop() stops it. No for one-shot commands such as `audit
  // verify`: a cluster found running is used as it is and left running.
  bool stop_adopted = true;
  // How long Start() waits for the cluster to accept connections, including
  // the wait for an earlier postmaster of the directory to finish stopping.
  absl::Duration start_timeout = absl::Seconds(60);
};

class ChildPostmaster;

class EmbeddedPostgres {
 public:
  explicit EmbeddedPostgres(EmbeddedPostgresOptions options);
  ~EmbeddedPostgres();
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // Create the cluster on first use, start it (after any earlier postmaster
  // of the directory has stopped; see stop_adopted), create the database,
  // and return a DSN for it.
  absl::StatusOr<std::string> Start();
  // Stop the server (fast shutdown: open transactions roll back) and wait
  // for it.
  absl::Status Stop();
  bool running() const { return running_; }
  const std::string& dsn() const { return dsn_; }

 private:
  absl::Status RunTool(const std::string& tool, const std::vector<std::string>& args, bool as_owner);
  // Find the bin directory, create the directory and the cluster.
  absl::Status Prepare();
  // Wait until no other postmaster of the directory runs, or (not an owner)
  // one accepts connections; return whether one does.
  absl::StatusOr<bool> SettleEarlierPostmaster(absl::Time deadline);
  // Start the postmaster as a child and wait until it accepts connections.
  absl::Status Launch(absl::Time deadline);
  absl::Status CreateDatabase();

  EmbeddedPostgresOptions options_;
  std::string bin_dir_;
  std::string pgdata_;
  std::string admin_dsn_;
  std::string dsn_;
  bool drop_privileges_ = false;
  bool running_ = false;
  bool adopted_ = false;
  std::unique_ptr<ChildPostmaster> child_;
};

}  // namespace tsodso::store
