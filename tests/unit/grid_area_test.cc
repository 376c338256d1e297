// The grid-aware PCC area: LinDistFlow LPs (Clp) checked by the AC power flow.
#include "core/grid/grid_area.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "core/grid/limits.h"
#include "core/grid/power_flow.h"
#include "core/validation/merit_order.h"
#include "test_grids.h"

namespace tsodso {
namespace {

using core::ConvexPolygon;
using core::PlacedDer;
using core::PqPoint;

const std::string kIeee33 = std::string(TSODSO_SOURCE_DIR) + "/data/grids";

// A feeder S - A - B with a lateral A - C at 10 kV, short cables: losses stay
// at a few kW, so the grid-aware area differs from the plain sum only by
// them when no limit binds.
core::RadialGrid SmallGrid(double head_rating_a, double v_min, double v_max) {
  core::GridModel m;
  m.name = "small";
  m.slack_bus = "S";
  m.base_mva = 10;
  for (const char* id : {"S", "A", "B", "C"}) m.buses.push_back({id, 10, v_min, v_max, 0, 0});
  m.buses[1].p_load_mw = 0.4, m.buses[1].q_load_mvar = 0.1;
  m.buses[2].p_load_mw = 0.3, m.buses[2].q_load_mvar = 0.1;
  m.buses[3].p_load_mw = 0.3, m.buses[3].q_load_mvar = 0.1;
  m.branches.push_back({"S", "A", 0.05, 0.05, head_rating_a, true});
  m.branches.push_back({"A", "B", 0.1, 0.08, 0, true});
  m.branches.push_back({"A", "C", 0.1, 0.08, 0, true});
  auto g = core::RadialGrid::Build(m, "small");
  EXPECT_TRUE(g.ok()) << g.status();
  return *g;
}

// DERs of the small grid: a synchronous unit at B, a battery at C, and a
// fixed injection (a point region) at A.
std::vector<PlacedDer> SmallDers() {
  return {
      {2, ConvexPolygon::Rectangle(0, 4, -1, 1), {1, 0}},
      {3, ConvexPolygon::InscribedCircle(2, 16), {0, 0}},
      {1, ConvexPolygon::Hull({{0.2, 0.05}}), {0.2, 0.05}},
  };
}

// The plain aggregation: the DERs' flexibility turned to the load convention,
// summed and placed at the operating exchange.
ConvexPolygon UnconstrainedArea(const std::vector<PlacedDer>& ders, PqPoint operating) {
  ConvexPolygon sum = ConvexPolygon::Hull({{0, 0}});
  for (const PlacedDer& d : ders)
    sum = MinkowskiSum(sum, d.region.Translated(-d.operating.p, -d.operating.q).Negated());
  return sum.Translated(operating.p, operating.q);
}

absl::StatusOr<core::PowerFlowResult> FlowAt(const core::RadialGrid& grid, double load_scale,
                                             const std::vector<PlacedDer>& ders,
                                             const std::vector<PqPoint>& setpoints) {
  std::vector<PqPoint> inj(grid.bus_count());
  for (size_t b = 0; b < inj.size(); ++b) {
    inj[b] = {-(load_scale - 1) * grid.model().buses[b].p_load_mw,
              -(load_scale - 1) * grid.model().buses[b].q_load_mvar};
  }
  for (size_t d = 0; d < ders.size(); ++d) {
    inj[ders[d].bus].p += setpoints[d].p;
    inj[ders[d].bus].q += setpoints[d].q;
  }
  return core::SolvePowerFlow(grid, &inj);
}

// Every point, re-run through the AC power flow on its own: setpoints inside
// the regions, no limit violated, the exchange as reported; and every area
// vertex is one of the points.
void ExpectAllPointsAcFeasible(const core::RadialGrid& grid, double load_scale, const std::vector<PlacedDer>& ders,
                               const core::GridAreaResult& r) {
  ASSERT_FALSE(r.points.empty());
  for (size_t i = 0; i < r.points.size(); ++i) {
    const core::GridAreaPoint& pt = r.points[i];
    ASSERT_EQ(pt.setpoints.size(), ders.size());
    for (size_t d = 0; d < ders.size(); ++d) {
      EXPECT_TRUE(ders[d].region.Contains(pt.setpoints[d], 1e-6))
          << "point " << i << " der " << d << " at " << pt.setpoints[d].p << ", " << pt.setpoints[d].q;
    }
    auto flow = FlowAt(grid, load_scale, ders, pt.setpoints);
    ASSERT_TRUE(flow.ok()) << flow.status();
    EXPECT_EQ(core::LimitViolated(grid, flow, core::LimitOptions{}), core::LimitClass::kNone)
        << "point " << i << ": v " << flow->min_v_pu << ".." << flow->max_v_pu << " pu";
    EXPECT_NEAR(flow->slack_mva.real(), pt.exchange.p, 1e-9);
    EXPECT_NEAR(flow->slack_mva.imag(), pt.exchange.q, 1e-9);
  }
  for (const PqPoint& v : r.area.vertices()) {
    bool found = false;
    for (const core::GridAreaPoint& pt : r.points) {
      found |= std::hypot(pt.exchange.p - v.p, pt.exchange.q - v.q) < 1e-9;
    }
    EXPECT_TRUE(found) << "area vertex " << v.p << ", " << v.q << " is not an AC-verified point";
  }
}

TEST(GridAreaTest, WithoutBindingLimitsEqualsTheMinkowskiSum) {
  const core::RadialGrid grid = SmallGrid(0, 0.5, 1.5);
  const std::vector<PlacedDer> ders = SmallDers();
  auto r = core::ComputeGridAwareArea(grid, 1.0, ders);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->operating_within_limits);
  EXPECT_EQ(r->lps_solved, 16);
  EXPECT_EQ(r->vertices_pulled_in, 0);
  const ConvexPolygon plain = UnconstrainedArea(ders, r->operating);
  // Losses on these cables stay below 0.1 MW / Mvar at the extremes (a few
  // hundred amps through tenths of an ohm).
  for (int i = 0; i < 16; ++i) {
    const double a = 2 * M_PI * i / 16;
    EXPECT_NEAR(r->area.Support(std::cos(a), std::sin(a)), plain.Support(std::cos(a), std::sin(a)), 0.1)
        << "direction " << i;
  }
  EXPECT_NEAR(r->area.Area(), plain.Area(), 0.05 * plain.Area());
  ExpectAllPointsAcFeasible(grid, 1.0, ders, *r);
}

// The reactive load follows its own factor (a PCC load at another power
// factor than the model's): the operating exchange moves in Q by the added
// reactive load, in P only by the change of losses.
TEST(GridAreaTest, ReactiveLoadScaleMovesTheReactiveExchange) {
  const core::RadialGrid grid = SmallGrid(0, 0.8, 1.2);
  auto same = core::GridAreaSolver(grid).Compute(core::LoadScale{1.0, 1.0}, SmallDers());
  auto more_q = core::GridAreaSolver(grid).Compute(core::LoadScale{1.0, 3.0}, SmallDers());
  ASSERT_TRUE(same.ok()) << same.status();
  ASSERT_TRUE(more_q.ok()) << more_q.status();
  // 0.3 Mvar of reactive load, twice more.
  EXPECT_NEAR(more_q->operating.q - same->operating.q, 0.6, 0.01);
  EXPECT_NEAR(more_q->operating.p, same->operating.p, 0.01);
}

TEST(GridAreaTest, HeadBranchRatingCutsTheArea) {
  // 2 MVA at 10 kV: 115.47 A.
  const double s_max = 2.0;
  const core::RadialGrid grid = SmallGrid(s_max * 1000 / (std::sqrt(3.0) * 10), 0.5, 1.5);
  const std::vector<PlacedDer> ders = SmallDers();
  auto r = core::ComputeGridAwareArea(grid, 1.0, ders);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->operating_within_limits);
  // Without the rating the DERs reach 3 MW of import and 5 MW of export.
  const ConvexPolygon plain = UnconstrainedArea(ders, r->operating);
  ASSERT_GT(plain.MaxP(), 2.8);
  ASSERT_LT(plain.MinP(), -4.8);
  // What the DSO lets the branch carry: the rating less the 2 % security
  // margin, 1.96 MVA. The LP sees it as an inscribed 16-gon, which may stop
  // it up to 1 - cos(pi/16) = 1.9 % short of the circle, and its losses are
  // linear: on export the true losses are larger, so the AC exchange falls
  // short by their curvature (0.7 % here); on import the AC check pulls the
  // optimum in to the limit. Never beyond it.
  const double s_allowed = (1 - core::kDefaultThermalMargin) * s_max;
  const double tol = core::kDefaultLoadingTolerance * s_max;
  EXPECT_LE(r->area.MaxP(), s_allowed + tol);
  EXPECT_GE(r->area.MaxP(), 0.97 * s_allowed);
  EXPECT_GE(r->area.MinP(), -s_allowed - tol);
  EXPECT_LE(r->area.MinP(), -0.97 * s_allowed);
  EXPECT_GE(r->vertices_pulled_in, 1);
  // The slack sits at 1 pu, so |S| at the PCC is the head current's MVA.
  for (const PqPoint& v : r->area.vertices()) EXPECT_LE(std::hypot(v.p, v.q), s_allowed + tol);
  ExpectAllPointsAcFeasible(grid, 1.0, ders, *r);
}

TEST(GridAreaTest, VoltageBandLimitsExportOnALongFeeder) {
  // Four 20 kV overhead sections of 2 + 1j ohm each; a 6 MW PV plant at the
  // end (a segment region: P only) raises the voltage by about 0.02 pu per
  // MW exported.
  core::GridModel m;
  m.name = "long";
  m.slack_bus = "S";
  m.base_mva = 10;
  for (const char* id : {"S", "1", "2", "3", "4"}) m.buses.push_back({id, 20, 0.95, 1.05, 0.2, 0.05});
  m.buses[0].p_load_mw = m.buses[0].q_load_mvar = 0;
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"S", "1"}, {"1", "2"}, {"2", "3"}, {"3", "4"}}) {
    m.branches.push_back({from, to, 2, 1, 0, true});
  }
  auto grid = core::RadialGrid::Build(m, "long");
  ASSERT_TRUE(grid.ok()) << grid.status();
  const std::vector<PlacedDer> ders = {{4, ConvexPolygon::Hull({{0, 0}, {6, 0}}), {1, 0}}};
  auto r = core::ComputeGridAwareArea(*grid, 1.0, ders);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->operating_within_limits);
  const ConvexPolygon plain = UnconstrainedArea(ders, r->operating);
  EXPECT_GT(r->area.MinP(), plain.MinP() + 1.0) << "the voltage band should cut export";
  // Import (PV down to 0) is not limited by anything but the plant.
  EXPECT_NEAR(r->area.MaxP(), plain.MaxP(), 0.05);
  // At the largest export, the end of the feeder sits at its upper band
  // less the 0.005 pu security margin.
  const core::GridAreaPoint* most = nullptr;
  for (const core::GridAreaPoint& pt : r->points) {
    if (most == nullptr || pt.exchange.p < most->exchange.p) most = &pt;
  }
  auto flow = FlowAt(*grid, 1.0, ders, most->setpoints);
  ASSERT_TRUE(flow.ok());
  const double v_allowed = 1.05 - core::kDefaultVoltageMarginPu;
  EXPECT_LE(flow->max_v_pu, v_allowed + core::kDefaultVoltageTolerancePu);
  EXPECT_GE(flow->max_v_pu, v_allowed - 2e-3);
  ExpectAllPointsAcFeasible(*grid, 1.0, ders, *r);
}

// IEEE 33-bus DERs: PV, a battery, a CHP unit and V2G chargers.
std::vector<PlacedDer> Ieee33Ders(const core::RadialGrid& grid) {
  return {
      {grid.BusIndex("18"), ConvexPolygon::Rectangle(0, 1.5, -0.65, 0.65), {1.0, 0}},
      {grid.BusIndex("33"), ConvexPolygon::InscribedCircle(1.0, 64), {0, 0}},
      {grid.BusIndex("25"), ConvexPolygon::Rectangle(0.3, 1.2, -0.2, 0.9), {0.8, 0}},
      {grid.BusIndex("8"), ConvexPolygon::InscribedCircle(0.5, 16), {-0.2, 0}},
  };
}

TEST(GridAreaTest, Ieee33VerticesAreAcFeasibleAndInsideThePlainSum) {
  auto grid = testing::LoadGridTables(kIeee33, 12.66);
  ASSERT_TRUE(grid.ok()) << grid.status();
  const std::vector<PlacedDer> ders = Ieee33Ders(*grid);
  const auto start = std::chrono::steady_clock::now();
  auto r = core::ComputeGridAwareArea(*grid, 1.0, ders);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.ok()) << r.status();
  std::cout << "IEEE 33-bus, " << ders.size() << " DERs, 16 directions: " << ms << " ms, " << r->vertices_pulled_in
            << " vertices pulled in\n";
  ASSERT_TRUE(r->operating_within_limits);
  EXPECT_EQ(r->lps_solved, 16);
  ExpectAllPointsAcFeasible(*grid, 1.0, ders, *r);

  const ConvexPolygon plain = UnconstrainedArea(ders, r->operating);
  auto flow0 = FlowAt(*grid, 1.0, ders, std::vector<PqPoint>{{1.0, 0}, {0, 0}, {0.8, 0}, {-0.2, 0}});
  ASSERT_TRUE(flow0.ok());
  for (const core::GridAreaPoint& pt : r->points) {
    // Less the change of losses, a point is exactly the operating exchange
    // minus the DERs' moves: inside the plain sum.
    auto flow = FlowAt(*grid, 1.0, ders, pt.setpoints);
    ASSERT_TRUE(flow.ok());
    const PqPoint lossless{pt.exchange.p - (flow->loss_p_mw - flow0->loss_p_mw),
                           pt.exchange.q - (flow->loss_q_mvar - flow0->loss_q_mvar)};
    EXPECT_TRUE(plain.Contains(lossless, 1e-6)) << lossless.p << ", " << lossless.q;
    // With losses, within what they change (a few hundred kW at most here).
    EXPECT_TRUE(plain.Contains(pt.exchange, 0.3)) << pt.exchange.p << ", " << pt.exchange.q;
  }
  // The 0.90 pu band at the feeder's end binds (the base case sits at
  // 0.913 pu): importing through the battery at bus 33 is cut.
  EXPECT_LT(r->area.Area(), 0.95 * plain.Area());
  EXPECT_LT(r->area.MaxP(), plain.MaxP() - 0.1);
}

TEST(GridAreaTest, ViolatingOperatingPointGivesNoArea) {
  auto grid = testing::LoadGridTables(kIeee33, 12.66);
  ASSERT_TRUE(grid.ok()) << grid.status();
  // Twice the load takes the feeder's end below 0.90 pu, DERs or not.
  const std::vector<PlacedDer> ders33 = Ieee33Ders(*grid);
  auto flow = FlowAt(*grid, 2.0, ders33, {{1.0, 0}, {0, 0}, {0.8, 0}, {-0.2, 0}});
  ASSERT_TRUE(flow.ok()) << flow.status();
  ASSERT_LT(flow->min_v_pu, 0.9);
  auto r = core::ComputeGridAwareArea(*grid, 2.0, ders33);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->operating_within_limits);
  EXPECT_TRUE(r->area.empty());
  EXPECT_EQ(r->lps_solved, 0);

  // An operating exchange above the head branch's rating (1 MVA, the DERs
  // charging 2 MW).
  const core::RadialGrid small = SmallGrid(1000 / (std::sqrt(3.0) * 10), 0.5, 1.5);
  std::vector<PlacedDer> ders = SmallDers();
  ders[1].operating = {-1.5, 0};
  auto s = core::ComputeGridAwareArea(small, 1.0, ders);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->operating_within_limits);
  EXPECT_TRUE(s->area.empty());
}

TEST(GridAreaTest, BadInputIsAnErrorNamingIt) {
  const core::RadialGrid grid = SmallGrid(0, 0.9, 1.1);
  std::vector<PlacedDer> ders = SmallDers();
  ders[1].bus = 4;
  auto r = core::ComputeGridAwareArea(grid, 1.0, ders);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("ders[1].bus: index 4 is out of range"), std::string::npos) << r.status();

  ders = SmallDers();
  ders[0].operating.q = std::nan("");
  r = core::ComputeGridAwareArea(grid, 1.0, ders);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ders[0].operating"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("nan"), std::string::npos) << r.status();

  ders = SmallDers();
  ders[2] = {1, ConvexPolygon::Hull({{0, 0}, {1, std::nan("")}}), {0, 0}};
  r = core::ComputeGridAwareArea(grid, 1.0, ders);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ders[2].region"), std::string::npos) << r.status();

  r = core::ComputeGridAwareArea(grid, std::nan(""), SmallDers());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("load_scale: nan"), std::string::npos) << r.status();
  r = core::GridAreaSolver(grid).Compute(core::LoadScale{1.0, -1.0}, SmallDers());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("load_scale.q: -1"), std::string::npos) << r.status();

  ders = SmallDers();
  ders[0].operating = {5, 0};  // beyond the 4 MW unit
  r = core::ComputeGridAwareArea(grid, 1.0, ders);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ders[0].operating: (5, 0) lies outside"), std::string::npos) << r.status();
}

// Six placements on PS Sud: PV, CHP, hydro, storage, V2G. Figures in
// MW / Mvar.
std::vector<PlacedDer> PsSudDers(const core::RadialGrid& grid) {
  return {
      {grid.BusIndex("F1-8"), ConvexPolygon::Rectangle(0, 4, -1.7, 1.7), {3, 0}},
      {grid.BusIndex("F2-24"), ConvexPolygon::Rectangle(2.4, 6, -1.2, 4.5), {4.5, 0}},
      {grid.BusIndex("F3-14"), ConvexPolygon::Rectangle(0.04, 0.42, -0.1, 0.3), {0.3, 0}},
      {grid.BusIndex("F4-17"), ConvexPolygon::InscribedCircle(3, 64), {0, 0}},
      {grid.BusIndex("F5-30"), ConvexPolygon::InscribedCircle(2, 64), {-0.5, 0}},
      {grid.BusIndex("F6-12"), ConvexPolygon::Rectangle(0, 4, -1.7, 1.7), {3, 0}},
  };
}

TEST(GridAreaTest, PsSudAreaIsAcFeasibleAndTimed) {
  auto grid = testing::LoadPsSudGrid();
  ASSERT_TRUE(grid.ok()) << grid.status();
  // At peak load.
  const double load_scale = 1.0;
  const std::vector<PlacedDer> ders = PsSudDers(*grid);
  for (const PlacedDer& d : ders) ASSERT_GE(d.bus, 0);
  const auto start = std::chrono::steady_clock::now();
  auto r = core::ComputeGridAwareArea(*grid, load_scale, ders);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.ok()) << r.status();
  std::cout << "PS Sud, " << grid->bus_count() << " buses, " << ders.size() << " DERs, 16 directions: " << ms << " ms, "
            << r->vertices_pulled_in << " vertices pulled in\n";
  ASSERT_TRUE(r->operating_within_limits);
  EXPECT_EQ(r->lps_solved, 16);
  // At peak the battery's branches (rated about 2 and 1.2 MVA) and the
  // feeder-end voltages bind.
  EXPECT_GT(r->vertices_pulled_in, 0);
  EXPECT_GT(r->area.Area(), 0);
  // The model has the PCC transformer, whose losses stretch the area as the
  // exchange moves, so compare direction by direction: somewhere the
  // binding limits cut the reach by more than a megawatt.
  const ConvexPolygon plain = UnconstrainedArea(ders, r->operating);
  double deepest_cut = 0;
  for (int k = 0; k < 16; ++k) {
    const double a = 2 * M_PI * k / 16;
    deepest_cut =
        std::max(deepest_cut, plain.Support(std::cos(a), std::sin(a)) - r->area.Support(std::cos(a), std::sin(a)));
  }
  EXPECT_GT(deepest_cut, 1.0);
  ExpectAllPointsAcFeasible(*grid, load_scale, ders, *r);
}

// The LP without the rows of the buses with no DER at or below them (their
// flows and voltage bands folded into their parents') has the optima of the
// LP with every bus's rows: the same points, at peak (ratings and feeder-end
// voltages bind) and at light load.
TEST(GridAreaTest, LeavingOutBusesWithoutDersKeepsEveryOptimum) {
  auto grid = testing::LoadPsSudGrid();
  ASSERT_TRUE(grid.ok()) << grid.status();
  const std::vector<PlacedDer> ders = PsSudDers(*grid);
  core::GridAreaOptions every_bus;
  every_bus.eliminate_der_free_buses = false;
  for (double load_scale : {0.4, 1.0}) {
    auto reduced = core::ComputeGridAwareArea(*grid, load_scale, ders);
    auto full = core::ComputeGridAwareArea(*grid, load_scale, ders, every_bus);
    ASSERT_TRUE(reduced.ok()) << reduced.status();
    ASSERT_TRUE(full.ok()) << full.status();
    ASSERT_TRUE(full->operating_within_limits) << "load scale " << load_scale;
    EXPECT_EQ(reduced->lps_solved, 16);
    ASSERT_EQ(reduced->points.size(), full->points.size());
    for (size_t i = 0; i < full->points.size(); ++i) {
      EXPECT_NEAR(reduced->points[i].exchange.p, full->points[i].exchange.p, 1e-6)
          << "load scale " << load_scale << ", direction " << i;
      EXPECT_NEAR(reduced->points[i].exchange.q, full->points[i].exchange.q, 1e-6)
          << "load scale " << load_scale << ", direction " << i;
    }
    ExpectAllPointsAcFeasible(*grid, load_scale, ders, *reduced);
  }
}

// A direction taken from the last direction's basis without a solve (the
// tableau rows show that basis optimal for it) has the optimum Clp finds
// when it solves that direction: the same points, at peak and at light
// load. With the DERs' 64-gons most directions reach a vertex of their own;
// with rectangles (PV, CHP) most directions need no solve.
TEST(GridAreaTest, SkippingDirectionsWhoseBasisStaysOptimalKeepsEveryOptimum) {
  auto grid = testing::LoadPsSudGrid();
  ASSERT_TRUE(grid.ok()) << grid.status();
  const std::vector<PlacedDer> round = PsSudDers(*grid);
  std::vector<PlacedDer> boxes = round;
  for (PlacedDer& d : boxes) {
    d.region = ConvexPolygon::Rectangle(d.region.MinP(), d.region.MaxP(), d.region.MinQ(), d.region.MaxQ());
  }
  core::GridAreaOptions every_direction;
  every_direction.skip_directions_kept_optimal = false;
  every_direction.directions = 64;
  core::GridAreaOptions skipping;
  skipping.directions = 64;
  for (const bool rectangles : {false, true}) {
    const std::vector<PlacedDer>& ders = rectangles ? boxes : round;
    for (double load_scale : {0.4, 1.0}) {
      const std::string where = absl::StrCat(rectangles ? "rectangles" : "64-gons", ", load scale ", load_scale);
      auto skipped = core::ComputeGridAwareArea(*grid, load_scale, ders, skipping);
      auto solved = core::ComputeGridAwareArea(*grid, load_scale, ders, every_direction);
      ASSERT_TRUE(skipped.ok()) << skipped.status();
      ASSERT_TRUE(solved.ok()) << solved.status();
      ASSERT_TRUE(solved->operating_within_limits) << where;
      EXPECT_EQ(skipped->lps_solved, 64) << where;
      EXPECT_EQ(solved->lps_skipped, 0) << where;
      if (rectangles) {
        EXPECT_GT(skipped->lps_skipped, 32) << where;
      }
      ASSERT_EQ(skipped->points.size(), solved->points.size()) << where;
      for (size_t i = 0; i < solved->points.size(); ++i) {
        EXPECT_NEAR(skipped->points[i].exchange.p, solved->points[i].exchange.p, 1e-6) << where << ", direction " << i;
        EXPECT_NEAR(skipped->points[i].exchange.q, solved->points[i].exchange.q, 1e-6) << where << ", direction " << i;
      }
      ExpectAllPointsAcFeasible(*grid, load_scale, ders, *skipped);
    }
  }
}

}  // namespace
}  // namespace tsodso
