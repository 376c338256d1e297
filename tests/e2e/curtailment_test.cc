// Curtailment end to end: the operator orders portfolios below a PCC; each
// affected aggregator gets its own orders, the TSO a PCC-level summary, the
// light turns red; acknowledgements are visible to the operator; a notice
// not yet acknowledged comes again when its aggregator reconnects.
#include <cmath>

#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

int64_t IspAhead(int isps) {
  const int64_t now = std::time(nullptr);
  return now - now % 900 + 900 * isps;
}

v1::IssueCurtailmentRequest Order(const std::string& key) {
  v1::IssueCurtailmentRequest r;
  r.set_idempotency_key(key);
  r.set_pcc_id("PS_SUD");
  r.mutable_from()->set_seconds(IspAhead(2));
  r.mutable_to()->set_seconds(IspAhead(6));
  r.set_text("Red phase at PS Sud: transformer overload expected");
  v1::CurtailmentOrder* o = r.add_orders();
  o->set_portfolio_id("agg1-sud-vpp");
  o->set_max_injection_mw(2.5);
  return r;
}

v1::SubscribeRequest Curtailments(int64_t resume_after = 0) {
  v1::SubscribeRequest r;
  r.add_topics(v1::TOPIC_CURTAILMENT);
  r.set_resume_after_seq(resume_after);
  return r;
}

TEST(CurtailmentTest, OrdersReachTheAffectedAggregatorTheTsoGetsASummaryAndAcksAreSeen) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  FeedCollector tso(*gw, "tso", Curtailments());
  FeedCollector agg1(*gw, "agg1", Curtailments());
  FeedCollector agg2(*gw, "agg2", Curtailments());
  v1::SubscribeRequest lights;
  lights.add_topics(v1::TOPIC_TRAFFIC_LIGHT);
  FeedCollector agg1_lights(*gw, "agg1", lights);

  EXPECT_EQ(gw->ClientAs("tso")->IssueCurtailment(Order("c-0")).status().code(), absl::StatusCode::kPermissionDenied);
  // Its period as sent (a quarter hour may begin while the test runs).
  const v1::IssueCurtailmentRequest order = Order("c-1");
  auto r = gw->ClientAs("operator")->IssueCurtailment(order);
  ASSERT_TRUE(r.ok()) << r.status() << gw->Log();
  const std::string id = r->curtailment_id();

  ASSERT_TRUE(agg1.WaitForEvents(1)) << gw->Log();
  const v1::Event mine = agg1.events()[0];
  EXPECT_EQ(mine.curtailment().curtailment_id(), id);
  ASSERT_EQ(mine.curtailment().orders_size(), 1);
  EXPECT_EQ(mine.curtailment().orders(0).max_injection_mw(), 2.5);
  EXPECT_FALSE(mine.curtailment().redelivery());
  ASSERT_TRUE(tso.WaitForEvents(1));
  const v1::Event summary = tso.events()[0];
  EXPECT_EQ(summary.curtailment().orders_size(), 0);  // PCC level only
  EXPECT_EQ(summary.curtailment().portfolios(), 1);
  EXPECT_EQ(summary.curtailment().total_max_injection_mw(), 2.5);
  ASSERT_TRUE(agg1_lights.WaitForEvents(1));
  const v1::Event red = agg1_lights.events()[0];
  EXPECT_EQ(red.traffic_light().light().state(), v1::TRAFFIC_LIGHT_STATE_RED);
  EXPECT_EQ(red.traffic_light().light().start().seconds(), order.from().seconds());
  EXPECT_EQ(red.traffic_light().light().end().seconds(), order.to().seconds());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(agg2.events().empty());  // not affected

  v1::GetCurtailmentStatusRequest sreq;
  sreq.set_curtailment_id(id);
  auto status = gw->ClientAs("operator")->GetCurtailmentStatus(sreq);
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->recipients_size(), 1);
  EXPECT_EQ(status->recipients(0).aggregator(), "agg-1");
  EXPECT_FALSE(status->recipients(0).acknowledged());

  // agg-2 may not acknowledge what was not sent to it; agg-1 may, once.
  v1::AcknowledgeNoticeRequest ack;
  ack.set_notice_id(id);
  EXPECT_EQ(gw->ClientAs("agg2")->AcknowledgeNotice(ack).status().code(), absl::StatusCode::kNotFound);
  auto acked = gw->ClientAs("agg1")->AcknowledgeNotice(ack);
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_FALSE(acked->already_acknowledged());
  auto again = gw->ClientAs("agg1")->AcknowledgeNotice(ack);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_acknowledged());
  EXPECT_EQ(again->acknowledged_at().seconds(), acked->acknowledged_at().seconds());
  status = gw->ClientAs("operator")->GetCurtailmentStatus(sreq);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->recipients(0).acknowledged());
  EXPECT_EQ(status->recipients(0).acknowledged_at().seconds(), acked->acknowledged_at().seconds());
  EXPECT_EQ(gw->ClientAs("agg1")->GetCurtailmentStatus(sreq).status().code(), absl::StatusCode::kPermissionDenied);
  sreq.set_curtailment_id("00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(gw->ClientAs("operator")->GetCurtailmentStatus(sreq).status().code(), absl::StatusCode::kNotFound);
  ack.set_notice_id("not-a-uuid");
  EXPECT_EQ(gw->ClientAs("agg1")->AcknowledgeNotice(ack).status().code(), absl::StatusCode::kNotFound);
}

TEST(CurtailmentTest, AnUnacknowledgedNoticeComesAgainOnReconnectUntilAcknowledged) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  // agg-1 is offline when the order is issued.
  auto r = gw->ClientAs("operator")->IssueCurtailment(Order("c-2"));
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string id = r->curtailment_id();
  int64_t seen = 0;
  {
    // It comes back: the notice is in its replay.
    FeedCollector agg1(*gw, "agg1", Curtailments());
    ASSERT_TRUE(agg1.WaitForEvents(1)) << gw->Log();
    EXPECT_EQ(agg1.events()[0].curtailment().curtailment_id(), id);
    seen = agg1.events()[0].seq();
  }
  {
    // It reconnects past the notice without having acknowledged it: the
    // gateway sends it again.
    FeedCollector agg1(*gw, "agg1", Curtailments(seen));
    ASSERT_TRUE(agg1.WaitForEvents(1)) << gw->Log();
    const v1::Event again = agg1.events()[0];
    EXPECT_EQ(again.curtailment().curtailment_id(), id);
    EXPECT_TRUE(again.curtailment().redelivery());
    EXPECT_GT(again.seq(), seen);
    seen = again.seq();
  }
  v1::GetCurtailmentStatusRequest sreq;
  sreq.set_curtailment_id(id);
  auto status = gw->ClientAs("operator")->GetCurtailmentStatus(sreq);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->recipients(0).deliveries(), 2);
  v1::AcknowledgeNoticeRequest ack;
  ack.set_notice_id(id);
  ASSERT_TRUE(gw->ClientAs("agg1")->AcknowledgeNotice(ack).ok());
  {
    // Acknowledged: no more.
    FeedCollector agg1(*gw, "agg1", Curtailments(seen));
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    EXPECT_TRUE(agg1.events().empty());
  }
}

TEST(CurtailmentTest, BadOrdersAreInvalidArgumentAndChangeNothing) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  auto op = gw->ClientAs("operator");
  const std::vector<std::pair<std::function<void(v1::IssueCurtailmentRequest&)>, std::string>> cases = {
      {[](auto& r) { r.set_pcc_id("PS_NORD"); }, "pcc_id: unknown PCC 'PS_NORD'"},
      {[](auto& r) { r.clear_orders(); }, "orders"},
      {[](auto& r) { r.mutable_orders(0)->set_portfolio_id("nope"); }, "orders[0] (nope).portfolio_id"},
      {[](auto& r) { r.mutable_orders(0)->set_portfolio_id("agg2-ovest-ev"); }, "at PCC 'PS_OVEST'"},
      {[](auto& r) { *r.add_orders() = r.orders(0); }, "ordered twice"},
      {[](auto& r) { r.mutable_orders(0)->set_max_injection_mw(-1); }, "max_injection_mw: -1"},
      {[](auto& r) { r.mutable_orders(0)->set_max_injection_mw(std::nan("")); }, "max_injection_mw"},
      {[](auto& r) { r.mutable_orders(0)->set_setpoint_mw(99); }, "setpoint_mw: 99 is outside"},
      {[](auto& r) { r.mutable_orders(0)->clear_order(); }, "either max_injection_mw or setpoint_mw"},
      {[](auto& r) { r.mutable_to()->set_seconds(r.to().seconds() + 60); }, "to:"},
      {[](auto& r) {
         r.mutable_from()->set_seconds(IspAhead(-8));
         r.mutable_to()->set_seconds(IspAhead(-4));
       },
       "has passed"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto req = Order("bad-" + std::to_string(i));
    cases[i].first(req);
    auto r = op->IssueCurtailment(req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << i << ": " << r.status();
    EXPECT_NE(r.status().message().find(cases[i].second), std::string::npos) << i << ": " << r.status();
  }
  FeedCollector feed(*gw, "operator", Curtailments());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(feed.events().empty());
}

}  // namespace
}  // namespace tsodso::testing
