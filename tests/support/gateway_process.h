// The real daemon as a child process, with real demo certificates, for
// end-to-end tests; and the real CLI as a command.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "lib/client.h"
#include "support/temp_dir.h"

namespace tsodso::testing {

// Certificates from deploy/certs/make-demo-certs.sh, made once per binary.
class DemoCerts {
 public:
  static const DemoCerts& Get();
  // Path of `<name>.crt` / `<name>.key` / any file in the certificate dir.
  std::string File(const std::string& name) const { return dir_->path() + "/certs/" + name; }

 private:
  DemoCerts();
  std::unique_ptr<TempDir> dir_;
};

// A PCC beyond the demo's three, with its flexibility scenario and, when
// given, its network model directory.
struct ExtraPcc {
  std::string id;
  std::string scenario;
  std::string grid_model_dir;
};

struct GatewayOptions {
  // The daemon binary; empty: this build's tsodso-gatewayd. Benchmarks set
  // it to another build's daemon to measure both in one run.
  std::string daemon;
  std::string dsn;  // empty: the daemon's own private cluster in data_dir
  int port = 0;     // 0: any free port
  int heartbeat_ms = 300;
  int queue_capacity = 1024;
  int replay_page = 500;
  int shutdown_grace_ms = 3000;
  // Publish PS Sud flexibility from the repository's config/ scenarios.
  bool flexibility = false;
  std::string flexibility_current;  // scenario file for "current"; default config/ps-sud/as-is.yaml
  // flexibility.publish_interval_s and flexibility.lease_period_s (0: the
  // daemon's default).
  int flexibility_interval_s = 900;
  int lease_period_s = 0;
  // flexibility.grid_area_cache: off, every cycle computes every interval
  // (and holds its lease for seconds).
  bool grid_area_cache = true;
  // Further PCCs with flexibility (and networks): for many-PCC tests and
  // benchmarks. They are published even without `flexibility`.
  std::vector<ExtraPcc> extra_pccs;
  // forecast.enabled.
  bool forecasts = true;
  // Run the daemon on this CPU only (taskset); -1: any.
  int cpu = -1;
  // Validate PS Sud's merit order lists on this network model directory
  // (e.g. config/grids/ps-sud); empty: no network model.
  std::string grid_model_dir;
  // PS Sud's metered load history (forecast.history; column load_mw);
  // empty: the scenario's profile stands in.
  std::string forecast_history;
  // database.pool_size: the daemon's database workers.
  int pool_size = 3;
  // tls.crl_dir and tls.refresh_interval_s (0: the default).
  std::string crl_dir;
  int tls_refresh_interval_s = 0;
  std::string log_level = "info";
  std::string log_format = "text";
  // metrics.listen; empty: no metrics listener.
  std::string metrics_listen;
  // Parties of the demo registry left out of the configuration.
  std::vector<std::string> omitted_parties;
  // Further portfolios of agg-1 at PS_SUD, named agg1-sud-bench-<i> for i
  // in [0, n), so that concurrent aggregator clients need not share one.
  int extra_agg1_portfolios = 0;
  // Limits; 0 leaves the daemon's default.
  int max_streams_per_party = 0;        // feed.max_streams_per_party
  int recent_events = -1;               // feed.recent_events; -1: the daemon's default
  int hand_over = -1;                   // feed.hand_over: 0 false, 1 true; -1: the daemon's default
  int statement_timeout_ms = 0;         // database.statement_timeout_ms
  int max_connection_age_ms = 0;        // keepalive.max_connection_age_ms
  int max_connection_age_grace_ms = 0;  // keepalive.max_connection_age_grace_ms
  int min_client_ping_interval_ms = 0;  // keepalive.min_client_ping_interval_ms
};

class GatewayProcess {
 public:
  explicit GatewayProcess(GatewayOptions options);
  ~GatewayProcess();

  // Start the daemon and wait until it listens (or fail with its log).
  absl::Status Start();
  // The options the configuration is written from; after a change,
  // WriteConfig() and Signal(SIGHUP) reload them into the running daemon.
  GatewayOptions& options() { return options_; }
  void WriteConfig();
  void Signal(int signal) const;
  // SIGKILL, as a crash: no shutdown code runs.
  void Kill9();
  // SIGTERM and wait; return the exit code, or -1 if it did not exit.
  int Terminate(int timeout_ms = 20000);
  bool running() const { return pid_ > 0; }
  // True while the daemon process has not exited (a crash ends it).
  bool Alive() const;
  // Resident memory of the daemon in KiB, from /proc; -1 when unknown.
  int64_t RssKib() const;
  int port() const { return port_; }
  // The metrics listener's port (0: none).
  int metrics_port() const { return metrics_port_; }
  pid_t pid() const { return pid_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Log() const;
  const std::string& config_path() const { return config_path_; }
  const std::string& data_dir() const { return data_dir_; }

  // A client connected with the demo certificate `who` (tso, agg1, ...).
  std::unique_ptr<client::Client> ClientAs(const std::string& who, int receive_window_bytes = 0) const;
  // argv for the CLI as `who`: tsodso --server ... --cert ... --key ... --ca ...
  std::vector<std::string> CliAs(const std::string& who) const;

 private:
  GatewayOptions options_;
  std::unique_ptr<TempDir> dir_;
  std::string config_path_;
  std::string data_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
};

// A channel to `address` as the demo certificate `who` on a connection of
// its own (gRPC otherwise shares one among channels with the same target
// and arguments); `args` adds channel arguments.
std::shared_ptr<grpc::Channel> OwnConnection(const std::string& address, const std::string& who,
                                             grpc::ChannelArguments args = {});

// Run a command, capture stdout (and stderr into *err), return its exit
// code; kill it after timeout_ms (exit code -1).
int RunCommand(const std::vector<std::string>& argv, std::string* out, std::string* err = nullptr,
               int timeout_ms = 30000);

std::string BinPath(const std::string& name);

// Start argv[0] (a path) with stdout and stderr to files, stdin from
// /dev/null; it dies with the test binary.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path);
// Wait for pid up to timeout_ms; return its exit code, or -1 on timeout.
int WaitExit(pid_t pid, int timeout_ms);
std::string ReadAll(const std::string& path);
// GET `url` over plain HTTP; return 200 with the body, or -1 with the
// error in *body.
int HttpGet(const std::string& url, std::string* body);

}  // namespace tsodso::testing
