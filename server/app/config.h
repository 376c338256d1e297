// The gateway's configuration, read once at start-up into plain structs.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "api/server.h"
#include "core/grid/limits.h"
#include "core/registry/party_registry.h"
#include "core/schedules/schedule.h"
#include "runtime/log.h"

namespace tsodso::app {

struct DatabaseConfig {
  // libpq connection string; empty: a private cluster under data_dir.
  std::string dsn;
  int pool_size = 4;
  // Calls waiting for a database worker; beyond it a call is refused at
  // once with RESOURCE_EXHAUSTED.
  int queue_max = 4096;
  // Most unary calls that share one transaction (group commit); 1: every
  // call commits alone.
  int group_commit_max = 64;
  // Longest a statement may run on the gateway's connections (0: no limit).
  int statement_timeout_ms = 30000;
  std::string embedded_bin_dir;
};

// The workers that compute answers on request (grid-limited flexibility,
// forecast views), apart from the database workers.
struct ComputeConfig {
  int workers = 2;
  // Calls waiting for a compute worker; beyond it a call is refused at once
  // with RESOURCE_EXHAUSTED.
  int queue_max = 64;
};

struct MetricsConfig {
  // HOST:PORT of the Prometheus listener (app/metrics_endpoint.h); empty:
  // no listener.
  std::string listen;
};

struct FlexibilityConfig {
  std::string der_classes;  // path; empty: flexibility is off
  int publish_interval_s = 900;
  int horizon_hours = 24;
  // Replicas share the PCCs: a PCC a replica claimed and stopped renewing
  // (it died) goes to another after this long.
  int lease_period_s = 30;
  // Keep each PCC's grid-limited areas by their inputs across cycles, so
  // that a cycle computes only the intervals that are new or changed
  // (about 50 kB per PCC with a network). Off: every cycle computes every
  // interval.
  bool grid_area_cache = true;
  // PCC id -> scenario name -> scenario file ("current" is the live one).
  std::map<std::string, std::map<std::string, std::string>> scenarios;
};

struct GridConfig {
  // PCC id -> directory of its DSO-private network model.
  std::map<std::string, std::string> model_dirs;
  // What validation, grid-limited areas, schedule checks and the outlook
  // keep free of every rating and voltage band (grid.thermal_margin,
  // grid.voltage_margin_pu).
  core::SecurityMargins margins;
};

struct SchedulesConfig {
  // Schedules may reach the end of local day D + horizon_days.
  int horizon_days = 2;
  std::string time_zone = "Europe/Rome";
};

struct ForecastConfig {
  // Forecasts are made for every PCC with a flexibility model.
  bool enabled = true;
  // Day-ahead: issued at this local time (minutes after midnight) for the
  // next local day.
  int gate_minutes = 12 * 60;
  std::string time_zone = "Europe/Rome";
  // Intraday: issued every ISP for this many hours ahead.
  int intraday_hours = 6;
  // PCC id -> the PCC's metered load history: CSV with `utc_start` and the
  // column `history_column` (MW, 15 minutes, consumption before DER
  // injection), re-read when it changes. Without one, the scenario's load
  // profile stands in for metering.
  std::map<std::string, std::string> history_files;
  std::string history_column = "load_mw";
  // Gaps in the history up to this long are interpolated; longer ones stay
  // missing (and are reported with the forecast's inputs).
  int max_fill_minutes = 60;
};

struct GatewayConfig {
  std::string source;  // the file it was read from
  std::string data_dir;
  std::string log_level = "info";
  // Lines as text or as one JSON object each (runtime/log.h).
  runtime::log::Format log_format = runtime::log::Format::kText;
  api::ServerOptions server;
  DatabaseConfig database;
  ComputeConfig compute;
  MetricsConfig metrics;
  int heartbeat_interval_ms = 5000;
  api::FeedOptions feed;
  int shutdown_grace_ms = 5000;
  std::shared_ptr<const core::PartyRegistry> registry;
  FlexibilityConfig flexibility;
  GridConfig grid;
  // Aggregators' portfolios (public registry facts: owner, PCC, range).
  std::vector<core::Portfolio> portfolios;
  SchedulesConfig schedules;
  ForecastConfig forecast;
};

// Read and check a configuration file. Unknown keys and impossible values
// are errors naming the file, the key and the reason. Relative paths are
// taken relative to the file's directory. TSODSO_DATABASE_DSN, when set,
// overrides database.dsn (for containers).
absl::StatusOr<GatewayConfig> LoadConfig(const std::string& path);

}  // namespace tsodso::app
