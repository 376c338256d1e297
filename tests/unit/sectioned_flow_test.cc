// The sectioned AC power flow against the full one: solved over every
// section it is the same power flow; solved over a change's sections with
// the others as equivalents at the hub, it agrees on the buses it covers
// to within the equivalents' error.
#include "core/grid/sectioned_flow.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "core/grid/limits.h"
#include "core/grid/power_flow.h"
#include "test_grids.h"

namespace tsodso {
namespace {

struct Case {
  std::string name;
  core::RadialGrid grid;
  std::vector<std::string> change_at;  // buses the change is spread over
};

// PS Sud's feeders straight below the busbar (the transformer taken out):
// no trunk, each feeder a section solved on its own.
core::RadialGrid WithoutTransformer(const core::RadialGrid& g) {
  core::GridModel m = g.model();
  m.buses.erase(m.buses.begin() + g.slack());
  m.branches.erase(m.branches.begin() + g.parent_branch(g.BusIndex("PS")));
  m.slack_bus = "PS";
  m.slack_voltage_pu = 1.0;
  return *core::RadialGrid::Build(m, "PS Sud feeders");
}

std::vector<Case> Cases() {
  std::vector<Case> out;
  auto ieee = testing::LoadGridTables(std::string(TSODSO_SOURCE_DIR) + "/data/grids", 12.66);
  EXPECT_TRUE(ieee.ok()) << ieee.status();
  auto ps_sud = testing::LoadPsSudGrid();
  EXPECT_TRUE(ps_sud.ok()) << ps_sud.status();
  if (!ieee.ok() || !ps_sud.ok()) return out;
  out.push_back({"IEEE 33-bus", *ieee, {"18", "25", "33"}});
  out.push_back({"PS Sud", *ps_sud, {"F1-18", "F3-10", "F6-5"}});
  out.push_back({"PS Sud feeders", WithoutTransformer(*ps_sud), {"F1-18", "F3-10", "F6-5"}});
  return out;
}

// Injections (MW, Mvar per bus, generator convention): a base state with
// some DERs, and a change spread over `change_at` by shares.
struct Injection {
  std::string name;
  std::vector<std::pair<int, core::PqPoint>> base;
  std::vector<double> shares;  // per bus of change_at
  double change_mw = 0;
};

std::vector<Injection> Injections(const core::RadialGrid& grid, const std::vector<std::string>& at) {
  const int a = grid.BusIndex(at[0]), b = grid.BusIndex(at[1]), c = grid.BusIndex(at[2]);
  return {
      {"no change", {}, {1, 0, 0}, 0},
      {"1 MW of production at one bus", {}, {1, 0, 0}, 1.0},
      {"0.6 MW more load over three buses", {}, {0.5, 0.3, 0.2}, -0.6},
      {"DERs with reactive power, then 0.8 MW more", {{a, {0.3, -0.1}}, {c, {0.2, 0.15}}}, {0.2, 0.8, 0}, 0.8},
      {"a large export at the far end", {{b, {0.5, 0}}}, {0, 0, 1}, 2.5},
  };
}

double MaxVoltageError(const std::vector<int>& buses, const std::vector<std::complex<double>>& v,
                       const core::PowerFlowResult& full) {
  double worst = 0;
  for (int b : buses) worst = std::max(worst, std::abs(v[b] - full.v_pu[b]));
  return worst;
}

double MaxFlowError(const core::RadialGrid& grid, const std::vector<int>& buses,
                    const std::vector<std::complex<double>>& flows, const core::PowerFlowResult& full) {
  double worst = 0;
  for (int b : buses) worst = std::max(worst, std::abs(flows[b] - full.branch_flow_mva[grid.parent_branch(b)]));
  return worst;
}

TEST(SectionedFlowTest, AgreesWithTheFullPowerFlow) {
  for (const Case& c : Cases()) {
    const core::RadialGrid& grid = c.grid;
    for (const Injection& inj : Injections(grid, c.change_at)) {
      SCOPED_TRACE(c.name + ": " + inj.name);
      std::vector<core::PqPoint> base(grid.bus_count());
      for (auto [bus, pq] : inj.base) base[bus] = pq;
      std::vector<std::pair<int, double>> shares;
      std::vector<core::PqPoint> changed = base;
      for (size_t k = 0; k < c.change_at.size(); ++k) {
        const int bus = grid.BusIndex(c.change_at[k]);
        ASSERT_GE(bus, 0) << c.change_at[k];
        if (inj.shares[k] == 0) continue;
        shares.push_back({bus, inj.shares[k]});
        changed[bus].p += inj.change_mw * inj.shares[k];
      }
      const absl::StatusOr<core::PowerFlowResult> full = core::SolvePowerFlow(grid, &changed);
      ASSERT_TRUE(full.ok()) << full.status();

      core::SectionedFlow flow(grid, core::LimitOptions{});
      flow.Reset(core::SolvePowerFlow(grid, &base), base);
      ASSERT_TRUE(flow.usable());
      flow.LoadPattern(shares, 1.0);
      std::vector<int> every_section, covered(flow.trunk());
      for (size_t s = 0; s < flow.section_count(); ++s) every_section.push_back(static_cast<int>(s));

      // Over every section: the full power flow, to its tolerance.
      EXPECT_EQ(flow.SolveTrial(every_section, base, inj.change_mw), core::LimitViolated(grid, *full));
      for (int s : every_section) covered.insert(covered.end(), flow.section(s).begin(), flow.section(s).end());
      EXPECT_EQ(covered.size() + 1, grid.bus_count());
      EXPECT_LT(MaxVoltageError(covered, flow.trial_voltages(), *full), 1e-8);
      EXPECT_LT(MaxFlowError(grid, covered, flow.trial_flows(), *full), 1e-7);

      // Over the change's sections (widened as needed), the others held as
      // equivalents at the hub: their losses go as 1 / |V hub|^2 to first
      // order only, which shows on the trunk's flow (the transformer's,
      // tens of MVA) as a few tenths of a kVA.
      flow.SolveTrial(flow.touched(), base, inj.change_mw);
      std::vector<int> reduced(flow.trunk());
      for (int s : flow.touched()) reduced.insert(reduced.end(), flow.section(s).begin(), flow.section(s).end());
      EXPECT_LT(MaxVoltageError(reduced, flow.trial_voltages(), *full), 1e-6);
      EXPECT_LT(MaxFlowError(grid, reduced, flow.trial_flows(), *full), 1e-3);
      std::cout << c.name << ", " << inj.name << ": reduced solve off by "
                << MaxVoltageError(reduced, flow.trial_voltages(), *full) << " pu, "
                << MaxFlowError(grid, reduced, flow.trial_flows(), *full) << " MVA\n";
    }
  }
}

}  // namespace
}  // namespace tsodso
