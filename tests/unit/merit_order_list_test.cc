// The TSO's list as a whole: request checks, the resource registry, the
// traffic light that follows, the grid state at an ISP and the PS Sud
// network set-up (transformer, DER placement, resources).
#include <gtest/gtest.h>

#include <fstream>

#include "app/flex_publisher.h"
#include "app/grid_commands.h"
#include "core/pcc/pcc_network.h"
#include "core/validation/merit_order_list.h"
#include "core/validation/traffic_light.h"
#include "sample_registry.h"
#include "support/status_testing.h"
#include "support/temp_dir.h"

namespace tsodso {
namespace {

using core::LightReason;
using core::LightState;
using ::tsodso::testing::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);
const absl::Time kIsp = absl::FromUnixSeconds(1795000000 - 1795000000 % 900 + 1800);

core::MeritOrderList List() {
  core::MeritOrderList l;
  l.validation_id = "v-1";
  l.direction = 1;
  for (int i = 0; i < 3; ++i) {
    core::MolBid b;
    b.bid = core::Bid{"b" + std::to_string(i), "agg-1", {"r1"}, "PS_SUD", 1.0 + i, 50.0 + i, 0, true};
    b.isp_start = kIsp;
    l.bids.push_back(b);
  }
  return l;
}

class MolListTest : public ::testing::Test {
 protected:
  core::PartyRegistry registry_ = testing::SampleRegistry();
  const core::Party& tso_ = *registry_.FindById("tso-terna");
};

TEST_F(MolListTest, AcceptsAGoodList) {
  auto m = core::CheckMeritOrderList(List(), registry_, tso_, kNow);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->isp_start, kIsp);
  EXPECT_EQ(m->direction, core::Direction::kUp);
  EXPECT_EQ(m->bids.size(), 3u);
}

TEST_F(MolListTest, RefusesBadListsNamingTheField) {
  const auto refused = [&](auto spoil, const std::string& what) {
    core::MeritOrderList l = List();
    spoil(l);
    EXPECT_TRUE(
        StatusIs(core::CheckMeritOrderList(l, registry_, tso_, kNow), absl::StatusCode::kInvalidArgument, {what}));
  };
  refused([](auto& l) { l.validation_id = ""; }, "validation_id");
  refused([](auto& l) { l.validation_id = "a b"; }, "validation_id: 'a b'");
  refused([](auto& l) { l.direction = 3; }, "direction: 3");
  refused([](auto& l) { l.bids.clear(); }, "empty");
  refused([](auto& l) { l.bids[2].isp_start += absl::Minutes(15); }, "bids[2] (b2).isp_start");
  refused([](auto& l) { l.bids[1].bid.pcc_id = "NOWHERE"; }, "bids[1] (b1).pcc_id: unknown PCC 'NOWHERE'");
  refused([](auto& l) { l.bids[0].bid.bsp_party_id = "tso-terna"; }, "is not a BSP");
  refused(
      [](auto& l) {
        for (auto& b : l.bids) b.isp_start = kIsp - absl::Hours(1);
      },
      "has ended");
  refused(
      [](auto& l) {
        for (auto& b : l.bids) b.isp_start = kIsp + absl::Hours(24 * 8);
      },
      "more than 7 days ahead");
  refused(
      [](auto& l) {
        for (auto& b : l.bids) b.isp_start = kIsp + absl::Seconds(1);
      },
      "15-minute ISP");
}

TEST_F(MolListTest, TheCurrentIspMayStillBeValidated) {
  core::MeritOrderList l = List();
  // The ISP started 10 minutes ago and has 5 to go.
  const absl::Time now = kIsp + absl::Minutes(10);
  EXPECT_TRUE(core::CheckMeritOrderList(l, registry_, tso_, now).ok());
}

// One feeder of two buses: PCC busbar -> A -> B, B rated tightly.
core::RadialGrid TinyGrid() {
  core::GridModel m;
  m.slack_bus = "S";
  m.base_mva = 10;
  m.buses = {{"S", 20, 0.9, 1.1, 0, 0}, {"A", 20, 0.9, 1.1, 1, 0.3}, {"B", 20, 0.9, 1.1, 1, 0.3}};
  m.branches = {{"S", "A", 0.5, 0.5, 400, true}, {"A", "B", 0.5, 0.5, 60, true}};
  auto g = core::RadialGrid::Build(m, "tiny");
  EXPECT_TRUE(g.ok()) << g.status();
  return std::move(*g);
}

TEST_F(MolListTest, RegistryRejectionsComeBeforeThePowerFlowAndKeepMeritPositions) {
  const core::RadialGrid grid = TinyGrid();
  core::ResourceBook book;
  book["mine"] = {{"PS_SUD", {{2, 1.0}}, true}, "agg-1", absl::InfiniteFuture()};
  book["expired"] = {{"PS_SUD", {{2, 1.0}}, true}, "agg-1", kIsp};
  book["theirs"] = {{"PS_SUD", {{2, 1.0}}, true}, "agg-2", absl::InfiniteFuture()};
  book["pending"] = {{"PS_SUD", {{2, 1.0}}, false}, "agg-1", absl::InfiniteFuture()};
  core::CheckedMol mol;
  mol.validation_id = "v";
  mol.direction = core::Direction::kUp;
  mol.isp_start = kIsp;
  mol.bids = {core::Bid{"cheap", "agg-1", {"mine"}, "PS_SUD", 0.5, 10, 0, true},
              core::Bid{"old", "agg-1", {"expired"}, "PS_SUD", 0.5, 20, 0, true},
              core::Bid{"stolen", "agg-1", {"theirs"}, "PS_SUD", 0.5, 30, 0, true},
              core::Bid{"wait", "agg-1", {"pending"}, "PS_SUD", 0.5, 40, 0, true},
              core::Bid{"big", "agg-1", {"mine"}, "PS_SUD", 3, 50, 0, true}};
  std::map<std::string, core::PccValidationInput> in;
  in["PS_SUD"] = {&grid, std::vector<core::PqPoint>(3)};
  const auto lines = core::ValidateList(mol, book, in);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].result.bid_id, "cheap");
  EXPECT_EQ(lines[0].result.outcome, core::BidOutcome::kAccepted);
  EXPECT_EQ(lines[1].result.reason, core::BidReason::kOutsideValidity);
  EXPECT_EQ(lines[2].result.reason, core::BidReason::kUnknownResource);
  EXPECT_EQ(lines[3].result.reason, core::BidReason::kNotPrequalified);
  EXPECT_EQ(lines[4].result.bid_id, "big");
  EXPECT_EQ(lines[4].position, 5);
  EXPECT_EQ(lines[4].result.outcome, core::BidOutcome::kLimited);  // 60 A at 20 kV is about 2 MVA
  EXPECT_LT(lines[4].result.accepted_mw, 3.0);
  EXPECT_EQ(lines[4].requested_mw, 3);

  // The TSO that asked reads every line, the BSP its own; agg-2 has no
  // assets at PS Sud, so its share carries no traffic light.
  const auto shares = core::ShareLines(lines, "tso-terna", registry_);
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_EQ(shares[0].recipient, "tso-terna");
  EXPECT_EQ(shares[0].lines.size(), 5u);
  EXPECT_EQ(shares[1].recipient, "agg-1");
  EXPECT_EQ(shares[1].lines.size(), 5u);
  EXPECT_TRUE(shares[1].with_light);
  std::vector<core::MolLine> two_bsps = lines;
  two_bsps[2].bsp_party_id = "agg-2";
  const auto split = core::ShareLines(two_bsps, "tso-terna", registry_);
  ASSERT_EQ(split.size(), 3u);
  EXPECT_EQ(split[2].recipient, "agg-2");
  EXPECT_EQ(split[2].lines, std::vector<size_t>{2});
  EXPECT_FALSE(split[2].with_light);
  EXPECT_EQ(split[1].lines.size(), 4u);

  const core::Light light = core::LightFromLines(lines, "PS_SUD");
  EXPECT_EQ(light.state, LightState::kYellow);
  EXPECT_EQ(light.reason, LightReason::kThermalLimit);
  // Registry refusals alone say nothing about the grid.
  EXPECT_EQ(core::LightFromLines({lines[1], lines[2]}, "PS_SUD").state, LightState::kGreen);
}

TEST_F(MolListTest, ABidBeyondItsQualifiedRangeIsCutToIt) {
  const core::RadialGrid grid = TinyGrid();
  core::ResourceBook book;
  book["small"] = {{"PS_SUD", {{1, 1.0}}, true}, "agg-1", absl::InfiniteFuture(), 0.8};
  book["pair"] = {{"PS_SUD", {{1, 1.0}}, true}, "agg-1", absl::InfiniteFuture(), 0.5};
  core::CheckedMol mol;
  mol.validation_id = "v";
  mol.direction = core::Direction::kUp;
  mol.isp_start = kIsp;
  mol.bids = {core::Bid{"big", "agg-1", {"small"}, "PS_SUD", 1.5, 10, 0, true},
              core::Bid{"whole", "agg-1", {"small"}, "PS_SUD", 1.5, 20, 0, false},
              core::Bid{"min", "agg-1", {"small"}, "PS_SUD", 1.5, 30, 1.0, true},
              core::Bid{"two", "agg-1", {"small", "pair"}, "PS_SUD", 0.9, 40, 0, true},
              core::Bid{"fits", "agg-1", {"small"}, "PS_SUD", 0.2, 50, 0, true}};
  std::map<std::string, core::PccValidationInput> in;
  in["PS_SUD"] = {&grid, std::vector<core::PqPoint>(3)};
  std::map<std::string, core::BidResult> r;
  for (const auto& line : core::ValidateList(mol, book, in)) r[line.result.bid_id] = line.result;
  EXPECT_EQ(r["big"].outcome, core::BidOutcome::kLimited);
  EXPECT_EQ(r["big"].reason, core::BidReason::kBeyondQualifiedRange);
  EXPECT_NEAR(r["big"].accepted_mw, 0.8, 1e-9);
  EXPECT_EQ(r["whole"].outcome, core::BidOutcome::kRejected);  // indivisible
  EXPECT_EQ(r["whole"].reason, core::BidReason::kBeyondQualifiedRange);
  EXPECT_EQ(r["min"].reason, core::BidReason::kBeyondQualifiedRange);  // 0.8 < its 1.0 minimum
  EXPECT_EQ(r["min"].outcome, core::BidOutcome::kRejected);
  // Spread over two, the narrower range (0.5 each) binds: 1.0 in all.
  EXPECT_EQ(r["two"].outcome, core::BidOutcome::kAccepted);
  EXPECT_EQ(r["fits"].outcome, core::BidOutcome::kAccepted);
  EXPECT_EQ(r["fits"].reason, core::BidReason::kNone);
}

core::IspLight Isp(int k, LightState s, bool red = false) {
  core::IspLight l;
  l.isp_start = kIsp + k * core::kIsp;
  l.down = {s, s == LightState::kYellow ? LightReason::kVoltageLimit : LightReason::kNone};
  l.intervention = red;
  return l;
}

TEST(TrafficLightTest, InterventionOverridesAndChangesMerge) {
  EXPECT_EQ(Isp(0, LightState::kYellow, true).Effective().state, LightState::kRed);
  EXPECT_EQ(Isp(0, LightState::kYellow, true).Effective().reason, LightReason::kDirectIntervention);
  const std::vector<core::IspLight> before = {Isp(0, LightState::kGreen), Isp(1, LightState::kGreen),
                                              Isp(2, LightState::kYellow), Isp(3, LightState::kGreen)};
  std::vector<core::IspLight> after = before;
  for (auto& l : after) l.intervention = true;
  const auto changes = core::Changes("P", before, after);
  // Green -> red for ISPs 0-1, yellow -> red for 2, green -> red for 3.
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].start, kIsp);
  EXPECT_EQ(changes[0].end, kIsp + 2 * core::kIsp);
  EXPECT_EQ(changes[0].previous, LightState::kGreen);
  EXPECT_EQ(changes[1].previous, LightState::kYellow);
  EXPECT_EQ(changes[2].end, kIsp + 4 * core::kIsp);
  EXPECT_TRUE(core::Changes("P", after, after).empty());

  const auto periods = core::MergePeriods("P", before);
  ASSERT_EQ(periods.size(), 3u);
  EXPECT_EQ(periods[0].end - periods[0].start, 2 * core::kIsp);
  EXPECT_EQ(periods[1].light.state, LightState::kYellow);
}

TEST(TrafficLightTest, EitherDirectionLimitedMakesItYellow) {
  core::IspLight l = Isp(0, LightState::kGreen);
  EXPECT_EQ(l.Effective().state, LightState::kGreen);
  l.ForDirection(core::Direction::kUp) = {LightState::kYellow, LightReason::kThermalLimit};
  EXPECT_EQ(l.Effective().state, LightState::kYellow);
  EXPECT_EQ(l.Effective().reason, LightReason::kThermalLimit);
  // A later downward list that needs no limit leaves the upward one's.
  l.ForDirection(core::Direction::kDown) = {};
  EXPECT_EQ(l.Effective().state, LightState::kYellow);
  l.ForDirection(core::Direction::kUp) = {};
  EXPECT_EQ(l.Effective().state, LightState::kGreen);
}

TEST(TrafficLightTest, WindowChecksNameTheField) {
  EXPECT_TRUE(core::CheckIspWindow(kIsp, kIsp + core::kIsp).ok());
  EXPECT_TRUE(core::CheckUpcomingIspWindow(kIsp, kIsp + core::kIsp, kIsp + absl::Minutes(5)).ok());
  EXPECT_TRUE(StatusIs(core::CheckUpcomingIspWindow(kIsp, kIsp + core::kIsp, kIsp + core::kIsp),
                       absl::StatusCode::kInvalidArgument, {"to:", "has passed"}));
  EXPECT_TRUE(StatusIs(core::CheckIspWindow(kIsp + absl::Minutes(1), kIsp + core::kIsp),
                       absl::StatusCode::kInvalidArgument, {"from:"}));
  EXPECT_TRUE(
      StatusIs(core::CheckIspWindow(kIsp, kIsp + absl::Minutes(20)), absl::StatusCode::kInvalidArgument, {"to:"}));
  EXPECT_TRUE(StatusIs(core::CheckIspWindow(kIsp, kIsp), absl::StatusCode::kInvalidArgument, {"not after"}));
  EXPECT_TRUE(
      StatusIs(core::CheckIspWindow(kIsp, kIsp + absl::Hours(24 * 8)), absl::StatusCode::kInvalidArgument, {"7 days"}));
}

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

}  // namespace
}  // namespace tsodso
