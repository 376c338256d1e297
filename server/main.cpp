// tsodso-gatewayd: the DSO-side TSO/aggregator gateway daemon.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "app/config.h"
#include "app/flex_commands.h"
#include "app/flex_publisher.h"
#include "app/forecast_commands.h"
#include "app/gateway.h"
#include "app/grid_commands.h"
#include "app/grid_files.h"
#include "runtime/log.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  CLI::App app{
      "tsodso-gatewayd: share aggregated PCC flexibility, forecasts and bid limits with the TSO and "
      "aggregators over mutual TLS, without disclosing the network"};
  std::string config_path;
  bool check_only = false;
  tsodso::app::RunOptions run;
  CLI::Option* config_opt = app.add_option("--config,-c", config_path, "gateway configuration file (YAML)");
  app.add_flag("--check-config", check_only, "validate the configuration and exit");
  app.add_option("--ready-file", run.ready_file,
                 "write {\"port\", \"pid\", \"metrics_port\"} as JSON here once listening");
  std::string listen;
  app.add_option("--listen", listen,
                 "HOST:PORT to listen on instead of the configuration's `listen` (containers, replicas)");
  std::string metrics_listen;
  app.add_option("--metrics-listen", metrics_listen,
                 "HOST:PORT of the Prometheus listener instead of the configuration's `metrics.listen`; "
                 "\"off\": none");
  app.fallthrough();  // `audit verify --config F` as well as `--config F audit verify`
  CLI::App* audit = app.add_subcommand("audit", "audit trail commands");
  CLI::App* verify = audit->add_subcommand("verify", "check the hash chain of the audit log");
  audit->require_subcommand(1);
  CLI::App* grid = app.add_subcommand("grid", "private network model tools");
  grid->require_subcommand(1);
  CLI::App* grid_check = grid->add_subcommand("check", "load a model and run an AC power flow on its base case");
  std::string model_dir;
  double nominal_kv = 0;
  grid_check->add_option("--model", model_dir, "model directory (model.yaml, or *buses.csv + *branches.csv)")
      ->required();
  grid_check->add_option("--kv", nominal_kv, "nominal voltage when the directory has no model.yaml");
  CLI::App* grid_synth =
      grid->add_subcommand("synthesize", "replicate a test feeder into a synthetic network (demo, benchmarks)");
  std::string synth_from, synth_out;
  double synth_from_kv = 12.66;
  tsodso::core::SynthesisOptions synth;
  grid_synth->add_option("--from", synth_from, "model directory of the feeder to replicate")->required();
  grid_synth->add_option("--from-kv", synth_from_kv, "its nominal voltage (without model.yaml)")->capture_default_str();
  grid_synth->add_option("--feeders", synth.feeders, "number of feeders")->capture_default_str();
  grid_synth->add_option("--kv", synth.v_nom_kv, "nominal voltage of the new network")->capture_default_str();
  grid_synth->add_option("--peak-mw", synth.peak_load_mw, "total load")->capture_default_str();
  grid_synth->add_option("--power-factor", synth.power_factor, "power factor of every bus load (0: the feeder's own)")
      ->capture_default_str();
  grid_synth->add_option("--seed", synth.seed, "seed of the load variation")->capture_default_str();
  grid_synth->add_option("--v-min", synth.v_min_pu, "lower voltage limit, pu")->capture_default_str();
  grid_synth->add_option("--v-max", synth.v_max_pu, "upper voltage limit, pu")->capture_default_str();
  grid_synth->add_option("--out", synth_out, "output directory")->required();
  CLI::App* flex = app.add_subcommand("flex", "offline flexibility tools for the DSO engineer");
  flex->require_subcommand(1);
  CLI::App* make_profiles = flex->add_subcommand("make-profiles", "build profile CSVs from measured data");
  std::string weather, load, out_dir;
  int year = 2025;
  make_profiles->add_option("--weather", weather, "PVGIS typical meteorological year (CSV)")->required();
  make_profiles->add_option("--load", load, "measured 15-minute load (CSV with utc_start,total_load_mw)")->required();
  make_profiles->add_option("--out", out_dir, "output directory")->required();
  make_profiles->add_option("--year", year, "year of the PV, CHP and hydro profiles")->capture_default_str();
  CLI::App* summary = flex->add_subcommand("summary", "yearly distribution of a scenario's flexibility");
  std::string classes_file, scenario_file;
  double threshold = 10;
  summary->add_option("--classes", classes_file, "DER classes file")->required();
  summary->add_option("--scenario", scenario_file, "scenario file")->required();
  summary->add_option("--year", year, "year")->capture_default_str();
  summary->add_option("--threshold", threshold, "meaningful level, MW and Mvar")->capture_default_str();
  CLI::App* forecast = app.add_subcommand("forecast", "offline forecast tools for the DSO engineer");
  forecast->require_subcommand(1);
  CLI::App* backtest = forecast->add_subcommand("backtest", "replay the load forecaster over a past period");
  tsodso::app::BacktestArgs backtest_args;
  backtest->add_option("--history", backtest_args.history, "measured load (CSV with utc_start and a value column)")
      ->required();
  backtest->add_option("--column", backtest_args.column, "value column")->capture_default_str();
  backtest->add_option("--from", backtest_args.from, "first scored instant, UTC (2024-09-01T00:00:00Z)");
  backtest->add_option("--to", backtest_args.to, "end of the scored period, UTC");
  backtest->add_flag("--leave-one-month-out", backtest_args.leave_one_month_out,
                     "score every month of the history with the band fitted on the other months");
  backtest->add_option("--kind", backtest_args.kind, "day-ahead or intraday")->capture_default_str();
  backtest->add_option("--scale-peak-mw", backtest_args.scale_peak_mw, "scale the history's shape to this peak");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (grid_check->parsed()) return tsodso::app::GridCheck(model_dir, nominal_kv);
  if (grid_synth->parsed()) return tsodso::app::GridSynthesize(synth_from, synth_from_kv, synth, synth_out);
  if (make_profiles->parsed()) return tsodso::app::MakeProfiles(weather, load, out_dir, year);
  if (summary->parsed()) return tsodso::app::SummarizeScenario(classes_file, scenario_file, year, threshold);
  if (backtest->parsed()) return tsodso::app::ForecastBacktest(backtest_args);
  if (config_opt->count() == 0) {
    std::fprintf(stderr, "tsodso-gatewayd: --config is required\n");
    return 2;
  }

  auto logger = spdlog::stderr_color_mt("tsodso");
  spdlog::set_default_logger(logger);
  tsodso::runtime::log::SetFormat(tsodso::runtime::log::Format::kText);

  auto config = tsodso::app::LoadConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "tsodso-gatewayd: invalid configuration: %s\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  if (!listen.empty()) config->server.listen_address = listen;
  if (!metrics_listen.empty()) config->metrics.listen = metrics_listen == "off" ? "" : metrics_listen;
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  tsodso::runtime::log::SetFormat(config->log_format);
  if (check_only) {
    auto catalog = tsodso::app::LoadFlexCatalog(config->flexibility);
    if (!catalog.ok()) {
      std::fprintf(stderr, "tsodso-gatewayd: invalid flexibility inputs: %s\n",
                   std::string(catalog.status().message()).c_str());
      return 2;
    }
    if (auto grids = tsodso::app::LoadGridCatalog(config->grid.model_dirs, **catalog); !grids.ok()) {
      std::fprintf(stderr, "tsodso-gatewayd: invalid network model: %s\n",
                   std::string(grids.status().message()).c_str());
      return 2;
    }
    std::printf("%s: configuration OK (%zu parties, %zu PCCs)\n", config_path.c_str(),
                config->registry->parties().size(), config->registry->pccs().size());
    return 0;
  }
  if (verify->parsed()) return tsodso::app::VerifyAudit(*config);
  const int rc = tsodso::app::RunGateway(*config, run);
  // Everything the daemon owns is closed by now. gRPC's global teardown can
  // then spend seconds joining its internal timer threads, which would make
  // a supervisor's stop timeout fire for nothing; skip it.
  spdlog::shutdown();
  std::fflush(nullptr);
  std::_Exit(rc);
}
