// Wiring of the daemon: database (configured or embedded), migrations,
// worker pool, event log follower, gRPC server, signals and shutdown.
#pragma once

#include <string>

#include "app/config.h"

namespace tsodso::app {

struct RunOptions {
  // When set, write {"port": N, "pid": P} here once the server listens.
  std::string ready_file;
};

// Run until SIGTERM or SIGINT; return the process exit code.
int RunGateway(const GatewayConfig& config, const RunOptions& options);

// `tsodso-gatewayd audit verify`: check the audit chain; exit code 0 when
// intact, 1 when a record does not fit, 2 when the check could not run.
int VerifyAudit(const GatewayConfig& config);

}  // namespace tsodso::app
