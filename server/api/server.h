// The gRPC server: mutual TLS, the party auth processor, the tsodso.v1
// services, health and reflection.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/identity.h"
#include "api/parse_guard.h"
#include "api/services.h"

namespace tsodso::api {

struct TlsOptions {
  std::string cert_file;       // server certificate chain (PEM)
  std::string key_file;        // server private key (PEM)
  std::string client_ca_file;  // CAs that sign client certificates (PEM)
  std::string crl_dir;         // optional: directory of CRLs (hashed names)
  IdentitySource identity_source = IdentitySource::kSubjectCn;
  // How often the certificate files are re-read, so that a renewed
  // certificate or CA bundle is picked up without a restart.
  int refresh_interval_s = 60;
};

struct KeepaliveOptions {
  // The server pings an idle connection this often, and drops it when the
  // ping is not answered within timeout_ms: a vanished TSO client is
  // noticed within about 40 s and its stream freed.
  int time_ms = 30000;
  int timeout_ms = 10000;
  // Clients may ping at most this often (gRPC default is 5 min, which
  // would make clients with a 10 s keepalive be disconnected).
  int min_client_ping_interval_ms = 10000;
  // A connection older than this (±10 %, gRPC's jitter) is sent GOAWAY, so
  // long-lived clients reconnect and spread over the replicas behind a
  // load balancer; 0: connections live as long as their clients. Calls in
  // flight get max_connection_age_grace_ms to finish; a stream still open
  // then ends with UNAVAILABLE and is resumed from its last seq.
  int max_connection_age_ms = 1800000;
  int max_connection_age_grace_ms = 60000;
};

struct ServerOptions {
  std::string listen_address;
  TlsOptions tls;
  KeepaliveOptions keepalive;
};

class GatewayServer {
 public:
  // Build and start listening. The chosen port is port() (useful with :0).
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(const ServerOptions& options, ServiceContext& ctx);
  int port() const { return port_; }
  // Stop accepting calls and wait up to `grace` for running ones.
  void Shutdown(absl::Duration grace);
  void SetServing(bool serving);

 private:
  GatewayServer(ServiceContext& ctx);
  RegistryServiceImpl registry_;
  OperatorServiceImpl operator_;
  FlexibilityServiceImpl flexibility_;
  BidValidationServiceImpl validation_;
  ScheduleServiceImpl schedules_;
  PrequalificationServiceImpl prequalification_;
  CurtailmentServiceImpl curtailment_;
  ForecastServiceImpl forecasts_;
  FeedServiceImpl feed_;
  std::vector<std::unique_ptr<ParseGuardedService>> guarded_;  // what the server registers
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace tsodso::api
