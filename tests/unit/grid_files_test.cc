// The daemon's network loaders: PS Sud as the demo configures it (network,
// transformer, DER placement, resources, the grid state of an interval),
// and what they say about bad model files.
#include "app/grid_files.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "app/flex_publisher.h"
#include "core/grid/power_flow.h"
#include "core/validation/merit_order_list.h"
#include "support/status_testing.h"
#include "support/temp_dir.h"
#include "test_grids.h"

namespace tsodso {
namespace {

using ::tsodso::testing::StatusIs;

// PS Sud as the demo configures it: both scenarios and the network.
class PsSudTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string config = std::string(TSODSO_SOURCE_DIR) + "/config/";
    app::FlexibilityConfig fc;
    fc.der_classes = config + "der-classes.yaml";
    fc.scenarios["PS_SUD"] = {{"current", config + "ps-sud/as-is.yaml"}, {"2030", config + "ps-sud/2030.yaml"}};
    auto flex = app::LoadFlexCatalog(fc);
    ASSERT_TRUE(flex.ok()) << flex.status();
    flex_ = *std::move(flex);
    auto grids = app::LoadGridCatalog({{"PS_SUD", config + "grids/ps-sud"}}, *flex_);
    ASSERT_TRUE(grids.ok()) << grids.status();
    grids_ = *std::move(grids);
  }
  const core::PccNetwork& Network() const { return *grids_.Find("PS_SUD"); }
  const core::PccModel& Model(const std::string& scenario) const { return flex_->Find("PS_SUD", scenario)->model; }

  std::shared_ptr<const core::FlexCatalog> flex_;
  core::GridCatalog grids_;
};

// PS Sud as the demo configures it: network, transformer, DER placement,
// registered resources, and the grid state of an interval.
TEST_F(PsSudTest, LoadsWithTransformerPlacementAndResources) {
  const core::PccNetwork* net = grids_.Find("PS_SUD");
  ASSERT_NE(net, nullptr);
  EXPECT_GE(grids_.assets.size(), 6u);
  EXPECT_EQ(grids_.assets.at("agg1-chp-01").type, "chp");
  EXPECT_EQ(grids_.assets.at("agg1-chp-01").pcc_id, "PS_SUD");
  // The book for a validation: every asset at its bus, owned only where a
  // qualification stands.
  const core::ResourceBook book =
      core::BookOf(grids_, {{"agg1-chp-01", core::Qualification{"agg-1", absl::InfiniteFuture(), 1.5, 5}}});
  EXPECT_EQ(book.at("agg1-chp-01").aggregator, "agg-1");
  EXPECT_TRUE(book.at("agg1-chp-01").location.prequalified);
  EXPECT_EQ(book.at("agg1-chp-01").location.buses.at(0).first, net->grid->BusIndex("F2-6"));
  EXPECT_FALSE(book.at("agg1-pv-01").location.prequalified);
  EXPECT_EQ(book.at("agg1-pv-01").aggregator, "");

  const core::FlexScenario* sc = flex_->Find("PS_SUD", "2030");
  const absl::Time noon = absl::FromUnixSeconds(1751544000);  // 2025-07-03T12:00Z
  const core::GridState s = core::GridStateAt(*net, sc->model, noon, absl::Minutes(15));
  const core::FlexInterval f = core::ComputeInterval(sc->model, noon, absl::Minutes(15), false);
  // The network's loads are scaled to the PCC's load, and its DERs inject
  // what the flexibility engine says: the slack carries the PCC exchange
  // plus the network's losses.
  auto pf = core::SolvePowerFlow(*net->grid, &s.injections);
  ASSERT_TRUE(pf.ok()) << pf.status();
  EXPECT_GT(pf->slack_mva.real(), f.operating.p);
  EXPECT_LT(pf->slack_mva.real(), f.operating.p + 0.05 * std::abs(f.operating.p) + 3);
  int der_buses = 0;
  for (const auto& r : s.der_regions) der_buses += !r.empty();
  EXPECT_GT(der_buses, 30);
}

TEST(PccNetworkTest, BadPlacementAndResourcesNameFileRowAndField) {
  testing::TempDir dir("tsodso-net-");
  const std::string src = std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud/";
  for (const char* f : {"buses.csv", "branches.csv"}) {
    std::ifstream in(src + f);
    std::ofstream(dir.path() + "/" + f) << in.rdbuf();
  }
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.path() + "/" + name) << text;
  };
  write("model.yaml",
        "buses: buses.csv\nbranches: branches.csv\nnominal_kv: 23\nslack_bus: PS\nslack_voltage_pu: 1.04\n"
        "transformer: {rating_mva: 376, r_pct: 0.3, x_pct: 12}\nresources: resources.csv\n");
  write("resources.csv",
        "resource_id,bus,type,sn_mva,p_min_mw,p_max_mw,q_min_mvar,q_max_mvar\nr1,F1-5,pv,1,0,1,0,0\nr2,F9-99,pv,1,0,1,"
        "0,0\n");
  // A current scenario without DER groups: the network needs one for its
  // operating point, and without groups there is nothing to place.
  core::FlexCatalog none;
  none.by_pcc["PS_SUD"][core::kCurrentScenario] = core::FlexScenario{};
  auto g = app::LoadGridCatalog({{"PS_SUD", dir.path()}}, none);
  EXPECT_TRUE(StatusIs(g, absl::StatusCode::kInvalidArgument, {"resources.csv: row 3: bus: 'F9-99'"}));

  write("resources.csv",
        "resource_id,bus,type,sn_mva,p_min_mw,p_max_mw,q_min_mvar,q_max_mvar\nr1,F1-5,pv,1,0,1,0,0\nr1,F1-6,pv,1,0,1,0,"
        "0\n");
  EXPECT_TRUE(StatusIs(app::LoadGridCatalog({{"PS_SUD", dir.path()}}, none), absl::StatusCode::kInvalidArgument,
                       {"row 3: resource_id: 'r1' is registered twice"}));

  write("resources.csv",
        "resource_id,bus,type,sn_mva,p_min_mw,p_max_mw,q_min_mvar,q_max_mvar\nr1,F1-5,nuclear,1,0,1,0,0\n");
  EXPECT_TRUE(StatusIs(app::LoadGridCatalog({{"PS_SUD", dir.path()}}, none), absl::StatusCode::kInvalidArgument,
                       {"resources.csv: row 2: type: 'nuclear'"}));
  write("resources.csv",
        "resource_id,bus,type,sn_mva,p_min_mw,p_max_mw,q_min_mvar,q_max_mvar\nr1,F1-5,pv,-1,0,1,0,0\n");
  EXPECT_TRUE(StatusIs(app::LoadGridCatalog({{"PS_SUD", dir.path()}}, none), absl::StatusCode::kInvalidArgument,
                       {"resources.csv: row 2: r1.sn_mva: -1 must be positive"}));
  write("resources.csv", "resource_id,bus,type,sn_mva,p_min_mw,p_max_mw,q_min_mvar,q_max_mvar\nr1,F1-5,pv,1,0,1,0,0\n");
  auto ok = app::LoadGridCatalog({{"PS_SUD", dir.path()}}, none);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(StatusIs(app::LoadGridCatalog({{"PS_SUD", dir.path()}}, core::FlexCatalog{}),
                       absl::StatusCode::kInvalidArgument, {"grid.pccs.PS_SUD", "no flexibility scenario 'current'"}));
  // The transformer sits between the new slack and the busbar, rated
  // 376 MVA at 23 kV.
  const core::RadialGrid& grid = *ok->Find("PS_SUD")->grid;
  EXPECT_EQ(grid.model().slack_bus, "PS-HV");
  const core::Branch& trafo = grid.model().branches[grid.parent_branch(grid.BusIndex("PS"))];
  EXPECT_EQ(trafo.from, "PS-HV");
  EXPECT_NEAR(trafo.rating_a, 376e3 / (std::sqrt(3.0) * 23), 1e-6);
  auto pf = core::SolvePowerFlow(grid, nullptr);
  ASSERT_TRUE(pf.ok());
  // About 4 % drop across the transformer at full load.
  const double busbar = std::abs(pf->v_pu[grid.BusIndex("PS")]);
  EXPECT_LT(busbar, 1.04 - 0.02);
  EXPECT_GT(busbar, 1.04 - 0.06);

  write("model.yaml",
        "buses: buses.csv\nbranches: branches.csv\nnominal_kv: 23\nslack_bus: PS\n"
        "transformer: {rating_mva: 376, x_pct: 12}\n");
  EXPECT_FALSE(app::LoadGridCatalog({{"PS_SUD", dir.path()}}, none).ok());
  write("model.yaml",
        "buses: buses.csv\nbranches: branches.csv\nnominal_kv: 23\nslack_bus: PS\n"
        "transformer: {rating_mva: 376, r_pct: 0.3, x_pct: 12, tap: 2}\n");
  EXPECT_TRUE(StatusIs(app::LoadGridCatalog({{"PS_SUD", dir.path()}}, none), absl::StatusCode::kInvalidArgument,
                       {"unknown key 'transformer.tap'"}));

  // Placement: a group of the scenario that is not placed, or shares that
  // do not sum to one.
  core::PccNetwork net;
  net.pcc_id = "PS_SUD";
  net.grid = ok->Find("PS_SUD")->grid;
  net.placement = {{"pv", "F1-5", 0.5}, {"pv", "F1-6", 0.4}};
  core::PccModel model;
  model.groups.push_back(core::DerGroup{"pv", {}, 1, 1, nullptr});
  EXPECT_TRUE(StatusIs(core::CheckPlacement(net, model, "p.csv"), absl::StatusCode::kInvalidArgument,
                       {"group 'pv': shares sum to 0.9"}));
  model.groups.push_back(core::DerGroup{"chp", {}, 1, 1, nullptr});
  net.placement.push_back({"pv", "F1-7", 0.1});
  EXPECT_TRUE(StatusIs(core::CheckPlacement(net, model, "p.csv"), absl::StatusCode::kInvalidArgument,
                       {"group 'chp' of PCC PS_SUD is not placed"}));
  net.placement.push_back({"chp", "nowhere", 1});
  EXPECT_TRUE(
      StatusIs(core::CheckPlacement(net, model, "p.csv"), absl::StatusCode::kInvalidArgument, {"bus 'nowhere'"}));
}

// The domain's tests load PS Sud without the daemon's loaders: the same
// network as config/grids/ps-sud/model.yaml describes.
TEST(PccNetworkTest, TheDomainTestsPsSudIsTheConfiguredOne) {
  auto configured = app::LoadGrid(std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud", 0);
  ASSERT_TRUE(configured.ok()) << configured.status();
  auto tested = testing::LoadPsSudGrid();
  ASSERT_TRUE(tested.ok()) << tested.status();
  const core::GridModel& a = configured->model();
  const core::GridModel& b = tested->model();
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.slack_bus, b.slack_bus);
  EXPECT_EQ(a.slack_voltage_pu, b.slack_voltage_pu);
  EXPECT_EQ(a.base_mva, b.base_mva);
  ASSERT_EQ(a.buses.size(), b.buses.size());
  ASSERT_EQ(a.branches.size(), b.branches.size());
  for (size_t i = 0; i < a.buses.size(); ++i) {
    EXPECT_EQ(a.buses[i].v_nom_kv, b.buses[i].v_nom_kv) << a.buses[i].id;
    EXPECT_EQ(a.buses[i].v_min_pu, b.buses[i].v_min_pu) << a.buses[i].id;
    EXPECT_EQ(a.buses[i].v_max_pu, b.buses[i].v_max_pu) << a.buses[i].id;
  }
  for (size_t i = 0; i < a.branches.size(); ++i) {
    EXPECT_EQ(a.branches[i].r_ohm, b.branches[i].r_ohm) << i;
    EXPECT_EQ(a.branches[i].x_ohm, b.branches[i].x_ohm) << i;
    EXPECT_EQ(a.branches[i].rating_a, b.branches[i].rating_a) << i;
  }
}

// One operating point: the network's loads follow the same PCC load, in P
// and in Q, as the published figures, so that the AC exchange at the PCC is
// the published operating point plus the network's losses, at every ISP of
// a day, in both scenarios; and the network's total load is the scenarios'
// documented peak (180 MW at power factor 0.95, docs/GRID.md).
TEST_F(PsSudTest, AcExchangeIsThePublishedOperatingPointPlusLosses) {
  const core::PccNetwork& net = Network();
  const absl::Duration isp = absl::Minutes(15);

  double model_p = 0, model_q = 0;
  for (const core::Bus& b : net.grid->model().buses) model_p += b.p_load_mw, model_q += b.q_load_mvar;
  double peak = 0;
  const absl::Time year = absl::FromCivil(absl::CivilYear(2025), absl::UTCTimeZone());
  for (absl::Time t = year; t < year + absl::Hours(24 * 365); t += isp) {
    peak = std::max(peak, core::PccLoadAt(Model("current"), t, isp).p);
  }
  EXPECT_NEAR(peak, 180, 1e-6);
  EXPECT_NEAR(model_p, peak, 0.01);
  EXPECT_NEAR(model_q, peak * std::tan(std::acos(0.95)), 0.01);

  for (const char* name : {"current", "2030"}) {
    const core::PccModel& model = Model(name);
    // A winter weekday (load near its peak, CHP running) and a summer one
    // (CHP off, PV at its highest).
    for (const absl::CivilDay day : {absl::CivilDay(2025, 1, 15), absl::CivilDay(2025, 7, 3)}) {
      const absl::Time from = absl::FromCivil(day, absl::UTCTimeZone());
      for (absl::Time t = from; t < from + absl::Hours(24); t += isp) {
        SCOPED_TRACE(absl::StrCat(name, " ", absl::FormatTime(t)));
        const core::FlexInterval published = core::ComputeInterval(model, t, isp, false);
        const core::GridState s = core::GridStateAt(net, model, t, isp);
        double load_p = 0, load_q = 0;
        for (size_t i = 0; i < s.injections.size(); ++i) {
          load_p += net.grid->model().buses[i].p_load_mw * s.load_scale;
          load_q += net.grid->model().buses[i].q_load_mvar * s.load_scale_q;
        }
        const core::PqPoint pcc_load = core::PccLoadAt(model, t, isp);
        EXPECT_NEAR(load_p, pcc_load.p, 1e-6);
        EXPECT_NEAR(load_q, pcc_load.q, 1e-6);
        auto pf = core::SolvePowerFlow(*net.grid, &s.injections);
        ASSERT_TRUE(pf.ok()) << pf.status();
        // Constant-power loads: what the slack supplies beyond the
        // published exchange is the losses, to the sweep's tolerance.
        EXPECT_NEAR(pf->slack_mva.real(), published.operating.p + pf->loss_p_mw, 1e-4);
        EXPECT_NEAR(pf->slack_mva.imag(), published.operating.q + pf->loss_q_mvar, 1e-4);
        // And the losses are a network's, not a second operating point.
        EXPECT_GE(pf->loss_p_mw, 0);
        EXPECT_LT(pf->loss_p_mw, 0.05 * pcc_load.p);
        EXPECT_LT(pf->loss_q_mvar, 0.15 * std::hypot(pcc_load.p, pcc_load.q));
      }
    }
  }
}

// The grid-limited area starts from the same AC operating point.
TEST_F(PsSudTest, GridLimitedAreaSharesTheOperatingPoint) {
  const core::PccNetwork& net = Network();
  const core::PccModel& model = Model("2030");
  const absl::Duration isp = absl::Minutes(15);
  const absl::Time day = absl::FromCivil(absl::CivilDay(2025, 1, 15), absl::UTCTimeZone());
  for (const absl::Time t : {day + absl::Minutes(4 * 60 + 15), day + absl::Hours(8), day + absl::Hours(18)}) {
    SCOPED_TRACE(absl::FormatTime(t));
    const core::GridState s = core::GridStateAt(net, model, t, isp);
    auto pf = core::SolvePowerFlow(*net.grid, &s.injections);
    ASSERT_TRUE(pf.ok()) << pf.status();
    auto g = core::GridLimitedAt(net, model, t, isp);
    ASSERT_TRUE(g.ok()) << g.status();
    EXPECT_NEAR(g->operating.p, pf->slack_mva.real(), 1e-6);
    EXPECT_NEAR(g->operating.q, pf->slack_mva.imag(), 1e-6);
    const core::FlexInterval published = core::ComputeInterval(model, t, isp, false);
    EXPECT_NEAR(g->operating.q, published.operating.q + pf->loss_q_mvar, 1e-4);
  }
}

}  // namespace
}  // namespace tsodso
