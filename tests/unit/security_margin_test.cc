// The DSO's security margins: whatever validation accepts, the grid-limited
// area reaches and a schedule check lets pass keeps every branch at or below
// rating x (1 - thermal margin) + tolerance and every bus voltage within its
// band narrowed by the voltage margin, less the tolerance. Each check reads
// currents and voltages from the AC power flow itself, not through
// LimitViolated.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/grid/grid_area.h"
#include "core/grid/limits.h"
#include "core/grid/power_flow.h"
#include "core/pcc/grid_check.h"
#include "core/validation/merit_order.h"
#include "test_grids.h"

namespace tsodso::core {
namespace {

// How close a state comes to its limits: the largest loading (current /
// rating) and the smallest distance of a voltage inside its band narrowed
// by the margin (negative: outside it).
struct Reach {
  double max_loading = 0;
  double min_inside_pu = std::numeric_limits<double>::infinity();
};

Reach ReachOf(const RadialGrid& grid, const PowerFlowResult& flow, const SecurityMargins& m) {
  Reach r;
  for (double loading : flow.branch_loading) r.max_loading = std::max(r.max_loading, loading);
  const GridModel& model = grid.model();
  for (size_t b = 0; b < model.buses.size(); ++b) {
    const double v = std::abs(flow.v_pu[b]);
    r.min_inside_pu = std::min(
        {r.min_inside_pu, v - (model.buses[b].v_min_pu + m.voltage_pu), model.buses[b].v_max_pu - m.voltage_pu - v});
  }
  return r;
}

::testing::AssertionResult WithinMargins(const Reach& r, const SecurityMargins& m) {
  if (r.max_loading > (1 - m.thermal) + kDefaultLoadingTolerance) {
    return ::testing::AssertionFailure() << "loading " << r.max_loading << " above " << 1 - m.thermal << " + tolerance";
  }
  if (r.min_inside_pu < -kDefaultVoltageTolerancePu) {
    return ::testing::AssertionFailure() << "a voltage " << -r.min_inside_pu << " pu outside its band less "
                                         << m.voltage_pu << " pu";
  }
  return ::testing::AssertionSuccess();
}

// The DSO's defaults, and wider ones that move every figure visibly.
const SecurityMargins kMargins[] = {{}, {0.10, 0.02}};

// One 23 kV line of 8 + 4j ohm from the slack (1 pu) to a bus B: a down-bid
// at B loads the line and lowers B's voltage.
RadialGrid OneLine(double rating_a, double v_min_pu) {
  GridModel m;
  m.name = "one line";
  m.slack_bus = "S";
  m.base_mva = 10;
  m.buses = {Bus{"S", 23, 0.9, 1.1, 0, 0}, Bus{"B", 23, v_min_pu, 1.1, 0, 0}};
  m.branches = {Branch{"S", "B", 8, 4, rating_a, true}};
  auto g = RadialGrid::Build(m, "one line");
  EXPECT_TRUE(g.ok()) << g.status();
  return *std::move(g);
}

TEST(SecurityMarginTest, ValidationAcceptsUpToTheRatingAndBandLessTheirMargins) {
  // The rating binds on the first line, B's 0.95 pu bound on the second.
  for (const RadialGrid& grid : {OneLine(98, 0.9), OneLine(160, 0.95)}) {
    const ResourceRegistry resources = {{"b", {"LINE", {{grid.BusIndex("B"), 1.0}}, true}}};
    const std::vector<PqPoint> base(grid.bus_count());
    for (const SecurityMargins& m : kMargins) {
      SCOPED_TRACE(m.thermal);
      const ValidationOptions o = WithMargins<ValidationOptions>(m);
      const Bid bid{"bid", "agg-1", {"b"}, "LINE", 7.5, 50, 0, true};
      for (const BidResult& r : {ValidateMeritOrder(grid, base, resources, Direction::kDown, {bid}, o).at(0),
                                 ValidateMeritOrderNaive(grid, base, resources, Direction::kDown, {bid}, o).at(0)}) {
        ASSERT_EQ(r.outcome, BidOutcome::kLimited);
        std::vector<PqPoint> inj = base;
        inj[grid.BusIndex("B")].p = -r.accepted_mw;
        auto flow = SolvePowerFlow(grid, &inj);
        ASSERT_TRUE(flow.ok()) << flow.status();
        const Reach reach = ReachOf(grid, *flow, m);
        EXPECT_TRUE(WithinMargins(reach, m));
        // Cut at the limit less its margin, not short of it: one
        // resolution step more would break it.
        inj[grid.BusIndex("B")].p = -(r.accepted_mw + 2 * o.quantity_resolution_mw);
        EXPECT_FALSE(WithinMargins(ReachOf(grid, *SolvePowerFlow(grid, &inj), m), m));
      }
    }
  }
}

TEST(SecurityMarginTest, ValidatedListsOnPsSudKeepTheMargins) {
  auto grid = testing::LoadPsSudGrid();
  ASSERT_TRUE(grid.ok()) << grid.status();
  ResourceRegistry resources;
  for (int f = 1; f <= 8; ++f) {
    for (const char* at : {"-18", "-3"}) {
      resources["r" + std::to_string(f) + at] = {"PS_SUD", {{grid->BusIndex("F" + std::to_string(f) + at), 1.0}}, true};
    }
  }
  std::vector<std::string> names;
  for (const auto& [id, loc] : resources) names.push_back(id);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> unit(0, 1);
  int limited = 0;
  // PS Sud's far ends sit 0.012 pu inside their band at the base state:
  // a wider voltage margin than that would leave nothing to validate.
  for (const SecurityMargins& m : {SecurityMargins{}, SecurityMargins{0.10, 0.01}}) {
    SCOPED_TRACE(m.thermal);
    ASSERT_TRUE(WithinMargins(ReachOf(*grid, *SolvePowerFlow(*grid, nullptr), m), m)) << "the base state";
    const ValidationOptions o = WithMargins<ValidationOptions>(m);
    for (int list = 0; list < 16; ++list) {
      const Direction d = list % 2 ? Direction::kUp : Direction::kDown;
      std::vector<Bid> bids;
      for (int i = 0; i < 20; ++i) {
        bids.push_back(Bid{"L" + std::to_string(list) + "-" + std::to_string(i),
                           "agg-1",
                           {names[static_cast<size_t>(unit(rng) * names.size()) % names.size()]},
                           "PS_SUD",
                           0.2 + 3 * unit(rng),
                           300 * unit(rng),
                           0,
                           true});
      }
      std::vector<PqPoint> inj(grid->bus_count());
      const auto results = ValidateMeritOrder(*grid, inj, resources, d, bids, o);
      const double sign = d == Direction::kUp ? 1 : -1;
      for (const BidResult& r : results) {
        limited += r.outcome == BidOutcome::kLimited;
        const Bid& b = *std::find_if(bids.begin(), bids.end(), [&](const Bid& x) { return x.bid_id == r.bid_id; });
        for (auto [bus, share] : resources.at(b.resource_ids[0]).buses) inj[bus].p += sign * r.accepted_mw * share;
        // Every state on the way, as activation in merit order goes.
        auto flow = SolvePowerFlow(*grid, &inj);
        ASSERT_TRUE(flow.ok()) << flow.status();
        EXPECT_TRUE(WithinMargins(ReachOf(*grid, *flow, m), m)) << "list " << list << " after " << r.bid_id;
      }
    }
  }
  EXPECT_GT(limited, 10) << "the lists should reach the limits";
}

// A 10 kV feeder S - A - B, the head branch rated 2 MVA, the band 0.97 to
// 1.03 pu; a unit at B that can move 4 MW and 2 Mvar either way.
RadialGrid SmallFeeder() {
  GridModel m;
  m.name = "small";
  m.slack_bus = "S";
  m.base_mva = 10;
  for (const char* id : {"S", "A", "B"}) m.buses.push_back({id, 10, 0.97, 1.03, 0.3, 0.1});
  m.buses[0].p_load_mw = m.buses[0].q_load_mvar = 0;
  m.branches.push_back({"S", "A", 0.3, 0.3, 2000 / (std::sqrt(3.0) * 10), true});
  m.branches.push_back({"A", "B", 1.0, 0.8, 0, true});
  auto g = RadialGrid::Build(m, "small");
  EXPECT_TRUE(g.ok()) << g.status();
  return *g;
}

TEST(SecurityMarginTest, GridLimitedAreaReachesTheLimitsLessTheirMarginsAndNoFurther) {
  const RadialGrid grid = SmallFeeder();
  const std::vector<PlacedDer> ders = {{2, ConvexPolygon::Rectangle(-4, 4, -2, 2), {0, 0}}};
  double reach_loading[2] = {0, 0};
  for (size_t k = 0; k < 2; ++k) {
    const SecurityMargins& m = kMargins[k];
    SCOPED_TRACE(m.thermal);
    auto area = ComputeGridAwareArea(grid, 1.0, ders, WithMargins<GridAreaOptions>(m));
    ASSERT_TRUE(area.ok()) << area.status();
    ASSERT_TRUE(area->operating_within_limits);
    double most = 0, tightest = std::numeric_limits<double>::infinity();
    for (const GridAreaPoint& pt : area->points) {
      std::vector<PqPoint> inj(grid.bus_count());
      inj[2] = pt.setpoints[0];
      auto flow = SolvePowerFlow(grid, &inj);
      ASSERT_TRUE(flow.ok()) << flow.status();
      const Reach reach = ReachOf(grid, *flow, m);
      EXPECT_TRUE(WithinMargins(reach, m)) << "at " << pt.exchange.p << ", " << pt.exchange.q;
      most = std::max(most, reach.max_loading);
      tightest = std::min(tightest, reach.min_inside_pu);
    }
    // The area goes as far as the limits less their margins allow.
    EXPECT_GT(most, (1 - m.thermal) - 0.03);
    EXPECT_LT(tightest, 2e-3);
    reach_loading[k] = most;
  }
  EXPECT_LT(reach_loading[1], reach_loading[0] - 0.05) << "a wider margin keeps more of the rating free";
}

TEST(SecurityMarginTest, ScheduleChecksLetPassOnlyWhatKeepsTheMargins) {
  // The line to B rated about 2.1 MVA; a portfolio at B schedules 0 to
  // 1.6 MW more consumption, 0.02 MW more in each ISP.
  const PccNetwork net = testing::TinyPccNetwork();
  const PccModel model = testing::ConstantLoadModel(2);  // the buses' own load
  const int b = net.grid->BusIndex("B");
  const absl::Time from = absl::FromUnixSeconds(1'741'777'200);  // 2025-03-12 11:00 UTC
  Schedule schedule;
  schedule.portfolio_id = "p";
  schedule.pcc_id = "PS_TEST";
  for (int i = 0; i <= 80; ++i) schedule.intervals.push_back({from + i * absl::Minutes(15), 0.02 * i, std::nullopt});

  size_t breaches_by_margin[2] = {0, 0};
  for (size_t k = 0; k < 2; ++k) {
    const SecurityMargins& m = kMargins[k];
    SCOPED_TRACE(m.thermal);
    const std::vector<ScheduleBreach> breaches = ScheduleBreaches(net, model, schedule, {b}, WithMargins(m));
    breaches_by_margin[k] = breaches.size();
    double most = 0;
    for (const ScheduleValue& v : schedule.intervals) {
      const bool breached =
          std::any_of(breaches.begin(), breaches.end(), [&](const ScheduleBreach& x) { return x.start == v.start; });
      GridState state = GridStateAt(net, model, v.start, schedule.resolution);
      state.injections[b].p -= v.p_mw;
      auto flow = SolvePowerFlow(*net.grid, &state.injections);
      ASSERT_TRUE(flow.ok()) << flow.status();
      const Reach reach = ReachOf(*net.grid, *flow, m);
      EXPECT_EQ(breached, !WithinMargins(reach, m)) << v.p_mw << " MW: loading " << reach.max_loading;
      if (!breached) most = std::max(most, reach.max_loading);
    }
    EXPECT_GT(breaches.size(), 0u);
    EXPECT_LT(breaches.size(), schedule.intervals.size());
    EXPECT_GT(most, (1 - m.thermal) - 0.02) << "what passes comes up to the limit less its margin";
  }
  EXPECT_GT(breaches_by_margin[1], breaches_by_margin[0]);
}

TEST(SecurityMarginTest, OptionsThatCloseABandOrTheRatingAreRefused) {
  GridModel m;
  m.buses = {{"S", 20, 0.95, 1.05, 0, 0}};
  EXPECT_TRUE(CheckLimitOptions(WithMargins(SecurityMargins{0.02, 0.005}), m).ok());
  EXPECT_FALSE(CheckLimitOptions(WithMargins(SecurityMargins{1.0, 0.005}), m).ok());
  EXPECT_FALSE(CheckLimitOptions(WithMargins(SecurityMargins{-0.01, 0.005}), m).ok());
  EXPECT_FALSE(CheckLimitOptions(WithMargins(SecurityMargins{0.02, std::nan("")}), m).ok());
  const absl::Status closed = CheckLimitOptions(WithMargins(SecurityMargins{0.02, 0.05}), m);
  EXPECT_FALSE(closed.ok());
  EXPECT_NE(closed.message().find("0.05 pu"), std::string::npos) << closed;
}

}  // namespace
}  // namespace tsodso::core
