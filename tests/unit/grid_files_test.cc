// The daemon's network loaders: PS Sud as the demo configures it (network,
// transformer, DER placement, resources, the grid state of an interval),
// and what they say about bad model files.
#include "app/grid_files.h"

#include <gtest/gtest.h>

#include <fstream>

#include "app/flex_publisher.h"
#include "core/grid/power_flow.h"
#include "core/validation/merit_order_list.h"
#include "support/status_testing.h"
#include "support/temp_dir.h"
#include "test_grids.h"

namespace tsodso {
namespace {

using ::tsodso::testing::StatusIs;

// PS Sud as the demo configures it: network, transformer, DER placement,
// registered resources, and the grid state of an interval.
TEST(PccNetworkTest, PsSudLoadsWithTransformerPlacementAndResources) {
  const std::string config = std::string(TSODSO_SOURCE_DIR) + "/config/";
  app::FlexibilityConfig fc;
  fc.der_classes = config + "der-classes.yaml";
  fc.scenarios["PS_SUD"] = {{"current", config + "ps-sud/as-is.yaml"}, {"2030", config + "ps-sud/2030.yaml"}};
  auto flex = app::LoadFlexCatalog(fc);
  ASSERT_TRUE(flex.ok()) << flex.status();
  auto grids = app::LoadGridCatalog({{"PS_SUD", config + "grids/ps-sud"}}, **flex);
  ASSERT_TRUE(grids.ok()) << grids.status();
  const core::PccNetwork* net = grids->Find("PS_SUD");
  ASSERT_NE(net, nullptr);
  EXPECT_GE(grids->assets.size(), 6u);
  EXPECT_EQ(grids->assets.at("agg1-chp-01").type, "chp");
  EXPECT_EQ(grids->assets.at("agg1-chp-01").pcc_id, "PS_SUD");
  // The book for a validation: every asset at its bus, owned only where a
  // qualification stands.
  const core::ResourceBook book =
      core::BookOf(*grids, {{"agg1-chp-01", core::Qualification{"agg-1", absl::InfiniteFuture(), 1.5, 5}}});
  EXPECT_EQ(book.at("agg1-chp-01").aggregator, "agg-1");
  EXPECT_TRUE(book.at("agg1-chp-01").location.prequalified);
  EXPECT_EQ(book.at("agg1-chp-01").location.buses.at(0).first, net->grid->BusIndex("F2-6"));
  EXPECT_FALSE(book.at("agg1-pv-01").location.prequalified);
  EXPECT_EQ(book.at("agg1-pv-01").aggregator, "");

  const core::FlexScenario* sc = (*flex)->Find("PS_SUD", "2030");
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

}  // namespace
}  // namespace tsodso
