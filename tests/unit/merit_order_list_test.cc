// The TSO's list as a whole: request checks, the resource registry and the
// traffic light that follows.
#include <gtest/gtest.h>

#include "core/validation/merit_order_list.h"
#include "core/validation/traffic_light.h"
#include "sample_registry.h"
#include "support/status_testing.h"
#include "test_grids.h"

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

// The grid below: one feeder of two buses, PCC busbar -> A -> B, B rated
// tightly (testing::TinyGrid).

TEST_F(MolListTest, RegistryRejectionsComeBeforeThePowerFlowAndKeepMeritPositions) {
  const core::RadialGrid grid = testing::TinyGrid();
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
  const core::RadialGrid grid = testing::TinyGrid();
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

}  // namespace
}  // namespace tsodso
