// Merit-order-list validation on the synthetic PS Sud network: cumulative
// activation, limits from the AC power flow, reasons that name no element.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <random>

#include "core/validation/merit_order.h"
#include "support/status_testing.h"
#include "test_grids.h"

namespace tsodso {
namespace {

using core::Bid;
using core::BidOutcome;
using core::BidReason;
using core::Direction;

class MeritOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // PS Sud's feeders straight below the busbar (the transformer taken
    // out), so that each feeder is a section of its own.
    auto g = testing::LoadPsSudGrid();
    ASSERT_TRUE(g.ok()) << g.status();
    core::GridModel m = g->model();
    ASSERT_EQ(m.slack_bus, "PS-HV");
    m.buses.erase(m.buses.begin() + g->slack());
    m.branches.erase(m.branches.begin() + g->parent_branch(g->BusIndex("PS")));
    m.slack_bus = "PS";
    m.slack_voltage_pu = 1.0;
    auto feeders = core::RadialGrid::Build(m, "PS Sud feeders");
    ASSERT_TRUE(feeders.ok()) << feeders.status();
    grid_ = std::make_unique<core::RadialGrid>(std::move(*feeders));
    base_.assign(grid_->bus_count(), {});
    // Resources: one at each feeder's far end (F<f>-18), one near the head.
    for (int f = 1; f <= 8; ++f) {
      resources_["far-" + std::to_string(f)] = {"PS_SUD", {{Bus("F" + std::to_string(f) + "-18"), 1.0}}, true};
      resources_["near-" + std::to_string(f)] = {"PS_SUD", {{Bus("F" + std::to_string(f) + "-3"), 1.0}}, true};
    }
    resources_["unqualified"] = {"PS_SUD", {{Bus("F1-10"), 1.0}}, false};
    resources_["elsewhere"] = {"PS_EST", {{Bus("F1-10"), 1.0}}, true};
  }
  int Bus(const std::string& id) const { return grid_->BusIndex(id); }
  // Random lists: the screened method agrees with the reference, and both
  // with the AC power flow, running fewer than 1 / `fewer` as many
  // whole-network AC power flows.
  void CheckRandomLists(int lists, int fewer);
  static Bid MakeBid(const std::string& id, std::vector<std::string> resources, double mw, double price,
                     double min_mw = 0, bool divisible = true) {
    return Bid{id, "agg-1", std::move(resources), "PS_SUD", mw, price, min_mw, divisible};
  }
  // Apply the accepted quantities and say whether any limit is violated.
  BidReason Apply(const std::vector<Bid>& bids, const std::vector<core::BidResult>& results, Direction d,
                  const std::string& extra_bid = "", double extra_mw = 0) {
    std::vector<core::PqPoint> inj = base_;
    const double sign = d == Direction::kUp ? 1 : -1;
    for (const auto& r : results) {
      const Bid& b = *std::find_if(bids.begin(), bids.end(), [&](const Bid& x) { return x.bid_id == r.bid_id; });
      const double mw = r.accepted_mw + (r.bid_id == extra_bid ? extra_mw : 0);
      for (const auto& id : b.resource_ids) {
        for (auto [bus, share] : resources_.at(id).buses) inj[bus].p += sign * mw * share / b.resource_ids.size();
      }
    }
    return core::BidReasonOf(core::LimitViolated(*grid_, core::SolvePowerFlow(*grid_, &inj)));
  }

  std::unique_ptr<core::RadialGrid> grid_;
  std::vector<core::PqPoint> base_;
  core::ResourceRegistry resources_;
};

TEST_F(MeritOrderTest, BadListsNameTheBidAndField) {
  using testing::StatusIs;
  EXPECT_TRUE(StatusIs(core::CheckMeritOrder({}), absl::StatusCode::kInvalidArgument, {"empty"}));
  EXPECT_TRUE(StatusIs(core::CheckMeritOrder({MakeBid("a", {"far-1"}, 1, 10), MakeBid("a", {"far-2"}, 1, 10)}),
                       absl::StatusCode::kInvalidArgument, {"bids[1]", "'a'", "twice"}));
  EXPECT_TRUE(StatusIs(core::CheckMeritOrder({MakeBid("n", {"far-1"}, std::nan(""), 10)}),
                       absl::StatusCode::kInvalidArgument, {"bids[0] (n).quantity_mw"}));
  EXPECT_TRUE(StatusIs(core::CheckMeritOrder({MakeBid("neg", {"far-1"}, -2, 10)}), absl::StatusCode::kInvalidArgument,
                       {"quantity_mw", "-2"}));
  EXPECT_TRUE(StatusIs(core::CheckMeritOrder({MakeBid("m", {"far-1"}, 2, 10, 3)}), absl::StatusCode::kInvalidArgument,
                       {"min_quantity_mw", "3"}));
  EXPECT_TRUE(core::CheckMeritOrder({MakeBid("ok", {"far-1"}, 2, 10, 1)}).ok());
}

TEST_F(MeritOrderTest, RegistryReasonsComeBeforeAnyPowerFlow) {
  const std::vector<Bid> bids = {MakeBid("u", {"nobody"}, 1, 10), MakeBid("q", {"unqualified"}, 1, 11),
                                 MakeBid("p", {"elsewhere"}, 1, 12), MakeBid("ok", {"near-1"}, 1, 13)};
  const auto r = core::ValidateMeritOrder(*grid_, base_, resources_, Direction::kUp, bids);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].reason, BidReason::kUnknownResource);
  EXPECT_EQ(r[1].reason, BidReason::kNotPrequalified);
  EXPECT_EQ(r[2].reason, BidReason::kResourceNotAtPcc);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r[i].outcome, BidOutcome::kRejected);
  EXPECT_EQ(r[3].outcome, BidOutcome::kAccepted);
  EXPECT_DOUBLE_EQ(r[3].accepted_mw, 1.0);
}

TEST_F(MeritOrderTest, CumulativeActivationLimitsTheLaterBids) {
  // Up-regulation at the end of one feeder, whose last section has about
  // 1.6 MW of thermal headroom for reverse flow: the cheaper bids use it,
  // a later one is limited, the last rejected.
  const std::vector<Bid> bids = {MakeBid("b3", {"far-1"}, 0.6, 30), MakeBid("b1", {"far-1"}, 0.6, 10),
                                 MakeBid("b2", {"far-1"}, 0.6, 20), MakeBid("b4", {"far-1"}, 0.6, 40, 0.2)};
  const auto r = core::ValidateMeritOrder(*grid_, base_, resources_, Direction::kUp, bids);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].bid_id, "b1");  // merit order: cheapest first
  EXPECT_EQ(r[1].bid_id, "b2");
  EXPECT_EQ(r[0].outcome, BidOutcome::kAccepted);
  EXPECT_EQ(r[1].outcome, BidOutcome::kAccepted);
  EXPECT_EQ(r[2].outcome, BidOutcome::kLimited);
  EXPECT_EQ(r[2].reason, BidReason::kThermalLimit);
  EXPECT_GT(r[2].accepted_mw, 0.2);
  EXPECT_LT(r[2].accepted_mw, 0.6);
  EXPECT_EQ(r[3].outcome, BidOutcome::kRejected);
  EXPECT_EQ(r[3].accepted_mw, 0.0);
  EXPECT_EQ(Apply(bids, r, Direction::kUp), BidReason::kNone);
  // The same bids spread over two feeders all fit.
  const std::vector<Bid> spread = {MakeBid("s1", {"far-1"}, 0.6, 10), MakeBid("s2", {"far-2"}, 0.6, 20),
                                   MakeBid("s3", {"near-3"}, 0.6, 30)};
  for (const auto& x : core::ValidateMeritOrder(*grid_, base_, resources_, Direction::kUp, spread)) {
    EXPECT_EQ(x.outcome, BidOutcome::kAccepted) << x.bid_id;
  }
}

// One 23 kV line of 8 + 4j ohm from the slack (1 pu) to a bus "B" with
// nothing connected, with resource "b" there: a down-bid at B loads the
// line, its current rises and B's voltage falls. By AC, `rating_a` 98 A is
// reached at about 3.68 MW and 160 A at about 5.76 MW; B leaves a band
// from 0.95 pu at about 3.13 MW and from 0.9 pu at about 5.88 MW. With the
// default security margins (2 % of a rating, 0.005 pu of a band) 98 A
// allows 96.04 A, reached at about 3.60 MW, and 0.95 pu allows 0.955 pu,
// left at about 2.83 MW.
core::RadialGrid OneLine(double rating_a, double v_min_pu) {
  core::GridModel m;
  m.name = "one line";
  m.slack_bus = "S";
  m.base_mva = 10;
  m.buses = {core::Bus{"S", 23, 0.9, 1.1, 0, 0}, core::Bus{"B", 23, v_min_pu, 1.1, 0, 0}};
  m.branches = {core::Branch{"S", "B", 8, 4, rating_a, true}};
  auto g = core::RadialGrid::Build(m, "one line");
  EXPECT_TRUE(g.ok()) << g.status();
  return *std::move(g);
}

// A single down-bid at B, by both methods: each result with the class AC
// finds at the full quantity, at the accepted quantity and one
// resolution step above it.
struct LineCase {
  core::BidResult fast, naive;
  BidReason at_full, at_accepted, above_accepted;
};
LineCase DownBidOnOneLine(const core::RadialGrid& grid, const Bid& bid) {
  const core::ResourceRegistry resources = {{"b", {"LINE", {{grid.BusIndex("B"), 1.0}}, true}}};
  const std::vector<core::PqPoint> base(grid.bus_count());
  LineCase c;
  c.fast = core::ValidateMeritOrder(grid, base, resources, Direction::kDown, {bid}).at(0);
  c.naive = core::ValidateMeritOrderNaive(grid, base, resources, Direction::kDown, {bid}).at(0);
  const auto violated_at = [&](double mw) {
    std::vector<core::PqPoint> inj = base;
    inj[grid.BusIndex("B")].p = -mw;
    return core::BidReasonOf(core::LimitViolated(grid, core::SolvePowerFlow(grid, &inj)));
  };
  c.at_full = violated_at(bid.quantity_mw);
  c.at_accepted = violated_at(c.fast.accepted_mw);
  c.above_accepted = violated_at(c.fast.accepted_mw + core::ValidationOptions{}.quantity_resolution_mw);
  return c;
}
Bid LineBid(double mw, double min_mw = 0, bool divisible = true) {
  return Bid{"line-bid", "agg-1", {"b"}, "LINE", mw, 50, min_mw, divisible};
}

// The reason is the limit that binds (what stops the bid at the accepted
// quantity), not the one broken at the full quantity: the line's rating
// (less its margin) cuts a 7.5 MW bid at ~3.60 MW, though at 7.5 MW B's
// voltage (0.87 pu) would also leave its band, and a voltage limit takes
// precedence there.
TEST_F(MeritOrderTest, LimitedBidNamesTheThermalLimitThatBindsBeforeTheVoltage) {
  const core::RadialGrid grid = OneLine(98, 0.9);
  const LineCase c = DownBidOnOneLine(grid, LineBid(7.5));
  ASSERT_EQ(c.at_full, BidReason::kVoltageLimit);  // both break at 7.5 MW: voltage first
  for (const core::BidResult& r : {c.fast, c.naive}) {
    EXPECT_EQ(r.outcome, BidOutcome::kLimited);
    EXPECT_EQ(r.reason, BidReason::kThermalLimit);
    EXPECT_NEAR(r.accepted_mw, 3.604, 0.02);
  }
  EXPECT_EQ(c.at_accepted, BidReason::kNone);
  EXPECT_EQ(c.above_accepted, BidReason::kThermalLimit);
}

// The reverse: B's 0.95 pu bound (0.955 pu with its margin) cuts the bid
// at ~2.83 MW, well before the 160 A rating (~5.76 MW, a little less with
// its margin), which 7.5 MW also breaks.
TEST_F(MeritOrderTest, LimitedBidNamesTheVoltageLimitThatBindsBeforeTheThermal) {
  const core::RadialGrid grid = OneLine(160, 0.95);
  const LineCase c = DownBidOnOneLine(grid, LineBid(7.5));
  ASSERT_EQ(c.at_full, BidReason::kVoltageLimit);
  for (const core::BidResult& r : {c.fast, c.naive}) {
    EXPECT_EQ(r.outcome, BidOutcome::kLimited);
    EXPECT_EQ(r.reason, BidReason::kVoltageLimit);
    EXPECT_NEAR(r.accepted_mw, 2.827, 0.02);
  }
  EXPECT_EQ(c.at_accepted, BidReason::kNone);
  EXPECT_EQ(c.above_accepted, BidReason::kVoltageLimit);
}

// A bid rejected because its minimum does not fit names the class broken
// at its minimum (voltage first when both are), not MINIMUM_NOT_MET; an
// indivisible bid the class at its full quantity.
TEST_F(MeritOrderTest, RejectedBidNamesTheLimitBrokenAtItsMinimum) {
  const core::RadialGrid grid = OneLine(98, 0.9);
  struct Case {
    Bid bid;
    BidReason reason;
  };
  const Case cases[] = {
      {LineBid(7.5, 4.5), BidReason::kThermalLimit},       // 4.5 MW: 124 A, 0.93 pu
      {LineBid(7.5, 6.5), BidReason::kVoltageLimit},       // 6.5 MW: both broken
      {LineBid(7.5, 0, false), BidReason::kVoltageLimit},  // indivisible: 7.5 MW, both broken
      {LineBid(4.5, 0, false), BidReason::kThermalLimit},  // indivisible: 4.5 MW
      {LineBid(3.7, 3.69), BidReason::kThermalLimit},      // the minimum just above the rating
  };
  for (const Case& k : cases) {
    const LineCase c = DownBidOnOneLine(grid, k.bid);
    for (const core::BidResult& r : {c.fast, c.naive}) {
      EXPECT_EQ(r.outcome, BidOutcome::kRejected) << k.bid.quantity_mw << " min " << k.bid.min_quantity_mw;
      EXPECT_EQ(r.reason, k.reason) << k.bid.quantity_mw << " min " << k.bid.min_quantity_mw;
      EXPECT_EQ(r.accepted_mw, 0.0);
    }
  }
}

// Property: over random MOLs, the accepted and limited quantities applied
// cumulatively violate no limit, and no limited bid could have had more.
TEST_F(MeritOrderTest, NoViolationAndNoNeedlessCutOnRandomLists) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> mw(0.5, 12), price(-50, 300);
  std::uniform_int_distribution<int> feeder(1, 8), kind(0, 1), count(3, 10);
  int checked_limited = 0;
  for (int list = 0; list < 24; ++list) {
    const Direction d = list % 2 ? Direction::kUp : Direction::kDown;
    std::vector<Bid> bids;
    for (int i = 0, n = count(rng); i < n; ++i) {
      const std::string res = (kind(rng) ? "far-" : "near-") + std::to_string(feeder(rng));
      bids.push_back(MakeBid("L" + std::to_string(list) + "-" + std::to_string(i), {res}, mw(rng), price(rng)));
    }
    const auto r = core::ValidateMeritOrder(*grid_, base_, resources_, d, bids);
    ASSERT_EQ(Apply(bids, r, d), BidReason::kNone) << "list " << list;
    for (const auto& x : r) {
      if (x.outcome != BidOutcome::kLimited) continue;
      ++checked_limited;
      // 2 x the bisection resolution more would break a limit.
      EXPECT_NE(Apply(bids, r, d, x.bid_id, 0.02), BidReason::kNone) << x.bid_id;
    }
  }
  EXPECT_GT(checked_limited, 0) << "the random lists should exercise limiting";
}

// Random lists over the whole network: mixed sizes, minimums, indivisible
// bids, resources spread over several buses and feeders, sometimes a base
// that already breaks a limit.
struct RandomList {
  std::vector<Bid> bids;
  std::vector<core::PqPoint> base;
  Direction direction = Direction::kUp;
};

void MeritOrderTest::CheckRandomLists(int lists, int fewer) {
  std::mt19937 rng(11);
  const int n = static_cast<int>(grid_->bus_count());
  std::uniform_int_distribution<int> any_bus(1, n - 1);
  // Resources on random buses, some spread over two or three buses.
  for (int k = 0; k < 60; ++k) {
    core::ResourceLocation loc{"PS_SUD", {}, true};
    const int parts = 1 + k % 3;
    for (int j = 0; j < parts; ++j) loc.buses.push_back({any_bus(rng), 1.0 / parts});
    resources_["r" + std::to_string(k)] = loc;
  }
  std::vector<std::string> names;
  for (const auto& [id, loc] : resources_) {
    if (loc.prequalified && loc.pcc_id == "PS_SUD") names.push_back(id);
  }
  std::uniform_int_distribution<size_t> pick(0, names.size() - 1);
  std::uniform_real_distribution<double> unit(0, 1), price(-50, 300);
  const core::ValidationOptions o;
  const double tol = 2 * o.quantity_resolution_mw;
  core::ValidationStats fast_stats, naive_stats;
  int done = 0, limited = 0, rejected_for_limit = 0, compared = 0;
  for (int list = 0; list < lists; ++list) {
    const Direction d = list % 2 ? Direction::kUp : Direction::kDown;
    std::vector<core::PqPoint> base(n);
    if (list % 16 == 5) {
      // A base that already leaves a voltage band: only bids that cure it pass.
      base[Bus("F3-18")].p = d == Direction::kUp ? -4 : 6;
    }
    std::vector<Bid> bids;
    const int count = 5 + static_cast<int>(unit(rng) * 40);
    for (int i = 0; i < count; ++i) {
      // Mostly small bids, some large: the network binds part way down.
      const double mw = unit(rng) < 0.8 ? 0.05 + 1.5 * unit(rng) : 2 + 8 * unit(rng);
      std::vector<std::string> res = {names[pick(rng)]};
      if (unit(rng) < 0.2) res.push_back(names[pick(rng)]);
      const double min_mw = unit(rng) < 0.3 ? mw * unit(rng) : 0;
      bids.push_back(
          MakeBid("L" + std::to_string(list) + "-" + std::to_string(i), res, mw, price(rng), min_mw, unit(rng) > 0.1));
    }
    const auto fast = core::ValidateMeritOrder(*grid_, base, resources_, d, bids, o, &fast_stats);
    const auto naive = core::ValidateMeritOrderNaive(*grid_, base, resources_, d, bids, o, &naive_stats);
    ++done;
    ASSERT_EQ(fast.size(), naive.size());
    for (size_t i = 0; i < fast.size(); ++i) {
      ++compared;
      ASSERT_EQ(fast[i].bid_id, naive[i].bid_id);
      EXPECT_EQ(fast[i].outcome, naive[i].outcome) << fast[i].bid_id;
      EXPECT_EQ(fast[i].reason, naive[i].reason) << fast[i].bid_id;
      EXPECT_NEAR(fast[i].accepted_mw, naive[i].accepted_mw, tol) << fast[i].bid_id;
    }
    // (a) Everything activated together keeps every limit (given a base
    // that does).
    base_ = base;
    const bool base_ok = Apply(bids, {}, d) == BidReason::kNone;
    if (base_ok) {
      ASSERT_EQ(Apply(bids, fast, d), BidReason::kNone) << "list " << list;
    }
    // (b) No needless cut, on the state the bid met (the bids before it in
    // merit order; later ones can relieve a limit, e.g. a higher voltage
    // carries the same power with less current): a limited bid could not
    // take 2 x the resolution more, nor a bid rejected for a limit the
    // resolution above its minimum.
    for (size_t i = 0; i < fast.size(); ++i) {
      const core::BidResult& r = fast[i];
      const Bid& b = *std::find_if(bids.begin(), bids.end(), [&](const Bid& x) { return x.bid_id == r.bid_id; });
      const std::vector<core::BidResult> met(fast.begin(), fast.begin() + i + 1);
      // (c) The reason is the class AC finds where the search ended: one
      // step of the bisection grid above a limited bid's quantity, at the
      // first point a rejected bid could have had (voltage first).
      double step = b.quantity_mw;
      int64_t top = 1;
      while (step > o.quantity_resolution_mw) step /= 2, top *= 2;
      if (r.outcome == BidOutcome::kLimited) {
        ++limited;
        EXPECT_NE(Apply(bids, met, d, r.bid_id, tol), BidReason::kNone) << r.bid_id;
        EXPECT_EQ(Apply(bids, met, d, r.bid_id, step), r.reason) << r.bid_id;
      } else if (base_ok && r.outcome == BidOutcome::kRejected && b.divisible &&
                 (r.reason == BidReason::kThermalLimit || r.reason == BidReason::kVoltageLimit)) {
        ++rejected_for_limit;
        EXPECT_NE(Apply(bids, met, d, r.bid_id, b.min_quantity_mw + o.quantity_resolution_mw), BidReason::kNone)
            << r.bid_id;
        int64_t first = 1;
        while (static_cast<double>(first) * step < b.min_quantity_mw) ++first;
        EXPECT_EQ(Apply(bids, met, d, r.bid_id, first >= top ? b.quantity_mw : static_cast<double>(first) * step),
                  r.reason)
            << r.bid_id;
      }
    }
  }
  base_.assign(n, {});
  std::cout << done << " lists, " << compared << " bids (" << limited << " limited, " << rejected_for_limit
            << " rejected for a limit): " << fast_stats.power_flows << " power flows screened vs "
            << naive_stats.power_flows << " by the reference, and " << fast_stats.section_flows << " of sections; "
            << fast_stats.screened << " bids screened, " << fast_stats.checks << " checks, " << fast_stats.fallbacks
            << " fallbacks\n";
  EXPECT_GT(limited, 20);
  EXPECT_GT(rejected_for_limit, 20);
  EXPECT_GT(fast_stats.screened, compared / 4);
  EXPECT_LT(fast_stats.power_flows * fewer, naive_stats.power_flows);
  EXPECT_GT(fast_stats.section_flows, 0);
}

TEST_F(MeritOrderTest, ScreenedValidationMatchesTheReferenceAndTheAcPowerFlow) { CheckRandomLists(160, 3); }

// The same on PS Sud as configured, behind its transformer: the feeders
// below the busbar are the sections, the transformer the trunk, and the
// reduced AC solves (a bid's feeders and the transformer, the other feeders
// as equivalent loads at the busbar) leave few whole-network ones.
TEST_F(MeritOrderTest, ScreenedValidationBehindATransformer) {
  auto g = testing::LoadPsSudGrid();
  ASSERT_TRUE(g.ok()) << g.status();
  const std::unique_ptr<core::RadialGrid> feeders = std::move(grid_);
  grid_ = std::make_unique<core::RadialGrid>(*std::move(g));
  base_.assign(grid_->bus_count(), {});
  for (auto& [id, r] : resources_) {
    for (auto& [bus, share] : r.buses) bus = grid_->BusIndex(feeders->model().buses[bus].id);
  }
  ASSERT_EQ(core::LimitViolated(*grid_, core::SolvePowerFlow(*grid_, nullptr)), core::LimitClass::kNone);
  CheckRandomLists(60, 5);
}

// Two feeders of five 20 kV buses (0.4 MW, 0.1 Mvar each) below a busbar BB
// behind a transformer from HV (the slack, 1 pu; 2 + 4j ohm). Lines of
// 0.3 + 0.3j ohm rated 400 A.
core::GridModel TwoFeedersBehindATransformer() {
  core::GridModel m;
  m.name = "two feeders";
  m.slack_bus = "HV";
  m.base_mva = 10;
  m.buses = {core::Bus{"HV", 20, 0.9, 1.1, 0, 0}, core::Bus{"BB", 20, 0.9, 1.1, 0, 0}};
  m.branches = {core::Branch{"HV", "BB", 2, 4, 0, true}};
  for (const std::string f : {"A", "B"}) {
    for (int k = 1; k <= 5; ++k) {
      m.buses.push_back(core::Bus{f + std::to_string(k), 20, 0.9, 1.1, 0.4, 0.1});
      m.branches.push_back(
          core::Branch{k == 1 ? "BB" : f + std::to_string(k - 1), f + std::to_string(k), 0.3, 0.3, 400, true});
    }
  }
  return m;
}

// Down-regulation (more load) at the far ends of both feeders: 100 small
// bids on feeder A first in merit order (1.5 MW), then 100 on feeder B
// (1 MW), which alone fit. A limit shared through the busbar (the
// transformer's rating, or feeder A's far-end voltage band) is set where
// A's bids and half of B's meet it, so B's are cut by it: the screened method must see that
// what B does moves A through the busbar. Same answers as the reference,
// and no limit violated.
TEST_F(MeritOrderTest, BidsOnOneFeederAreCutByTheOtherFeederThroughTheBusbar) {
  struct Case {
    const char* name;
    BidReason reason;
  };
  for (const Case& c : {Case{"transformer rating", BidReason::kThermalLimit},
                        Case{"far-end voltage of the other feeder", BidReason::kVoltageLimit}}) {
    SCOPED_TRACE(c.name);
    core::GridModel m = TwoFeedersBehindATransformer();
    {
      // The limit, less the DSO's security margin, where feeder A's bids
      // (1.5 MW at A5) and half of B's (0.5 MW at B5) meet it.
      auto loose = core::RadialGrid::Build(m, "two feeders");
      ASSERT_TRUE(loose.ok()) << loose.status();
      std::vector<core::PqPoint> inj(loose->bus_count());
      inj[loose->BusIndex("A5")].p = -1.5;
      inj[loose->BusIndex("B5")].p = -0.5;
      auto flow = core::SolvePowerFlow(*loose, &inj);
      ASSERT_TRUE(flow.ok()) << flow.status();
      if (c.reason == BidReason::kThermalLimit) {
        m.branches[0].rating_a = flow->branch_current_a[0] / (1 - core::kDefaultThermalMargin);
      } else {
        m.buses[loose->BusIndex("A5")].v_min_pu =
            std::abs(flow->v_pu[loose->BusIndex("A5")]) - core::kDefaultVoltageMarginPu;
      }
    }
    auto g = core::RadialGrid::Build(m, "two feeders");
    ASSERT_TRUE(g.ok()) << g.status();
    grid_ = std::make_unique<core::RadialGrid>(*std::move(g));
    base_.assign(grid_->bus_count(), {});
    resources_ = {{"a", {"TWO", {{Bus("A5"), 1.0}}, true}}, {"b", {"TWO", {{Bus("B5"), 1.0}}, true}}};
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> unit(0, 1);
    std::vector<Bid> bids, b_only;
    for (int i = 0; i < 200; ++i) {
      const bool on_a = i < 100;
      const double mw = on_a ? 0.005 + 0.02 * unit(rng) : 0.005 + 0.01 * unit(rng);
      Bid bid{(on_a ? "a" : "b") + std::to_string(i),         "agg-1", {on_a ? "a" : "b"}, "TWO", mw,
              on_a ? 200 + 100 * unit(rng) : 100 * unit(rng), 0,       unit(rng) > 0.1};
      bids.push_back(bid);
      if (!on_a) b_only.push_back(bid);
    }
    for (const auto& r : core::ValidateMeritOrder(*grid_, base_, resources_, Direction::kDown, b_only)) {
      ASSERT_EQ(r.outcome, BidOutcome::kAccepted) << r.bid_id << ": feeder B's bids alone fit";
    }
    core::ValidationStats fast_stats, naive_stats;
    const auto fast = core::ValidateMeritOrder(*grid_, base_, resources_, Direction::kDown, bids, {}, &fast_stats);
    const auto naive =
        core::ValidateMeritOrderNaive(*grid_, base_, resources_, Direction::kDown, bids, {}, &naive_stats);
    ASSERT_EQ(fast.size(), naive.size());
    int b_cut = 0, a_accepted = 0;
    for (size_t i = 0; i < fast.size(); ++i) {
      ASSERT_EQ(fast[i].bid_id, naive[i].bid_id);
      EXPECT_EQ(fast[i].outcome, naive[i].outcome) << fast[i].bid_id;
      EXPECT_EQ(fast[i].reason, naive[i].reason) << fast[i].bid_id;
      EXPECT_NEAR(fast[i].accepted_mw, naive[i].accepted_mw, 0.02) << fast[i].bid_id;
      if (fast[i].bid_id[0] == 'a') a_accepted += fast[i].outcome == BidOutcome::kAccepted;
      if (fast[i].bid_id[0] == 'b' && fast[i].outcome != BidOutcome::kAccepted) {
        ++b_cut;
        EXPECT_EQ(fast[i].reason, c.reason) << fast[i].bid_id;
      }
    }
    EXPECT_EQ(a_accepted, 100) << "feeder A's bids come first and fit";
    EXPECT_GT(b_cut, 10) << "feeder B's bids meet what A's left";
    EXPECT_LT(b_cut, 100) << "some of B's bids still fit";
    EXPECT_EQ(Apply(bids, fast, Direction::kDown), BidReason::kNone);
    // Screened and reduced solves at work (with two feeders, a solve that
    // widens to the other feeder is a whole-network one).
    EXPECT_GT(fast_stats.screened, 100);
    EXPECT_GT(fast_stats.section_flows, 0);
    std::cout << c.name << ": " << b_cut << " of feeder B's bids cut; " << fast_stats.screened << " screened, "
              << fast_stats.section_flows << " reduced and " << fast_stats.power_flows << " full AC solves vs "
              << naive_stats.power_flows << " by the reference\n";
  }
}

}  // namespace
}  // namespace tsodso
