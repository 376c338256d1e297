// Prequalification end to end: an aggregator's assets are checked against
// the DSO's registry, the TSO learns each outcome (no location below the
// PCC), and only qualified assets can be accepted in a merit order list.
#include <cmath>

#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

GatewayOptions WithGrid() {
  GatewayOptions opts;
  opts.flexibility = true;
  opts.grid_model_dir = std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud";
  return opts;
}

v1::AssetClaim Asset(const std::string& id, v1::AssetType type, double sn, double p_min, double p_max,
                     const std::string& pcc = "PS_SUD") {
  v1::AssetClaim a;
  a.set_resource_id(id);
  a.set_type(type);
  a.set_pcc_id(pcc);
  a.set_sn_mva(sn);
  a.set_p_min_mw(p_min);
  a.set_p_max_mw(p_max);
  return a;
}

TEST(PrequalificationTest, EachAssetIsAnsweredAndTheTsoLearnsTheOutcome) {
  auto gw = StartGateway(WithGrid());
  ASSERT_NE(gw, nullptr);
  v1::SubscribeRequest topics;
  topics.add_topics(v1::TOPIC_PREQUALIFICATION);
  FeedCollector tso(*gw, "tso", topics);
  FeedCollector agg2(*gw, "agg2", topics);

  v1::PrequalificationRequest req;
  req.set_idempotency_key("pq-1");
  *req.add_assets() = Asset("agg1-bess-01", v1::ASSET_TYPE_BATTERY, 10, -8, 8);
  *req.add_assets() = Asset("agg1-pv-02", v1::ASSET_TYPE_PV, 2.5, 0, 2.5);     // beyond its agreement
  *req.add_assets() = Asset("agg1-chp-02", v1::ASSET_TYPE_BATTERY, 6, -5, 5);  // registered as CHP
  *req.add_assets() = Asset("agg1-nowhere", v1::ASSET_TYPE_WIND, 3, 0, 3);     // not in the registry
  auto r = gw->ClientAs("agg1")->RequestPrequalification(req);
  ASSERT_TRUE(r.ok()) << r.status() << gw->Log();
  ASSERT_EQ(r->results_size(), 4);
  EXPECT_EQ(r->results(0).outcome(), v1::QUALIFICATION_OUTCOME_QUALIFIED);
  EXPECT_EQ(r->results(0).p_min_mw(), -8);
  EXPECT_EQ(r->results(0).p_max_mw(), 8);
  EXPECT_GT(r->results(0).valid_until().seconds(), std::time(nullptr) + 300 * 86400);
  EXPECT_EQ(r->results(1).reason(), v1::QUALIFICATION_REASON_OUTSIDE_CONNECTION_AGREEMENT);
  EXPECT_EQ(r->results(2).reason(), v1::QUALIFICATION_REASON_TYPE_MISMATCH);
  EXPECT_EQ(r->results(3).reason(), v1::QUALIFICATION_REASON_UNKNOWN_ASSET);

  // The TSO: one event per outcome, with the PCC and range only.
  ASSERT_TRUE(tso.WaitForEvents(4)) << gw->Log();
  const v1::Event first = tso.events()[0];
  EXPECT_EQ(first.pcc_id(), "PS_SUD");
  EXPECT_EQ(first.prequalification().resource_id(), "agg1-bess-01");
  EXPECT_EQ(first.prequalification().aggregator(), "agg-1");
  EXPECT_EQ(first.prequalification().p_max_mw(), 8);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(agg2.events().empty());  // not for other aggregators

  // The other aggregator, at its own PCC, claiming an asset that sits below
  // PS Sud, where it has no assets: for it, the asset does not exist.
  v1::PrequalificationRequest other;
  other.set_idempotency_key("pq-2");
  *other.add_assets() = Asset("agg1-ev-01", v1::ASSET_TYPE_EV_CHARGER, 3, -3, 3, "PS_OVEST");
  auto o = gw->ClientAs("agg2")->RequestPrequalification(other);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->results(0).reason(), v1::QUALIFICATION_REASON_UNKNOWN_ASSET);

  // Retried: the same answer; only aggregators ask.
  auto again = gw->ClientAs("agg1")->RequestPrequalification(req);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed());
  EXPECT_EQ(again->results(0).valid_until().seconds(), r->results(0).valid_until().seconds());
  EXPECT_EQ(gw->ClientAs("tso")->RequestPrequalification(req).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(PrequalificationTest, BadRequestsAreInvalidArgumentAndChangeNothing) {
  auto gw = StartGateway(WithGrid());
  ASSERT_NE(gw, nullptr);
  auto agg1 = gw->ClientAs("agg1");
  const std::vector<std::pair<std::function<void(v1::PrequalificationRequest&)>, std::string>> cases = {
      {[](auto& r) { r.clear_assets(); }, "assets"},
      {[](auto& r) { *r.add_assets() = r.assets(0); }, "assets[1] (agg1-bess-01).resource_id"},
      {[](auto& r) { r.mutable_assets(0)->set_type(v1::ASSET_TYPE_UNSPECIFIED); }, "type"},
      {[](auto& r) { r.mutable_assets(0)->set_pcc_id("PS_EST"); }, "pcc_id: 'PS_EST'"},
      {[](auto& r) { r.mutable_assets(0)->set_sn_mva(-1); }, "sn_mva: -1"},
      {[](auto& r) { r.mutable_assets(0)->set_p_max_mw(std::nan("")); }, "p_max_mw: not a number"},
      {[](auto& r) { r.mutable_assets(0)->set_p_min_mw(9); }, "p_min_mw: 9 is above"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::PrequalificationRequest req;
    req.set_idempotency_key("bad-" + std::to_string(i));
    *req.add_assets() = Asset("agg1-bess-01", v1::ASSET_TYPE_BATTERY, 10, -8, 8);
    cases[i].first(req);
    auto r = agg1->RequestPrequalification(req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << i << ": " << r.status();
    EXPECT_NE(r.status().message().find(cases[i].second), std::string::npos) << i << ": " << r.status();
  }
  // Nothing qualified: a list with the asset finds it not prequalified.
  v1::ValidateMeritOrderRequest mol;
  mol.set_validation_id("after-bad");
  mol.set_direction(v1::DIRECTION_UP);
  v1::Bid* b = mol.add_bids();
  b->set_bid_id("b");
  b->set_bsp_party_id("agg-1");
  b->add_resource_ids("agg1-bess-01");
  b->set_pcc_id("PS_SUD");
  b->set_quantity_mw(1);
  b->set_divisible(true);
  const int64_t now = std::time(nullptr);
  b->mutable_isp_start()->set_seconds(now - now % 900 + 1800);
  auto v = gw->ClientAs("tso")->ValidateMeritOrder(mol);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->results(0).reason(), v1::LIMIT_REASON_NOT_PREQUALIFIED);
}

}  // namespace
}  // namespace tsodso::testing
