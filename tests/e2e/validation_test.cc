// Merit-order-list validation and traffic lights end to end: the real
// daemon with PS Sud's synthetic network, the TSO's list, what each party
// receives, bad lists, interventions, and that nothing sent out names the
// private network.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "core/common/csv.h"
#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

using google::protobuf::util::TimeUtil;

const std::string kGridDir = std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud";

// The start of an ISP an hour or so ahead.
google::protobuf::Timestamp FutureIsp(int isps_ahead = 4) {
  google::protobuf::Timestamp ts;
  const int64_t now = std::time(nullptr);
  ts.set_seconds(now - now % 900 + 900 * isps_ahead);
  return ts;
}

v1::Bid MakeBid(const std::string& id, const std::string& bsp, std::vector<std::string> resources, double mw,
                double price, const google::protobuf::Timestamp& isp, double min_mw = 0) {
  v1::Bid b;
  b.set_bid_id(id);
  b.set_bsp_party_id(bsp);
  for (auto& r : resources) b.add_resource_ids(r);
  b.set_pcc_id("PS_SUD");
  b.set_quantity_mw(mw);
  b.set_price_eur_per_mwh(price);
  b.set_min_quantity_mw(min_mw);
  b.set_divisible(true);
  *b.mutable_isp_start() = isp;
  return b;
}

// A downward list at PS Sud: more consumption at a far feeder end until the
// grid binds, and bids the registry refuses.
v1::ValidateMeritOrderRequest DemoList(const std::string& id, const google::protobuf::Timestamp& isp) {
  v1::ValidateMeritOrderRequest req;
  req.set_validation_id(id);
  req.set_direction(v1::DIRECTION_DOWN);
  *req.add_bids() = MakeBid("b-chp", "agg-1", {"agg1-chp-01"}, 3.0, 95.5, isp);
  *req.add_bids() = MakeBid("b-bess-1", "agg-1", {"agg1-bess-01"}, 7.25, 90.25, isp, 0.5);
  *req.add_bids() = MakeBid("b-bess-2", "agg-1", {"agg1-bess-01"}, 6.75, 80.75, isp, 0.5);
  *req.add_bids() = MakeBid("b-pv", "agg-1", {"agg1-pv-01"}, 1.5, 70.5, isp);
  *req.add_bids() = MakeBid("b-old", "agg-1", {"agg1-pv-02"}, 1.5, 65.5, isp);
  *req.add_bids() = MakeBid("b-other", "agg-2", {"agg1-ev-01"}, 2.5, 60.5, isp);
  return req;
}

std::map<std::string, v1::BidResult> ById(const v1::MeritOrderValidation& m) {
  std::map<std::string, v1::BidResult> out;
  for (const auto& r : m.results()) out[r.bid_id()] = r;
  return out;
}

v1::SubscribeRequest Topics(std::vector<v1::Topic> topics) {
  v1::SubscribeRequest req;
  for (auto t : topics) req.add_topics(t);
  return req;
}

GatewayOptions WithGrid() {
  GatewayOptions opts;
  opts.flexibility = true;
  opts.grid_model_dir = kGridDir;
  return opts;
}

// agg-1 prequalifies its PS Sud assets as config/examples/prequalify-agg1.csv
// lists them: all but agg1-pv-01 (never asked) and agg1-pv-02 (claimed
// beyond its connection agreement) qualify.
void PrequalifyAgg1(const GatewayProcess& gw) {
  v1::PrequalificationRequest req;
  req.set_idempotency_key("pq-agg1");
  const std::vector<std::tuple<std::string, v1::AssetType, double, double, double>> assets = {
      {"agg1-chp-01", v1::ASSET_TYPE_CHP, 6.25, 1.5, 5},     {"agg1-chp-02", v1::ASSET_TYPE_CHP, 6.25, 1.5, 5},
      {"agg1-bess-01", v1::ASSET_TYPE_BATTERY, 10, -10, 10}, {"agg1-bess-02", v1::ASSET_TYPE_BATTERY, 10, -10, 10},
      {"agg1-ev-01", v1::ASSET_TYPE_EV_CHARGER, 3, -3, 3},   {"agg1-ev-02", v1::ASSET_TYPE_EV_CHARGER, 4, -4, 4},
      {"agg1-pv-02", v1::ASSET_TYPE_PV, 2.5, 0, 2.5}};
  for (const auto& [id, type, sn, p_min, p_max] : assets) {
    v1::AssetClaim* a = req.add_assets();
    a->set_resource_id(id);
    a->set_type(type);
    a->set_pcc_id("PS_SUD");
    a->set_sn_mva(sn);
    a->set_p_min_mw(p_min);
    a->set_p_max_mw(p_max);
  }
  auto r = gw.ClientAs("agg1")->RequestPrequalification(req);
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& q : r->results()) {
    EXPECT_EQ(q.outcome(), q.resource_id() == "agg1-pv-02" ? v1::QUALIFICATION_OUTCOME_NOT_QUALIFIED
                                                           : v1::QUALIFICATION_OUTCOME_QUALIFIED)
        << q.DebugString();
  }
}

TEST(ValidationTest, TsoGetsEveryLineEachBspOnlyItsOwnAndTheLightTurnsYellow) {
  auto gw = StartGateway(WithGrid());
  ASSERT_NE(gw, nullptr);
  PrequalifyAgg1(*gw);
  const auto topics = Topics({v1::TOPIC_BID_LIMITS, v1::TOPIC_TRAFFIC_LIGHT});
  FeedCollector tso(*gw, "tso", topics);
  FeedCollector agg1(*gw, "agg1", topics);
  FeedCollector agg2(*gw, "agg2", topics);

  const auto isp = FutureIsp();
  const v1::ValidateMeritOrderRequest req = DemoList("mol-e2e-1", isp);
  auto r = gw->ClientAs("tso")->ValidateMeritOrder(req);
  ASSERT_TRUE(r.ok()) << r.status() << gw->Log();
  EXPECT_FALSE(r->replayed());
  EXPECT_EQ(r->results_size(), req.bids_size());
  auto by_id = ById(*r);
  EXPECT_EQ(by_id["b-chp"].outcome(), v1::BID_OUTCOME_ACCEPTED);
  EXPECT_EQ(by_id["b-chp"].accepted_mw(), 3.0);
  EXPECT_EQ(by_id["b-pv"].outcome(), v1::BID_OUTCOME_REJECTED);
  EXPECT_EQ(by_id["b-pv"].reason(), v1::LIMIT_REASON_NOT_PREQUALIFIED);
  EXPECT_EQ(by_id["b-old"].reason(), v1::LIMIT_REASON_NOT_PREQUALIFIED);    // refused: beyond its agreement
  EXPECT_EQ(by_id["b-other"].reason(), v1::LIMIT_REASON_UNKNOWN_RESOURCE);  // another BSP's resource
  // The far-end battery's two bids share one feeder: the grid binds, and
  // the second (later in merit order) gets less or nothing.
  const auto& b1 = by_id["b-bess-1"];
  const auto& b2 = by_id["b-bess-2"];
  EXPECT_EQ(b1.merit_order_position(), 2);  // down: dearest first
  const bool grid_bound = b1.outcome() != v1::BID_OUTCOME_ACCEPTED || b2.outcome() != v1::BID_OUTCOME_ACCEPTED;
  EXPECT_TRUE(grid_bound) << r->DebugString();
  for (const auto& b : {b1, b2}) {
    if (b.outcome() == v1::BID_OUTCOME_LIMITED) {
      EXPECT_GT(b.accepted_mw(), 0.5);
      EXPECT_LT(b.accepted_mw(), b.requested_mw());
    }
    if (b.outcome() != v1::BID_OUTCOME_ACCEPTED) {
      EXPECT_TRUE(b.reason() == v1::LIMIT_REASON_THERMAL_LIMIT || b.reason() == v1::LIMIT_REASON_VOLTAGE_LIMIT);
    }
  }
  ASSERT_EQ(r->traffic_lights_size(), 1);
  EXPECT_EQ(r->traffic_lights(0).state(), v1::TRAFFIC_LIGHT_STATE_YELLOW);

  // The TSO: every line, and the light change. Each BSP: its own lines only.
  ASSERT_TRUE(tso.WaitForEvents(2)) << gw->Log();
  std::map<v1::Topic, v1::Event> tso_by_topic;
  for (const auto& e : tso.events()) tso_by_topic[e.topic()] = e;
  EXPECT_EQ(tso_by_topic[v1::TOPIC_BID_LIMITS].bid_limits().results_size(), req.bids_size());
  const auto& light = tso_by_topic[v1::TOPIC_TRAFFIC_LIGHT].traffic_light();
  EXPECT_EQ(light.light().state(), v1::TRAFFIC_LIGHT_STATE_YELLOW);
  EXPECT_EQ(light.previous_state(), v1::TRAFFIC_LIGHT_STATE_GREEN);
  EXPECT_EQ(light.light().start().seconds(), isp.seconds());
  EXPECT_EQ(light.light().end().seconds(), isp.seconds() + 900);

  ASSERT_TRUE(agg1.WaitForEvents(2)) << gw->Log();
  int agg1_limits = 0;
  for (const auto& e : agg1.events()) {
    if (e.topic() != v1::TOPIC_BID_LIMITS) continue;
    ++agg1_limits;
    EXPECT_EQ(e.bid_limits().results_size(), 5);
    for (const auto& l : e.bid_limits().results()) EXPECT_EQ(l.bsp_party_id(), "agg-1");
    EXPECT_EQ(e.bid_limits().traffic_lights_size(), 1);  // it has assets at PS Sud
  }
  EXPECT_EQ(agg1_limits, 1);
  // agg-2 has no assets at PS Sud: no traffic light, only its own line.
  ASSERT_TRUE(agg2.WaitForEvents(1)) << gw->Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(agg2.events().size(), 1u);
  ASSERT_EQ(agg2.events()[0].bid_limits().results_size(), 1);
  EXPECT_EQ(agg2.events()[0].bid_limits().results(0).bid_id(), "b-other");
  EXPECT_EQ(agg2.events()[0].bid_limits().traffic_lights_size(), 0);

  // Re-sent: the stored answer; the same id with other content: refused.
  auto again = gw->ClientAs("tso")->ValidateMeritOrder(req);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed());
  EXPECT_EQ(again->results_size(), r->results_size());
  for (int i = 0; i < r->results_size(); ++i) EXPECT_EQ(again->results(i).accepted_mw(), r->results(i).accepted_mw());
  auto changed = req;
  changed.mutable_bids(0)->set_quantity_mw(4.0);
  EXPECT_EQ(gw->ClientAs("tso")->ValidateMeritOrder(changed).status().code(), absl::StatusCode::kAlreadyExists);

  // The light as stored.
  v1::GetTrafficLightsRequest lreq;
  lreq.set_pcc_id("PS_SUD");
  *lreq.mutable_from() = isp;
  lreq.mutable_from()->set_seconds(isp.seconds() - 900);
  *lreq.mutable_to() = isp;
  lreq.mutable_to()->set_seconds(isp.seconds() + 1800);
  auto lights = gw->ClientAs("agg1")->GetTrafficLights(lreq);
  ASSERT_TRUE(lights.ok()) << lights.status();
  ASSERT_EQ(lights->lights_size(), 3);
  EXPECT_EQ(lights->lights(0).state(), v1::TRAFFIC_LIGHT_STATE_GREEN);
  EXPECT_EQ(lights->lights(1).state(), v1::TRAFFIC_LIGHT_STATE_YELLOW);
  EXPECT_EQ(lights->lights(2).state(), v1::TRAFFIC_LIGHT_STATE_GREEN);
  EXPECT_EQ(gw->ClientAs("agg2")->GetTrafficLights(lreq).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(ValidationTest, FlexibilityShowsWhatTheGridLetsTheDersDoBesideWhatTheyCould) {
  auto gw = StartGateway(WithGrid());
  ASSERT_NE(gw, nullptr);
  PrequalifyAgg1(*gw);
  FeedCollector tso(*gw, "tso", Topics({v1::TOPIC_FLEXIBILITY}));
  // At start-up the DERs' figures come first; the grid-limited ones follow.
  ASSERT_TRUE(tso.WaitForEvents(2, 180000)) << gw->Log();
  EXPECT_TRUE(tso.events()[0].flexibility().grid_limited_pending());
  const v1::Event event = tso.events()[1];
  const auto& update = event.flexibility();
  EXPECT_FALSE(update.grid_limited_pending());
  ASSERT_EQ(update.intervals_size(), 96);
  for (const auto& i : update.intervals()) {
    ASSERT_TRUE(i.has_grid_limited());
    const auto& g = i.grid_limited();
    EXPECT_TRUE(g.operating_point_within_limits());
    EXPECT_EQ(g.vertices_size(), 0);  // the shape only on request
    // No more than the DERs could do, up to the change in the network's
    // losses; on PS Sud's demo network no limit binds for these moves, so
    // no less either (a grid-limited figure of 0 would be a bug here).
    for (auto [grid, own] : {std::pair{g.p_up_mw(), i.p_up_mw()}, std::pair{g.p_down_mw(), i.p_down_mw()},
                             std::pair{g.q_up_mvar(), i.q_up_mvar()}, std::pair{g.q_down_mvar(), i.q_down_mvar()}}) {
      EXPECT_LE(grid, own * 1.2 + 0.1);  // reactive losses in the transformers
      EXPECT_GE(grid, own * 0.97 - 0.05);
    }
  }

  v1::GetFlexibilityRequest req;
  req.set_pcc_id("PS_SUD");
  *req.mutable_from() = FutureIsp(0);
  *req.mutable_to() = FutureIsp(4);
  req.set_include_grid_limited(true);
  req.set_include_vertices(true);
  auto r = gw->ClientAs("tso")->GetFlexibility(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->intervals_size(), 4);
  for (const auto& i : r->intervals()) EXPECT_GE(i.grid_limited().vertices_size(), 3);
  // What the network allows is for the TSO and the DSO.
  req.set_include_vertices(false);
  auto a = gw->ClientAs("agg1")->GetFlexibility(req);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kPermissionDenied);
  // Bounded windows.
  req.mutable_to()->set_seconds(req.from().seconds() + 49 * 3600);
  auto too_long = gw->ClientAs("tso")->GetFlexibility(req);
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.status().message().find("include_grid_limited"), std::string::npos);
}

TEST(ValidationTest, BadListsAreInvalidArgumentNamingTheFieldAndChangeNothing) {
  auto gw = StartGateway(WithGrid());
  ASSERT_NE(gw, nullptr);
  PrequalifyAgg1(*gw);
  auto tso = gw->ClientAs("tso");
  const auto isp = FutureIsp();
  struct Case {
    std::string name;
    std::function<void(v1::ValidateMeritOrderRequest&)> spoil;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"empty", [](auto& r) { r.clear_bids(); }, absl::StatusCode::kInvalidArgument, "bids"},
      {"nan", [](auto& r) { r.mutable_bids(1)->set_quantity_mw(std::nan("")); }, absl::StatusCode::kInvalidArgument,
       "bids[1] (b-bess-1).quantity_mw"},
      {"negative", [](auto& r) { r.mutable_bids(2)->set_quantity_mw(-3); }, absl::StatusCode::kInvalidArgument,
       "bids[2] (b-bess-2).quantity_mw: -3"},
      {"duplicate", [](auto& r) { r.mutable_bids(3)->set_bid_id("b-chp"); }, absl::StatusCode::kInvalidArgument,
       "'b-chp' appears twice"},
      {"mixed ISPs",
       [](auto& r) { r.mutable_bids(4)->mutable_isp_start()->set_seconds(r.bids(4).isp_start().seconds() + 900); },
       absl::StatusCode::kInvalidArgument, "bids[4] (b-old).isp_start"},
      {"unknown PCC", [](auto& r) { r.mutable_bids(0)->set_pcc_id("PS_NORD"); }, absl::StatusCode::kInvalidArgument,
       "unknown PCC 'PS_NORD'"},
      {"unknown BSP", [](auto& r) { r.mutable_bids(0)->set_bsp_party_id("bsp-x"); }, absl::StatusCode::kInvalidArgument,
       "bsp_party_id: 'bsp-x'"},
      {"ended ISP",
       [](auto& r) {
         for (auto& b : *r.mutable_bids()) b.mutable_isp_start()->set_seconds(b.isp_start().seconds() - 86400);
       },
       absl::StatusCode::kInvalidArgument, "has ended"},
      {"unaligned ISP",
       [](auto& r) {
         for (auto& b : *r.mutable_bids()) b.mutable_isp_start()->set_seconds(b.isp_start().seconds() + 60);
       },
       absl::StatusCode::kInvalidArgument, "not the start of a 15-minute ISP"},
      {"no direction", [](auto& r) { r.set_direction(v1::DIRECTION_UNSPECIFIED); }, absl::StatusCode::kInvalidArgument,
       "direction"},
      {"min above quantity", [](auto& r) { r.mutable_bids(0)->set_min_quantity_mw(9); },
       absl::StatusCode::kInvalidArgument, "min_quantity_mw"},
      {"no network model", [](auto& r) { r.mutable_bids(0)->set_pcc_id("PS_OVEST"); },
       absl::StatusCode::kFailedPrecondition, "no network model"},
  };
  for (const Case& c : cases) {
    auto req = DemoList("bad-list", isp);
    c.spoil(req);
    auto r = tso->ValidateMeritOrder(req);
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status();
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << c.name << ": " << r.status();
  }
  // Only the TSO validates.
  EXPECT_EQ(gw->ClientAs("agg1")->ValidateMeritOrder(DemoList("by-agg", isp)).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(gw->ClientAs("operator")->ValidateMeritOrder(DemoList("by-op", isp)).status().code(),
            absl::StatusCode::kPermissionDenied);

  // Nothing was stored: no event, and the id is still free.
  FeedCollector feed(*gw, "operator", Topics({v1::TOPIC_BID_LIMITS, v1::TOPIC_TRAFFIC_LIGHT}));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(feed.events().empty());
  auto good = tso->ValidateMeritOrder(DemoList("bad-list", isp));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_FALSE(good->replayed());
}

TEST(ValidationTest, InterventionTurnsTheLightRedForEveryoneAtThePcc) {
  auto gw = StartGateway(WithGrid());
  ASSERT_NE(gw, nullptr);
  PrequalifyAgg1(*gw);
  FeedCollector tso(*gw, "tso", Topics({v1::TOPIC_TRAFFIC_LIGHT}));
  FeedCollector agg1(*gw, "agg1", Topics({v1::TOPIC_TRAFFIC_LIGHT}));
  FeedCollector agg2(*gw, "agg2", Topics({v1::TOPIC_TRAFFIC_LIGHT}));
  v1::DeclareInterventionRequest req;
  req.set_idempotency_key("red-1");
  req.set_pcc_id("PS_SUD");
  *req.mutable_from() = FutureIsp(2);
  *req.mutable_to() = FutureIsp(6);
  EXPECT_EQ(gw->ClientAs("tso")->DeclareIntervention(req).status().code(), absl::StatusCode::kPermissionDenied);
  auto r = gw->ClientAs("operator")->DeclareIntervention(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->event_seqs_size(), 1);  // four ISPs, one change
  ASSERT_TRUE(tso.WaitForEvents(1));
  ASSERT_TRUE(agg1.WaitForEvents(1));
  const v1::Event red = agg1.events()[0];
  const auto& l = red.traffic_light().light();
  EXPECT_EQ(l.state(), v1::TRAFFIC_LIGHT_STATE_RED);
  EXPECT_EQ(l.reason(), v1::TRAFFIC_LIGHT_REASON_DIRECT_INTERVENTION);
  EXPECT_EQ(l.end().seconds() - l.start().seconds(), 4 * 900);

  // Retried: the same answer, no new event. A list for a red ISP keeps it red.
  auto again = gw->ClientAs("operator")->DeclareIntervention(req);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed());
  auto mol = gw->ClientAs("tso")->ValidateMeritOrder(DemoList("during-red", FutureIsp(3)));
  ASSERT_TRUE(mol.ok()) << mol.status();
  EXPECT_EQ(mol->traffic_lights(0).state(), v1::TRAFFIC_LIGHT_STATE_RED);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(tso.events().size(), 1u);
  EXPECT_TRUE(agg2.events().empty());  // no assets at PS Sud

  auto bad = req;
  bad.set_idempotency_key("red-2");
  bad.mutable_to()->set_seconds(bad.to().seconds() + 60);
  EXPECT_EQ(gw->ClientAs("operator")->DeclareIntervention(bad).status().code(), absl::StatusCode::kInvalidArgument);
  // The past keeps its light.
  auto past = req;
  past.set_idempotency_key("red-past");
  past.mutable_from()->set_seconds(req.from().seconds() - 86400);
  past.mutable_to()->set_seconds(req.to().seconds() - 86400);
  auto refused = gw->ClientAs("operator")->DeclareIntervention(past);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("has passed"), std::string::npos) << refused.status();

  // Lifted for the first hour's last two ISPs: they go back to what the
  // validation said (yellow for the ISP the list was for, green otherwise).
  auto lift = req;
  lift.set_idempotency_key("red-lift");
  lift.set_lift(true);
  lift.mutable_from()->set_seconds(req.from().seconds() + 2 * 900);
  auto lifted = gw->ClientAs("operator")->DeclareIntervention(lift);
  ASSERT_TRUE(lifted.ok()) << lifted.status();
  ASSERT_TRUE(agg1.WaitForEvents(2));
  const v1::Event back = agg1.events()[1];
  EXPECT_EQ(back.traffic_light().previous_state(), v1::TRAFFIC_LIGHT_STATE_RED);
  EXPECT_NE(back.traffic_light().light().state(), v1::TRAFFIC_LIGHT_STATE_RED);
  v1::GetTrafficLightsRequest lr;
  lr.set_pcc_id("PS_SUD");
  *lr.mutable_from() = req.from();
  *lr.mutable_to() = req.to();
  auto lights = gw->ClientAs("tso")->GetTrafficLights(lr);
  ASSERT_TRUE(lights.ok()) << lights.status();
  ASSERT_GE(lights->lights_size(), 2);
  EXPECT_EQ(lights->lights(0).state(), v1::TRAFFIC_LIGHT_STATE_RED);
  EXPECT_EQ(lights->lights(0).end().seconds(), req.from().seconds() + 2 * 900);
  EXPECT_NE(lights->lights(lights->lights_size() - 1).state(), v1::TRAFFIC_LIGHT_STATE_RED);
}

// Everything the private model could give away: bus and branch names,
// impedances and ratings as written in its files.
struct PrivateFacts {
  std::set<std::string> names;
  std::set<std::string> numbers;
};

PrivateFacts ReadPrivateFacts() {
  PrivateFacts f;
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return core::ParseCsv(ss.str());
  };
  const core::Csv buses = read(kGridDir + "/buses.csv");
  for (const auto& row : buses.rows) f.names.insert(row[0]);
  const core::Csv branches = read(kGridDir + "/branches.csv");
  for (const auto& row : branches.rows) {
    f.names.insert(row[0] + "-" + row[1]);
    // Ratings below 100 A are too short to tell apart from counts and
    // sequence numbers; impedances and the larger ratings are not.
    for (int c : {2, 3, 4}) {
      if (row[c].find('.') != std::string::npos || row[c].size() >= 3) f.numbers.insert(row[c]);
    }
  }
  return f;
}

// Return the private facts that occur in `text` as whole tokens.
std::vector<std::string> Leaks(const PrivateFacts& facts, const std::string& text,
                               const std::set<std::string>& public_words) {
  std::vector<std::string> out;
  for (const std::string& name : facts.names) {
    if (public_words.count(name)) continue;
    const std::regex re("(^|[^A-Za-z0-9_-])" + std::regex_replace(name, std::regex("[-]"), "\\-") +
                        "($|[^A-Za-z0-9_-])");
    if (std::regex_search(text, re)) out.push_back(name);
  }
  for (const std::string& number : facts.numbers) {
    if (public_words.count(number)) continue;
    const std::regex re("(^|[^0-9.:T-]|\":)" + std::regex_replace(number, std::regex("[.]"), "\\.") + "($|[^0-9.:Z])");
    if (std::regex_search(text, re)) out.push_back(number);
  }
  return out;
}

TEST(ValidationTest, NothingSentToTheTsoOrAggregatorsNamesTheNetwork) {
  const PrivateFacts facts = ReadPrivateFacts();
  ASSERT_GT(facts.names.size(), 250u);
  // "PS" is both the busbar's id and the public name of the substation
  // ("Milano PS Sud"), and 220 A is a rating as well as the public 220 kV
  // level: as words they tell nothing.
  const std::set<std::string> public_words = {"PS", "220", "132"};

  auto gw = StartGateway(WithGrid());
  ASSERT_NE(gw, nullptr);
  PrequalifyAgg1(*gw);
  FeedCollector tso(*gw, "tso", All());
  FeedCollector agg1(*gw, "agg1", All());
  FeedCollector agg2(*gw, "agg2", All());
  std::vector<std::string> sent;  // JSON of every message to TSO or aggregator
  auto json = [](const google::protobuf::Message& m) {
    std::string out;
    google::protobuf::util::JsonPrintOptions o;
    o.preserve_proto_field_names = true;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &out, o).ok());
    return out;
  };

  // A full scenario: flexibility, a validated list, a red phase.
  ASSERT_TRUE(tso.WaitForEvents(1)) << gw->Log();  // FLEXIBILITY at start
  auto mol = gw->ClientAs("tso")->ValidateMeritOrder(DemoList("leak-1", FutureIsp()));
  ASSERT_TRUE(mol.ok()) << mol.status();
  sent.push_back(json(*mol));
  auto up = DemoList("leak-2", FutureIsp(5));
  up.set_direction(v1::DIRECTION_UP);
  auto mol_up = gw->ClientAs("tso")->ValidateMeritOrder(up);
  ASSERT_TRUE(mol_up.ok()) << mol_up.status();
  sent.push_back(json(*mol_up));
  v1::DeclareInterventionRequest red;
  red.set_idempotency_key("leak-red");
  red.set_pcc_id("PS_SUD");
  *red.mutable_from() = FutureIsp(8);
  *red.mutable_to() = FutureIsp(9);
  ASSERT_TRUE(gw->ClientAs("operator")->DeclareIntervention(red).ok());
  v1::GetFlexibilityRequest flex;
  flex.set_pcc_id("PS_SUD");
  *flex.mutable_from() = FutureIsp(0);
  *flex.mutable_to() = FutureIsp(8);
  flex.set_include_vertices(true);
  auto f = gw->ClientAs("tso")->GetFlexibility(flex);
  ASSERT_TRUE(f.ok()) << f.status();
  sent.push_back(json(*f));
  flex.set_include_grid_limited(true);
  *flex.mutable_to() = FutureIsp(4);
  auto fg = gw->ClientAs("tso")->GetFlexibility(flex);
  ASSERT_TRUE(fg.ok()) << fg.status();
  ASSERT_GE(fg->intervals(0).grid_limited().vertices_size(), 3);
  sent.push_back(json(*fg));
  flex.set_include_vertices(false);
  flex.set_include_grid_limited(false);
  auto fa = gw->ClientAs("agg1")->GetFlexibility(flex);
  ASSERT_TRUE(fa.ok()) << fa.status();
  sent.push_back(json(*fa));
  // Refusals speak to the caller too: their messages must not name the
  // network either.
  for (const auto& spoil : std::vector<std::function<void(v1::ValidateMeritOrderRequest&)>>{
           [](auto& r) { r.mutable_bids(1)->set_quantity_mw(-1); },
           [](auto& r) { r.mutable_bids(0)->set_pcc_id("PS_OVEST"); },
           [](auto& r) { r.mutable_bids(2)->mutable_isp_start()->set_seconds(0); }}) {
    auto bad = DemoList("leak-bad", FutureIsp());
    spoil(bad);
    auto refused = gw->ClientAs("tso")->ValidateMeritOrder(bad);
    ASSERT_FALSE(refused.ok());
    sent.push_back(std::string(refused.status().message()));
  }
  flex.set_include_grid_limited(true);
  sent.push_back(std::string(gw->ClientAs("agg1")->GetFlexibility(flex).status().message()));
  v1::GetTrafficLightsRequest lr;
  lr.set_pcc_id("PS_SUD");
  *lr.mutable_from() = FutureIsp(0);
  *lr.mutable_to() = FutureIsp(12);
  for (const char* who : {"tso", "agg1"}) {
    auto l = gw->ClientAs(who)->GetTrafficLights(lr);
    ASSERT_TRUE(l.ok()) << l.status();
    sent.push_back(json(*l));
    auto w = gw->ClientAs(who)->WhoAmI();
    ASSERT_TRUE(w.ok());
    sent.push_back(json(*w));
    auto p = gw->ClientAs(who)->ListPccs();
    ASSERT_TRUE(p.ok());
    sent.push_back(json(*p));
  }
  // 7 prequalification outcomes, flexibility, 2 forecasts, 2 x (bid limits
  // + light), red light
  ASSERT_TRUE(tso.WaitForEvents(15)) << gw->Log();
  ASSERT_TRUE(agg1.WaitForEvents(5)) << gw->Log();
  std::set<v1::Topic> seen;
  for (const auto& e : tso.events()) {
    seen.insert(e.topic());
    sent.push_back(json(e));
  }
  for (const auto& e : agg1.events()) sent.push_back(json(e));
  ASSERT_TRUE(agg2.WaitForEvents(2)) << gw->Log();  // its own line of each list
  for (const auto& e : agg2.events()) sent.push_back(json(e));
  EXPECT_EQ(seen, (std::set<v1::Topic>{v1::TOPIC_PREQUALIFICATION, v1::TOPIC_FLEXIBILITY, v1::TOPIC_BID_LIMITS,
                                       v1::TOPIC_TRAFFIC_LIGHT, v1::TOPIC_FORECAST}));

  // Event seqs count the log, and reach a rating's digits as the test runs
  // ("seq":"310"): they are no fact of the network.
  const std::regex seqs(R"re("(seq|head_seq|event_seqs)":(\["?[0-9",]*\]|"?[0-9]+"?))re");
  // The check itself can fail: a message that does name an element is caught.
  EXPECT_FALSE(Leaks(facts, "{\"where\": \"F3-18\"}", public_words).empty());
  EXPECT_FALSE(Leaks(facts, "{\"r\": " + *facts.numbers.begin() + "}", public_words).empty());
  EXPECT_FALSE(Leaks(facts, "{\"r\":" + *facts.numbers.begin() + "}", public_words).empty());  // as printed
  EXPECT_FALSE(
      Leaks(facts, std::regex_replace("{\"seq\":\"7\",\"r\":" + *facts.numbers.begin() + "}", seqs, ""), public_words)
          .empty());
  for (const std::string& json_message : sent) {
    const std::string message = std::regex_replace(json_message, seqs, "");
    const auto leaks = Leaks(facts, message, public_words);
    EXPECT_TRUE(leaks.empty()) << "leaked " << leaks.front() << " in " << message.substr(0, 2000);
  }
}

}  // namespace
}  // namespace tsodso::testing
