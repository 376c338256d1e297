// What the fuzz targets judge their inputs against, built in code like the
// domain tests' sample registry (config/gateway.yaml's parties and PCCs): a
// fixed "now", the demo portfolios, a DSO registry of assets and the IEEE
// 33-bus feeder as the network of every PCC. Anything unusable stops the
// target at once: a fuzzer that runs against an empty world finds nothing.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/grid/grid_csv.h"
#include "core/prequalification/prequalification.h"
#include "core/registry/party_registry.h"
#include "core/schedules/schedule.h"
#include "core/validation/merit_order_list.h"
#include "unit/sample_registry.h"

namespace tsodso::fuzz {

[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "fuzz world: %s\n", what.c_str());
  std::abort();
}

inline std::string ReadSourceFile(const std::string& relative) {
  const std::string path = std::string(TSODSO_SOURCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct World {
  // Saturday 29 March 2025, 10:07 UTC: the schedule horizon (two local days
  // ahead) spans the change to summer time in Europe/Rome.
  absl::Time now = absl::FromUnixSeconds(1743242820);
  core::PartyRegistry registry;
  std::vector<core::Portfolio> portfolios;
  core::ScheduleHorizon horizon;
  std::map<std::string, core::RegisteredAsset> assets;
  core::RadialGrid grid;
  core::ResourceBook book;
  std::map<std::string, core::PccValidationInput> networks;

  // The party a request is judged as: the TSO, an aggregator of one PCC, an
  // aggregator of two, the DSO operator (the access table would refuse most
  // of them most requests; the domain must answer them all the same).
  const core::Party& Caller(unsigned index) const { return registry.parties()[index % registry.parties().size()]; }
};

inline core::RadialGrid Ieee33() {
  core::GridDescription d;
  d.name = "IEEE 33-bus";
  d.defaults.v_nom_kv = 12.66;
  auto grid =
      core::GridFromTables({ReadSourceFile("data/grids/ieee33_buses.csv"), "ieee33_buses.csv"},
                           {ReadSourceFile("data/grids/ieee33_branches.csv"), "ieee33_branches.csv"}, d, "data/grids");
  if (!grid.ok()) Die(grid.status().ToString());
  return std::move(*grid);
}

inline const World& TheWorld() {
  static const World* world = [] {
    auto* w = new World{.registry = testing::SampleRegistry(), .grid = Ieee33()};
    w->portfolios = {{"agg1-sud", "agg-1", "PS_SUD", -10, 20, -5, 5},
                     {"agg2-ovest", "agg-2", "PS_OVEST", -4, 6, -2, 2},
                     {"agg2-est", "agg-2", "PS_EST", 0, 8, 0, 0}};
    if (!absl::LoadTimeZone("Europe/Rome", &w->horizon.zone)) Die("no time zone Europe/Rome (tzdata)");
    w->assets["IT-SUD-PV-001"] = {"IT-SUD-PV-001", "PS_SUD", "18", "pv", {1.2, 0, 1.0, -0.5, 0.5}};
    w->assets["IT-SUD-BESS-01"] = {"IT-SUD-BESS-01", "PS_SUD", "25", "battery", {2.0, -2.0, 2.0, -1.0, 1.0}};
    w->assets["IT-EST-CHP-01"] = {"IT-EST-CHP-01", "PS_EST", "7", "chp", {5.0, 1.2, 4.0, -2.0, 3.0}};
    // Resources as prequalification leaves them: some of agg-1's and
    // agg-2's, one of nobody's, one whose qualification runs out tomorrow.
    const int bus18 = w->grid.BusIndex("18");
    const int bus25 = w->grid.BusIndex("25");
    const int bus7 = w->grid.BusIndex("7");
    if (bus18 < 0 || bus25 < 0 || bus7 < 0) Die("IEEE 33-bus feeder without buses 7, 18 and 25");
    w->book["IT-SUD-PV-001"] = {{"PS_SUD", {{bus18, 1.0}}, true}, "agg-1", absl::InfiniteFuture(), 1.0};
    w->book["IT-SUD-BESS-01"] = {{"PS_SUD", {{bus25, 0.5}, {bus18, 0.5}}, true}, "agg-1", absl::InfiniteFuture(), 4.0};
    w->book["IT-EST-CHP-01"] = {{"PS_EST", {{bus7, 1.0}}, true}, "agg-2", w->now + absl::Hours(24), 2.8};
    w->book["IT-OVEST-LOAD-9"] = {{"PS_OVEST", {{bus25, 1.0}}, false}, "", absl::InfiniteFuture()};
    for (const core::Pcc& pcc : w->registry.pccs()) {
      w->networks[pcc.id] = {&w->grid, std::vector<core::PqPoint>(w->grid.bus_count())};
    }
    return w;
  }();
  return *world;
}

}  // namespace tsodso::fuzz
