#include "app/gateway.h"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stop_token>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api/grpc_thread.h"
#include "api/server.h"
#include "app/flex_publisher.h"
#include "app/forecast_publisher.h"
#include "app/grid_files.h"
#include "app/load_history.h"
#include "app/metrics_endpoint.h"
#include "app/reload.h"
#include "feed/hub.h"
#include "feed/tailer.h"
#include "runtime/periodic_task.h"
#include "service/wire.h"
#include "spdlog/spdlog.h"
#include "store/audit_store.h"
#include "store/db_pool.h"
#include "store/embedded_postgres.h"
#include "store/group_commit.h"
#include "store/migrations.h"

namespace tsodso::app {
namespace fs = std::filesystem;
namespace {

// Resolve the DSN: the configured one, or a private cluster under data_dir.
absl::StatusOr<std::string> OpenDatabase(const GatewayConfig& config, std::optional<store::EmbeddedPostgres>& embedded,
                                         bool stop_adopted) {
  if (!config.database.dsn.empty()) return config.database.dsn;
  // One daemon per data directory: a second one would take the first's
  // private cluster over (stop it and start it as its own child).
  static int lock_fd = -1;
  if (stop_adopted && lock_fd < 0) {
    std::error_code ec;
    fs::create_directories(config.data_dir, ec);
    const std::string lock_path = (fs::path(config.data_dir) / "gateway.lock").string();
    lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("data_dir ", config.data_dir, " is in use by another tsodso-gatewayd (", lock_path, ")"));
    }
  }
  store::EmbeddedPostgresOptions opts;
  opts.cluster_dir = (fs::path(config.data_dir) / "postgres").string();
  opts.bin_dir = config.database.embedded_bin_dir;
  opts.stop_adopted = stop_adopted;
  embedded.emplace(opts);
  spdlog::info("no database configured: using the private PostgreSQL cluster in {}", opts.cluster_dir);
  return embedded->Start();
}

// Hand a group's committed events to this replica's subscribers at once,
// when they follow the hub's head: the tailer would deliver them only after
// the notification and a read of the log. Those that do not follow it (a
// publisher's own transaction or another replica's came between, or the
// next group's hand-over got there first) the tailer delivers.
void HandOver(feed::FeedHub& hub, std::vector<core::StoredEvent> committed) {
  // Checked again under the hub's lock; here it spares encoding events the
  // hub would refuse.
  if (committed.empty() || committed.front().seq != hub.head() + 1) return;
  std::vector<feed::EventPtr> batch;
  batch.reserve(committed.size());
  for (core::StoredEvent& e : committed) {
    e.wire = service::EncodeWireEvent(e);
    batch.push_back(std::make_shared<const core::StoredEvent>(std::move(e)));
  }
  hub.DispatchNext(batch);
}

}  // namespace

int RunGateway(const GatewayConfig& config, const RunOptions& options) {
  // Signals are taken by sigwait in this thread only; every thread started
  // below inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::optional<store::EmbeddedPostgres> embedded;
  auto dsn = OpenDatabase(config, embedded, /*stop_adopted=*/true);
  if (!dsn.ok()) {
    spdlog::critical("cannot start: {}", std::string(dsn.status().message()));
    return 1;
  }
  {
    // Migrations run without the statement timeout: one may rewrite a large
    // table, and start-up waits for it.
    auto conn = store::PgConnection::Open(*dsn);
    if (!conn.ok()) {
      spdlog::critical("cannot start: {}", std::string(conn.status().message()));
      return 1;
    }
    auto applied = store::Migrate(**conn);
    if (!applied.ok()) {
      spdlog::critical("cannot start: schema migration failed: {}", std::string(applied.status().message()));
      return 1;
    }
    spdlog::info("database at host {}: {} migration(s) applied", (*conn)->host(), *applied);
  }

  const store::SessionOptions session{.statement_timeout_ms = config.database.statement_timeout_ms};
  store::DbPool pool(*dsn, config.database.pool_size, static_cast<size_t>(config.database.queue_max), session);
  // Groups numbered at commit run side by side on all workers but one,
  // which stays for the feed's replays and the publishers.
  store::GroupCommit groups(pool, config.database.group_commit_max, static_cast<size_t>(config.database.queue_max),
                            config.database.pool_size - 1);
  // The streams' writes start on gRPC's threads, not on the committing
  // group's or the tailer's (api/grpc_thread.h).
  feed::FeedHub hub(config.feed.recent, api::RunOnGrpcThread);
  feed::EventTailer tailer(*dsn, hub, {.session = session, .encode = service::EncodeWireEvent});
  // The database was just reached, but the next connection may still fail
  // for a while (a container network's name lookup that times out): such a
  // failure is retried for up to a minute before start-up gives up.
  absl::Status tailing = tailer.Start();
  for (const absl::Time until = absl::Now() + absl::Minutes(1);
       tailing.code() == absl::StatusCode::kUnavailable && absl::Now() < until; tailing = tailer.Start()) {
    spdlog::warn("event log follower cannot reach the database yet: {}; retrying", std::string(tailing.message()));
    absl::SleepFor(absl::Seconds(1));
  }
  if (!tailing.ok()) {
    spdlog::critical("cannot start: {}", std::string(tailing.message()));
    return 1;
  }
  if (config.feed.hand_over) {
    groups.SetCommittedSink([&hub](std::vector<core::StoredEvent> committed) { HandOver(hub, std::move(committed)); });
  }
  hub.StartHeartbeats(absl::Milliseconds(config.heartbeat_interval_ms));
  // gRPC allocates for each connection on many threads, and glibc keeps
  // what is freed in its per-thread arenas: after a burst of connections
  // the daemon would stay at its peak. Handing free pages back every 10 s
  // (milliseconds of work) brings its memory back down.
  runtime::PeriodicTask trim_memory;
  trim_memory.Start({.name = "memory trim", .period = absl::Seconds(10)}, [](std::stop_token) { malloc_trim(0); });

  core::FlexCatalogHolder flex;
  auto catalog = LoadFlexCatalog(config.flexibility);
  if (!catalog.ok()) {
    spdlog::critical("cannot start: flexibility inputs: {}", std::string(catalog.status().message()));
    tailer.Stop();
    return 1;
  }
  flex.Set(*catalog);
  auto grids = LoadGridCatalog(config.grid.model_dirs, **catalog, config.grid.margins);
  if (!grids.ok()) {
    spdlog::critical("cannot start: network models: {}", std::string(grids.status().message()));
    tailer.Stop();
    return 1;
  }
  spdlog::info(
      "network models for {} PCC(s), {} registered asset(s); security margins {}% of ratings, {} pu of "
      "voltage bands",
      grids->networks.size(), grids->assets.size(), 100 * grids->margins.thermal, grids->margins.voltage_pu);
  api::ServiceContext ctx;
  ctx.SetDirectory(std::make_shared<const service::Directory>(service::Directory{config.registry, config.portfolios}));
  // Expiry and revocation are checked on every handshake, every call's
  // identity and, every refresh interval, every open stream.
  auto certificates = std::make_shared<api::CertificateCheck>(
      config.server.tls.crl_dir, config.server.tls.client_ca_file, config.server.tls.cert_file);
  if (auto crls = certificates->Reload(); !crls.ok()) {
    spdlog::critical("cannot start: {}", std::string(crls.status().message()));
    tailer.Stop();
    return 1;
  }
  ctx.certificates = certificates;
  ctx.identities =
      std::make_shared<api::PartyResolver>(config.registry, config.server.tls.identity_source, certificates);
  ctx.pool = &pool;
  ctx.groups = &groups;
  ctx.hub = &hub;
  ctx.feed = config.feed;
  ctx.flex = &flex;
  ctx.grids = std::make_shared<const core::GridCatalog>(std::move(*grids));
  std::stop_source stopping;
  ctx.stopping = stopping.get_token();
  ctx.schedule_horizon.days_ahead = config.schedules.horizon_days;
  absl::LoadTimeZone(config.schedules.time_zone, &ctx.schedule_horizon.zone);  // checked with the configuration
  // Two threads for CPU-heavy answers (grid-aware areas on request); a
  // grid-limited area takes seconds, so a few dozen waiting is plenty.
  runtime::ComputePool compute("compute pool", config.compute.workers, config.compute.queue_max);
  ctx.compute = &compute;
  // With several replicas on one database, they share the PCCs'
  // flexibility through it; forecasts are issued by one at a time.
  FlexPublisher publisher(config.flexibility, flex, pool, ctx.grids);
  store::LeaderLock leader(*dsn, store::kPublisherLockKey, session);
  ctx.load_history = MakeLoadHistorySource(config.forecast);
  ForecastPublisher forecasts(config.forecast, flex, pool, ctx.grids, ctx.load_history, &leader);
  auto server = api::GatewayServer::Start(config.server, ctx);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", std::string(server.status().message()));
    tailer.Stop();
    return 1;
  }
  std::unique_ptr<MetricsEndpoint> metrics;
  if (!config.metrics.listen.empty()) {
    auto started = MetricsEndpoint::Start(config.metrics.listen);
    if (!started.ok()) {
      spdlog::critical("cannot start: {}", std::string(started.status().message()));
      (*server)->Shutdown(absl::ZeroDuration());
      tailer.Stop();
      return 1;
    }
    metrics = std::move(*started);
    spdlog::info("metrics for Prometheus on http://{}/metrics (port {})", config.metrics.listen, metrics->port());
  }
  publisher.Start();
  forecasts.Start();
  spdlog::info("tsodso-gatewayd listening on port {} (config {}, {} parties, {} PCCs)", (*server)->port(),
               config.source, config.registry->parties().size(), config.registry->pccs().size());
  if (!options.ready_file.empty()) {
    const std::string tmp = options.ready_file + ".tmp";
    std::ofstream(tmp) << "{\"port\": " << (*server)->port() << ", \"pid\": " << getpid()
                       << ", \"metrics_port\": " << (metrics ? metrics->port() : 0) << "}\n";
    fs::rename(tmp, options.ready_file);
  }

  runtime::PeriodicTask certificate_sweep;
  certificate_sweep.Start({"certificate check", absl::Seconds(config.server.tls.refresh_interval_s), false},
                          [&](std::stop_token) { RecheckCertificates(*certificates, ctx, hub); });
  ConfigReloader reloader(config, *certificates, ctx, hub);

  int sig = 0;
  while (true) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    reloader.Reload().IgnoreError();  // logged; an invalid file changes nothing
  }
  spdlog::info("received {}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  // The metrics listener takes up to its poll's timeout (a second or more)
  // to stop: it stops beside the rest of the shutdown instead of after it.
  std::thread stop_metrics([&metrics] { metrics.reset(); });
  certificate_sweep.Stop();

  // Computations in progress give up at once (a grid-limited area takes
  // seconds); streams end with UNAVAILABLE and a resume hint; then the
  // server stops accepting and lets unary calls in flight finish and commit.
  stopping.request_stop();
  publisher.Stop();
  forecasts.Stop();
  (*server)->SetServing(false);
  hub.CloseAll(absl::UnavailableError("gateway shutting down"));
  (*server)->Shutdown(absl::Milliseconds(config.shutdown_grace_ms));
  tailer.Stop();
  compute.Shutdown();  // its tasks end on the database workers
  pool.Shutdown();
  if (embedded) {
    if (auto st = embedded->Stop(); !st.ok())
      spdlog::warn("stopping the private PostgreSQL: {}", std::string(st.message()));
  }
  server->reset();
  stop_metrics.join();
  spdlog::info("stopped");
  return 0;
}

int VerifyAudit(const GatewayConfig& config) {
  std::optional<store::EmbeddedPostgres> embedded;
  auto dsn = OpenDatabase(config, embedded, /*stop_adopted=*/false);
  if (!dsn.ok()) {
    spdlog::critical("{}", std::string(dsn.status().message()));
    return 2;
  }
  auto conn = store::PgConnection::Open(*dsn);
  if (!conn.ok()) {
    spdlog::critical("{}", std::string(conn.status().message()));
    return 2;
  }
  auto result = store::VerifyAuditLog(**conn);
  if (!result.ok()) {
    if (result.status().code() == absl::StatusCode::kDataLoss) {
      std::fprintf(stdout, "audit chain BROKEN: %s\n", std::string(result.status().message()).c_str());
      return 1;
    }
    spdlog::critical("{}", std::string(result.status().message()));
    return 2;
  }
  std::fprintf(stdout, "audit chain intact: %lld records, last hash %s\n", static_cast<long long>(result->records),
               result->last_hash.c_str());
  return 0;
}

}  // namespace tsodso::app
