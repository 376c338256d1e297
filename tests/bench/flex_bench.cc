// Flexibility engine benchmarks: one year at 15-minute resolution (35,040
// intervals) for a PCC with 10,000 DERs across all classes, and for 50 such
// PCCs. Run `tests/bench/run.sh` for the figures in docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "core/flexibility/engine.h"

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
  const Kind kinds[] = {{"pv", core::DerKind::kInverter, 5000},        {"wind", core::DerKind::kInverter, 200},
                        {"chp", core::DerKind::kSynchronous, 300},     {"hydro", core::DerKind::kRunOfRiverHydro, 100},
                        {"bess", core::DerKind::kStorage, 400},        {"ev_v2g", core::DerKind::kV2g, 1500},
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
    g.der_class.p_min_pu = (k.kind == core::DerKind::kSynchronous || k.kind == core::DerKind::kRunOfRiverHydro) ? 0.2 : 0;
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

}  // namespace
}  // namespace tsodso

BENCHMARK_MAIN();
