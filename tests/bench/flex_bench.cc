// Flexibility engine benchmarks: one year at 15-minute resolution (35,040
// intervals) for a PCC with 10,000 DERs across all classes, and for 50 such
// PCCs; the grid-limited area of one PCC-day on PS Sud's network and on a
// synthetic one. Run `tests/bench/run.sh` for the figures in
// docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "app/flex_config.h"
#include "app/grid_files.h"
#include "core/flexibility/engine.h"
#include "core/grid/synthesize.h"
#include "core/pcc/pcc_network.h"

namespace tsodso {
namespace {

// Smooth synthetic shapes stand in for profiles: the cost does not depend
// on the values, only on the number of groups and the regions' vertices.
core::ProfileFn Shape(double phase) {
  return [phase](absl::Time t) {
    const double h = absl::ToDoubleHours(t - absl::UnixEpoch());
    return 0.5 + 0.45 * std::sin(2 * M_PI * (h / 24 + phase));
  };
}

// 10,000 DERs across all classes. Units of a class share a profile, so
// they form one group per class and profile; each unit's own Sn only adds
// to its group's total.
core::PccModel TenThousandDers(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> kw(3, 500);
  struct Kind {
    const char* name;
    core::DerKind kind;
    int units;
  };
  const Kind kinds[] = {{"pv", core::DerKind::kInverter, 5000},       {"wind", core::DerKind::kInverter, 200},
                        {"chp", core::DerKind::kSynchronous, 300},    {"hydro", core::DerKind::kRunOfRiverHydro, 100},
                        {"bess", core::DerKind::kStorage, 400},       {"ev_v2g", core::DerKind::kV2g, 1500},
                        {"ev_home", core::DerKind::kEvCharging, 2500}};
  core::PccModel m;
  m.pcc_id = "BENCH";
  m.load_mw = [](absl::Time) { return 120.0; };
  double phase = 0;
  for (const Kind& k : kinds) {
    core::DerGroup g;
    g.name = k.name;
    g.der_class.name = k.name;
    g.der_class.kind = k.kind;
    g.der_class.p_min_pu =
        (k.kind == core::DerKind::kSynchronous || k.kind == core::DerKind::kRunOfRiverHydro) ? 0.2 : 0;
    g.units = k.units;
    for (int i = 0; i < k.units; ++i) g.sn_mva += kw(rng) / 1000;
    g.profile = Shape(phase += 0.13);
    m.groups.push_back(std::move(g));
  }
  return m;
}

const absl::Time kFrom = absl::FromCivil(absl::CivilYear(2025), absl::UTCTimeZone());
const absl::Time kTo = absl::FromCivil(absl::CivilYear(2026), absl::UTCTimeZone());

void BM_OnePccYear(benchmark::State& state) {
  const bool with_area = state.range(0) != 0;
  const core::PccModel m = TenThousandDers(1);
  size_t n = 0;
  for (auto _ : state) {
    auto r = core::ComputeRange(m, kFrom, kTo, absl::Minutes(15), with_area);
    n = r.size();
    benchmark::DoNotOptimize(r.data());
  }
  state.counters["intervals"] = static_cast<double>(n);
  state.counters["ders"] = 10000;
  state.SetLabel(with_area ? "figures and P-Q area polygon" : "figures only");
}
BENCHMARK(BM_OnePccYear)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FiftyPccsYear(benchmark::State& state) {
  std::vector<core::PccModel> pccs;
  for (unsigned i = 0; i < 50; ++i) pccs.push_back(TenThousandDers(i + 1));
  for (auto _ : state) {
    for (const auto& m : pccs) {
      auto r = core::ComputeRange(m, kFrom, kTo, absl::Minutes(15), true);
      benchmark::DoNotOptimize(r.data());
    }
  }
  state.counters["pccs"] = 50;
  state.counters["ders"] = 500000;
  state.SetLabel("figures and P-Q area polygon, one core");
}
BENCHMARK(BM_FiftyPccsYear)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

// The cost of not grouping: every unit its own region in the Minkowski sum,
// for one day (96 intervals) of 10,000 DERs.
void BM_UngroupedDay(benchmark::State& state) {
  const core::PccModel grouped = TenThousandDers(1);
  core::PccModel m = grouped;
  m.groups.clear();
  for (const auto& g : grouped.groups) {
    for (int i = 0; i < g.units; ++i) {
      core::DerGroup u = g;
      u.units = 1;
      u.sn_mva = g.sn_mva / g.units;
      m.groups.push_back(std::move(u));
    }
  }
  const absl::Time to = kFrom + absl::Hours(24);
  for (auto _ : state) {
    auto r = core::ComputeRange(m, kFrom, to, absl::Minutes(15), true);
    benchmark::DoNotOptimize(r.data());
  }
  state.SetLabel("10,000 single-unit groups, one day");
}
BENCHMARK(BM_UngroupedDay)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

void BM_GroupedDay(benchmark::State& state) {
  const core::PccModel m = TenThousandDers(1);
  const absl::Time to = kFrom + absl::Hours(24);
  for (auto _ : state) {
    auto r = core::ComputeRange(m, kFrom, to, absl::Minutes(15), true);
    benchmark::DoNotOptimize(r.data());
  }
  state.SetLabel("7 class groups, one day");
}
BENCHMARK(BM_GroupedDay)->Unit(benchmark::kMillisecond)->UseRealTime();

// A PCC with a network: the scenario gives the operating point of each ISP,
// the placement where its DER groups sit.
struct GridPcc {
  core::FlexScenario scenario;
  core::PccNetwork network;
};

template <typename T>
T OrExit(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::cerr << what << ": " << v.status() << "\n";
    std::exit(1);
  }
  return *std::move(v);
}

const std::string kConfig = std::string(TSODSO_SOURCE_DIR) + "/config/";

core::FlexScenario Scenario(const std::string& file) {
  auto classes = OrExit(app::LoadDerClasses(kConfig + "der-classes.yaml"), "DER classes");
  return OrExit(app::LoadScenario(kConfig + file, "PS_SUD", core::kCurrentScenario, classes), file.c_str());
}

// PS Sud as the demo configures it: its 257-bus network behind the PCC
// transformer, the as-is scenario (PV, CHP, hydro at 38 placements).
const GridPcc& PsSud() {
  static const GridPcc* pcc = [] {
    auto* p = new GridPcc{Scenario("ps-sud/as-is.yaml"), {}};
    core::FlexCatalog flex;
    flex.by_pcc["PS_SUD"][core::kCurrentScenario] = p->scenario;
    auto grids = OrExit(app::LoadGridCatalog({{"PS_SUD", kConfig + "grids/ps-sud"}}, flex), "PS Sud network");
    p->network = grids.networks.at("PS_SUD");
    return p;
  }();
  return *pcc;
}

// A network as `tsodso-gatewayd grid synthesize` makes them: 7 copies of
// the IEEE 33-bus feeder at 20 kV (225 buses), loads varied by +-30 %, no
// PCC transformer; the 2030 scenario's DER groups (PV, CHP, hydro, home,
// work and public chargers) placed along the feeders.
const GridPcc& Synthetic() {
  static const GridPcc* pcc = [] {
    auto feeder = OrExit(app::LoadGrid(std::string(TSODSO_SOURCE_DIR) + "/data/grids", 12.66), "IEEE 33-bus feeder");
    core::SynthesisOptions o;
    o.feeders = 7;
    o.v_nom_kv = 20;
    o.peak_load_mw = 180;
    o.load_variation = 0.3;
    o.seed = 11;
    auto model = OrExit(core::SynthesizeFeeders(feeder, o), "synthetic network");
    model.base_mva = 18;
    model.slack_voltage_pu = 1.03;  // the on-load tap changers at the substation
    auto* p = new GridPcc{Scenario("ps-sud/2030.yaml"), {}};
    p->network.pcc_id = "PS_SUD";
    p->network.grid = std::make_shared<const core::RadialGrid>(
        OrExit(core::RadialGrid::Build(std::move(model), "synthetic"), "synthetic network"));
    // CHP near the heads of four feeders (as on PS Sud: a lateral could
    // not take 9 MVA), everything else on random buses.
    std::mt19937 rng(13);
    std::uniform_int_distribution<int> bus(1, static_cast<int>(p->network.grid->bus_count()) - 1);
    for (int f = 1; f <= 4; ++f) p->network.placement.push_back({"chp", "F" + std::to_string(f) + "-3", 0.25});
    const std::pair<const char*, int> spread[] = {
        {"pv", 28}, {"hydro", 1}, {"ev_home", 14}, {"ev_work", 7}, {"ev_public", 7}};
    for (const auto& [group, buses] : spread) {
      for (int k = 0; k < buses; ++k) {
        p->network.placement.push_back({group, p->network.grid->model().buses[bus(rng)].id, 1.0 / buses});
      }
    }
    if (auto st = core::CheckPlacement(p->network, p->scenario.model, "bench"); !st.ok()) {
      std::cerr << "synthetic placement: " << st << "\n";
      std::exit(1);
    }
    return p;
  }();
  return *pcc;
}

// A winter weekday: the load near its peak, CHP flat out, PV over the day.
const absl::Time kGridDay = absl::FromCivil(absl::CivilDay(2025, 1, 15), absl::UTCTimeZone());

// How a day's areas are computed, side by side in one run.
enum class DayMethod {
  kBefore,              // one area at a time from scratch, every rating and every bus's rows in the LP (as before)
  kOnDemand,            // one area at a time from scratch, ratings added when an optimum breaks them, every bus's rows
  kWarmEveryBus,        // one solver for the day: each LP starts from the last ISP's basis, every bus's rows
  kWarmEveryDirection,  // the same without the rows of buses with no DER at or below them, every direction solved
  kWarm,                // the same, directions whose last basis stays optimal taken without a solve
  kNextCycle            // the next publication: the horizon one ISP later, with the last one's cache
};

// The grid-limited area of every ISP of one day, as the publisher computes
// it for a PCC. Args: the network (0 PS Sud, 1 synthetic), the method.
void BM_GridLimitedDay(benchmark::State& state) {
  const GridPcc& pcc = state.range(0) == 0 ? PsSud() : Synthetic();
  const auto method = static_cast<DayMethod>(state.range(1));
  const absl::Duration isp = pcc.scenario.interval;
  core::GridAreaOptions options;
  options.rating_rows_on_demand = method != DayMethod::kBefore;
  options.eliminate_der_free_buses =
      method == DayMethod::kWarmEveryDirection || method == DayMethod::kWarm || method == DayMethod::kNextCycle;
  options.skip_directions_kept_optimal = method == DayMethod::kWarm || method == DayMethod::kNextCycle;
  int within = 0, failed = 0, computed = 0;
  double p_up = 0;
  for (auto _ : state) {
    core::GridLimitedCache cache;
    absl::Time from = kGridDay;
    if (method == DayMethod::kNextCycle) {
      state.PauseTiming();
      core::GridLimitedSeries last(pcc.network, pcc.scenario.model, isp, options, {}, &cache);
      for (absl::Time t = from; t < from + absl::Hours(24); t += isp) benchmark::DoNotOptimize(last.At(t));
      from += isp;
      state.ResumeTiming();
    }
    within = failed = computed = 0;
    p_up = 0;
    const size_t hits = cache.hits();
    std::optional<core::GridLimitedSeries> series;
    for (absl::Time t = from; t < from + absl::Hours(24); t += isp) {
      if (!series || method == DayMethod::kBefore || method == DayMethod::kOnDemand) {
        series.emplace(pcc.network, pcc.scenario.model, isp, options, std::vector<core::PlacedBaseline>{},
                       method == DayMethod::kNextCycle ? &cache : nullptr);
      }
      auto g = series->At(t);
      if (!g.ok()) {
        ++failed;
        continue;
      }
      within += g->within_limits;
      p_up += g->p_up_mw;
    }
    computed = 96 - static_cast<int>(cache.hits() - hits);
  }
  state.counters["buses"] = static_cast<double>(pcc.network.grid->bus_count());
  state.counters["within"] = within;
  state.counters["failed"] = failed;
  state.counters["computed"] = computed;
  state.counters["p_up_sum"] = p_up;
  const char* methods[] = {"before",
                           "rows on demand",
                           "warm start, every bus",
                           "warm start, DER-free buses out",
                           "the same, directions skipped",
                           "next cycle, cached"};
  state.SetLabel(
      absl::StrCat(state.range(0) == 0 ? "PS Sud, as-is" : "synthetic, 2030", ", ", methods[state.range(1)]));
}
BENCHMARK(BM_GridLimitedDay)
    ->ArgsProduct({{0, 1}, {0, 1, 2, 3, 4, 5}})
    ->ArgNames({"net", "method"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace tsodso

BENCHMARK_MAIN();
