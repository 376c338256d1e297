// Merit-order-list validation benchmarks: MOLs of 1,000 and 10,000 bids on
// a ~3,000-bus network (94 copies of the IEEE 33-bus feeder), validated
// with sensitivity screening and, in the same run, by the reference (one AC
// power flow per bid, bisection by AC power flow). Run
// `tests/bench/run.sh` for the figures in docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <random>

#include "app/grid_files.h"
#include "core/grid/synthesize.h"
#include "core/validation/merit_order.h"

namespace tsodso {
namespace {

constexpr int kFeeders = 94;

struct Network {
  std::unique_ptr<core::RadialGrid> grid;
  std::unique_ptr<core::RadialGrid> behind_transformer;  // the same below one HV/MV transformer
  core::ResourceRegistry resources;
  std::vector<std::string> resource_ids;
};

// The IEEE 33-bus feeder replicated 94 times at its own 12.66 kV, loads
// varied by +-30 %, ratings 1.6 x the base-case currents. 3,000 resources
// on random buses, one in five spread over two buses.
const Network& TheNetwork() {
  static const Network* network = [] {
    auto feeder = app::LoadGrid(std::string(TSODSO_SOURCE_DIR) + "/data/grids", 12.66);
    if (!feeder.ok()) {
      std::cerr << "IEEE 33-bus feeder: " << feeder.status() << "\n";
      std::exit(1);
    }
    core::SynthesisOptions o;
    o.feeders = kFeeders;
    o.v_nom_kv = 12.66;
    o.peak_load_mw = 3.715 * kFeeders * 0.8;
    o.load_variation = 0.3;
    o.seed = 3;
    auto model = core::SynthesizeFeeders(*feeder, o);
    auto grid = model.ok() ? core::RadialGrid::Build(*model, "bench") : model.status();
    if (!grid.ok()) {
      std::cerr << "synthetic network: " << grid.status() << "\n";
      std::exit(1);
    }
    auto* n = new Network;
    n->grid = std::make_unique<core::RadialGrid>(*std::move(grid));
    // One transformer above the busbar (12 % on twice the peak load, HV
    // held at 1.05 pu): every bus then moves with every injection through
    // the busbar voltage; the feeders are sections below the busbar, the
    // transformer the trunk.
    core::GridModel m = *model;
    const double kv = o.v_nom_kv, mva = 2 * o.peak_load_mw;
    m.buses.insert(m.buses.begin(), core::Bus{"HV", kv, 0, 10, 0, 0});
    m.branches.insert(m.branches.begin(), core::Branch{"HV", m.slack_bus, 0.003 * kv * kv / mva, 0.12 * kv * kv / mva,
                                                       mva * 1000 / (std::sqrt(3.0) * kv), true});
    m.slack_bus = "HV";
    m.slack_voltage_pu = 1.05;
    auto with_transformer = core::RadialGrid::Build(m, "bench behind a transformer");
    if (!with_transformer.ok()) {
      std::cerr << "network behind a transformer: " << with_transformer.status() << "\n";
      std::exit(1);
    }
    n->behind_transformer = std::make_unique<core::RadialGrid>(*std::move(with_transformer));
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> bus(1, static_cast<int>(n->grid->bus_count()) - 1);
    for (int k = 0; k < 3000; ++k) {
      core::ResourceLocation loc{"BENCH", {{bus(rng), 1.0}}, true};
      if (k % 5 == 0) loc.buses = {{bus(rng), 0.5}, {bus(rng), 0.5}};
      const std::string id = "res-" + std::to_string(k);
      n->resources[id] = loc;
      n->resource_ids.push_back(id);
    }
    return n;
  }();
  return *network;
}

// Mixed sizes, log-uniform over two decades, scaled so that a list offers
// about the same total whatever its length (~250 MW, more than the feeders
// take): the cheap bids fit, the network binds part way down the list.
std::vector<core::Bid> MakeList(int bids, unsigned seed) {
  const Network& n = TheNetwork();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<size_t> pick(0, n.resource_ids.size() - 1);
  const double scale = 250.0 / bids / 2.15;  // mean of 10^U(-1, 1) is ~2.15
  std::vector<core::Bid> list;
  for (int i = 0; i < bids; ++i) {
    core::Bid b;
    b.bid_id = "bid-" + std::to_string(i);
    b.bsp_party_id = "agg";
    b.resource_ids = {n.resource_ids[pick(rng)]};
    b.pcc_id = "BENCH";
    b.quantity_mw = scale * std::pow(10.0, -1 + 2 * unit(rng));
    b.price = 50 + 200 * unit(rng);
    b.min_quantity_mw = unit(rng) < 0.2 ? b.quantity_mw * unit(rng) : 0;
    b.divisible = unit(rng) > 0.05;
    list.push_back(std::move(b));
  }
  return list;
}

double Seconds(const std::function<void()>& run) {
  const auto t0 = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The resources of the network behind the transformer: the same buses,
// one index further (the HV bus comes first).
const core::ResourceRegistry& TransformerResources() {
  static const core::ResourceRegistry* r = [] {
    auto* out = new core::ResourceRegistry(TheNetwork().resources);
    for (auto& [id, loc] : *out) {
      for (auto& [bus, share] : loc.buses) ++bus;
    }
    return out;
  }();
  return *r;
}

// range(0): bids; range(1): also time the reference once, for the ratio;
// range(2): 1 for the network behind a transformer.
void BM_Mol(benchmark::State& state) {
  const Network& n = TheNetwork();
  const bool transformer = state.range(2) != 0;
  const core::RadialGrid& grid = transformer ? *n.behind_transformer : *n.grid;
  const core::ResourceRegistry& resources = transformer ? TransformerResources() : n.resources;
  const std::vector<core::Bid> bids = MakeList(static_cast<int>(state.range(0)), 17);
  const std::vector<core::PqPoint> base(grid.bus_count());
  const core::Direction up = core::Direction::kUp;
  core::ValidationStats stats;
  std::vector<core::BidResult> fast;
  int runs = 0;
  for (auto _ : state) {
    stats = {};
    fast = core::ValidateMeritOrder(grid, base, resources, up, bids, {}, &stats);
    benchmark::DoNotOptimize(fast.data());
    ++runs;
  }
  int limited = 0, rejected = 0;
  double mw = 0;
  for (const auto& r : fast) {
    limited += r.outcome == core::BidOutcome::kLimited;
    rejected += r.outcome == core::BidOutcome::kRejected;
    mw += r.accepted_mw;
  }
  state.counters["buses"] = static_cast<double>(grid.bus_count());
  state.counters["limited"] = limited;
  state.counters["rejected"] = rejected;
  state.counters["accepted_mw"] = mw;
  state.counters["pf_fast"] = stats.power_flows;
  state.counters["feeder_pf"] = stats.section_flows;  // reduced: a bid's feeders (and the transformer)
  state.counters["screened"] = stats.screened;
  state.counters["fallbacks"] = stats.fallbacks;
  if (state.range(1) != 0) {
    const double fast_s = Seconds([&] { fast = core::ValidateMeritOrder(grid, base, resources, up, bids); });
    core::ValidationStats naive_stats;
    std::vector<core::BidResult> naive;
    const double naive_s =
        Seconds([&] { naive = core::ValidateMeritOrderNaive(grid, base, resources, up, bids, {}, &naive_stats); });
    int differ = 0;
    for (size_t i = 0; i < fast.size(); ++i) {
      differ += fast[i].outcome != naive[i].outcome || fast[i].reason != naive[i].reason ||
                std::abs(fast[i].accepted_mw - naive[i].accepted_mw) > 0.02;
    }
    state.counters["fast_s"] = fast_s;
    state.counters["naive_s"] = naive_s;
    state.counters["ratio"] = naive_s / fast_s;
    state.counters["pf_naive"] = naive_stats.power_flows;
    state.counters["differ"] = differ;
  }
}
BENCHMARK(BM_Mol)
    ->ArgNames({"bids", "ref", "trafo"})
    ->Args({200, 1, 0})
    ->Args({1000, 1, 0})
    ->Args({10000, 1, 0})
    ->Args({1000, 1, 1})
    ->Args({10000, 1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace tsodso

BENCHMARK_MAIN();
