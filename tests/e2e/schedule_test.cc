// Schedules end to end: an aggregator submits, revises and reads back its
// portfolio's schedule; the other aggregator can do neither; bad
// submissions are refused with nothing stored; retries are answered, not
// repeated; and an acknowledged submission survives a kill -9.
#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <fstream>
#include <functional>

#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

// The start of tomorrow, UTC: always inside the accepted horizon.
int64_t Tomorrow() {
  const int64_t now = std::time(nullptr);
  return now - now % 86400 + 86400;
}

v1::SubmitScheduleRequest Schedule(const std::string& key, int64_t revision, double level, int intervals = 96) {
  v1::SubmitScheduleRequest r;
  r.set_idempotency_key(key);
  r.set_portfolio_id("agg1-sud-vpp");
  r.set_pcc_id("PS_SUD");
  r.set_resolution_minutes(15);
  r.set_revision(revision);
  for (int i = 0; i < intervals; ++i) {
    auto* v = r.add_intervals();
    v->mutable_start()->set_seconds(Tomorrow() + 900 * i);
    v->set_p_mw(level + 0.1 * (i % 10));
    if (i % 2 == 0) v->set_q_mvar(-0.5);
  }
  return r;
}

v1::GetScheduleRequest Get(int64_t revision = 0) {
  v1::GetScheduleRequest g;
  g.set_portfolio_id("agg1-sud-vpp");
  g.set_revision(revision);
  return g;
}

TEST(ScheduleTest, AggregatorSubmitsRevisesAndReadsBackEveryRevision) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  v1::SubscribeRequest receipts;
  receipts.add_topics(v1::TOPIC_RECEIPT);
  FeedCollector agg1_feed(*gw, "agg1", receipts);
  FeedCollector tso_feed(*gw, "tso", receipts);
  auto agg1 = gw->ClientAs("agg1");

  auto r1 = agg1->SubmitSchedule(Schedule("s-1", 1, 2.0));
  ASSERT_TRUE(r1.ok()) << r1.status() << gw->Log();
  EXPECT_EQ(r1->status(), v1::RECEIPT_STATUS_ACCEPTED);
  EXPECT_EQ(r1->revision(), 1);
  EXPECT_EQ(r1->interval_count(), 96);
  EXPECT_EQ(r1->start().seconds(), Tomorrow());
  EXPECT_EQ(r1->end().seconds(), Tomorrow() + 86400);
  const absl::Time between = absl::Now();
  absl::SleepFor(absl::Milliseconds(20));
  auto r2 = agg1->SubmitSchedule(Schedule("s-2", 2, 5.0));
  ASSERT_TRUE(r2.ok()) << r2.status();

  // Both revisions stay: by number, latest, and as known in between.
  auto latest = agg1->GetSchedule(Get());
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->revision(), 2);
  EXPECT_EQ(latest->latest_revision(), 2);
  ASSERT_EQ(latest->intervals_size(), 96);
  EXPECT_DOUBLE_EQ(latest->intervals(3).p_mw(), 5.3);
  EXPECT_TRUE(latest->intervals(0).has_q_mvar());
  EXPECT_FALSE(latest->intervals(1).has_q_mvar());
  EXPECT_EQ(latest->submitted_by(), "agg-1");
  auto first = agg1->GetSchedule(Get(1));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_DOUBLE_EQ(first->intervals(3).p_mw(), 2.3);
  EXPECT_EQ(first->latest_revision(), 2);
  v1::GetScheduleRequest then = Get();
  then.mutable_as_of()->set_seconds(absl::ToUnixSeconds(between));
  then.mutable_as_of()->set_nanos(static_cast<int32_t>(absl::ToUnixNanos(between) % 1000000000));
  auto known_then = agg1->GetSchedule(then);
  ASSERT_TRUE(known_then.ok()) << known_then.status();
  EXPECT_EQ(known_then->revision(), 1);
  v1::GetScheduleRequest before_any = Get();
  before_any.mutable_as_of()->set_seconds(Tomorrow() - 10 * 86400);
  EXPECT_EQ(agg1->GetSchedule(before_any).status().code(), absl::StatusCode::kNotFound);
  auto negative = agg1->GetSchedule(Get(-1));
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(negative.status().message().find("revision: -1"), std::string::npos) << negative.status();
  // Private to its aggregator and the DSO: neither the TSO nor the other
  // aggregator may read it.
  EXPECT_TRUE(gw->ClientAs("operator")->GetSchedule(Get()).ok());
  EXPECT_EQ(gw->ClientAs("tso")->GetSchedule(Get()).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(gw->ClientAs("agg2")->GetSchedule(Get()).status().code(), absl::StatusCode::kPermissionDenied);

  // Receipts go to the submitter alone.
  ASSERT_TRUE(agg1_feed.WaitForEvents(2)) << gw->Log();
  EXPECT_EQ(agg1_feed.events()[0].receipt().revision(), 1);
  EXPECT_EQ(agg1_feed.events()[1].receipt().revision(), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(tso_feed.events().empty());

  // A retry is answered from storage; the same key with other content, or
  // a revision that is not new, is refused.
  auto again = agg1->SubmitSchedule(Schedule("s-2", 2, 5.0));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed());
  EXPECT_EQ(again->revision(), 2);
  EXPECT_EQ(agg1->SubmitSchedule(Schedule("s-2", 2, 6.0)).status().code(), absl::StatusCode::kAlreadyExists);
  auto stale = agg1->SubmitSchedule(Schedule("s-3", 2, 6.0));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(stale.status().message().find("revision: 2 is not after the latest revision 2"), std::string::npos)
      << stale.status();
}

v1::GetFlexibilityRequest Tomorrows(int hours) {
  v1::GetFlexibilityRequest f;
  f.set_pcc_id("PS_SUD");
  f.mutable_from()->set_seconds(Tomorrow());
  f.mutable_to()->set_seconds(Tomorrow() + 3600 * hours);
  return f;
}

TEST(ScheduleTest, TheAggregatedBaselineMovesThePccOperatingPointForTheTsoOnly) {
  GatewayOptions opts;
  opts.flexibility = true;
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  auto tso = gw->ClientAs("tso");
  auto agg1 = gw->ClientAs("agg1");
  auto before = tso->GetFlexibility(Tomorrows(2));
  ASSERT_TRUE(before.ok()) << before.status() << gw->Log();
  ASSERT_EQ(before->intervals_size(), 8);
  EXPECT_FALSE(before->intervals(0).has_scheduled());

  // Revision 1 for the whole day, then revision 2 for its first hour only:
  // the latest revision is the portfolio's schedule.
  ASSERT_TRUE(agg1->SubmitSchedule(Schedule("b-1", 1, 2.0)).ok());
  auto with_first = tso->GetFlexibility(Tomorrows(2));
  ASSERT_TRUE(with_first.ok()) << with_first.status();
  EXPECT_NEAR(with_first->intervals(5).scheduled().p_mw(), 2.5, 1e-9);
  ASSERT_TRUE(agg1->SubmitSchedule(Schedule("b-2", 2, 7.0, 4)).ok());
  auto after = tso->GetFlexibility(Tomorrows(2));
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->intervals_size(), 8);
  for (int i = 0; i < 8; ++i) {
    const double p = i < 4 ? 7.0 + 0.1 * (i % 10) : 0.0;
    const double q = i < 4 && i % 2 == 0 ? -0.5 : 0.0;
    const auto& was = before->intervals(i);
    const auto& now = after->intervals(i);
    EXPECT_NEAR(now.scheduled().p_mw(), p, 1e-9) << i;
    EXPECT_NEAR(now.scheduled().q_mvar(), q, 1e-9) << i;
    EXPECT_NEAR(now.operating_point().p_mw(), was.operating_point().p_mw() + p, 1e-9) << i;
    EXPECT_NEAR(now.operating_point().q_mvar(), was.operating_point().q_mvar() + q, 1e-9) << i;
    EXPECT_DOUBLE_EQ(now.p_up_mw(), was.p_up_mw()) << i;
  }
  // An aggregator's view leaves every schedule out, its own included: the
  // PCC figures must not let it read another's.
  auto own_view = agg1->GetFlexibility(Tomorrows(2));
  ASSERT_TRUE(own_view.ok()) << own_view.status();
  EXPECT_FALSE(own_view->intervals(0).has_scheduled());
  EXPECT_DOUBLE_EQ(own_view->intervals(0).operating_point().p_mw(), before->intervals(0).operating_point().p_mw());
}

TEST(ScheduleTest, OnlyTheOwnerSubmitsAndBadSchedulesAreRefusedWithNothingStored) {
  auto gw = StartGateway();
  ASSERT_NE(gw, nullptr);
  auto agg1 = gw->ClientAs("agg1");
  EXPECT_EQ(gw->ClientAs("agg2")->SubmitSchedule(Schedule("x-1", 1, 1.0)).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(gw->ClientAs("tso")->SubmitSchedule(Schedule("x-2", 1, 1.0)).status().code(),
            absl::StatusCode::kPermissionDenied);

  struct Case {
    std::string name;
    std::function<void(v1::SubmitScheduleRequest&)> spoil;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"unaligned", [](auto& r) { r.mutable_intervals(4)->mutable_start()->set_seconds(Tomorrow() + 900 * 4 + 60); },
       "intervals[4]"},
      {"gap", [](auto& r) { r.mutable_intervals()->DeleteSubrange(10, 1); }, "intervals[10]"},
      {"nan", [](auto& r) { r.mutable_intervals(7)->set_p_mw(std::nan("")); }, "intervals[7]"},
      {"beyond capacity", [](auto& r) { r.mutable_intervals(8)->set_p_mw(40); }, "p_mw: 40 is outside"},
      {"q beyond", [](auto& r) { r.mutable_intervals(8)->set_q_mvar(-9); }, "q_mvar: -9 is outside"},
      {"past",
       [](auto& r) {
         for (auto& v : *r.mutable_intervals()) v.mutable_start()->set_seconds(v.start().seconds() - 3 * 86400);
       },
       "lies in the past"},
      {"beyond horizon",
       [](auto& r) {
         for (auto& v : *r.mutable_intervals()) v.mutable_start()->set_seconds(v.start().seconds() + 5 * 86400);
       },
       "ends after the accepted horizon"},
      {"wrong PCC", [](auto& r) { r.set_pcc_id("PS_EST"); }, "pcc_id"},
      {"no intervals", [](auto& r) { r.clear_intervals(); }, "intervals"},
      {"revision 0", [](auto& r) { r.set_revision(0); }, "revision: 0"},
      {"resolution", [](auto& r) { r.set_resolution_minutes(20); }, "resolution_minutes: 20"},
      {"no key", [](auto& r) { r.set_idempotency_key(""); }, "idempotency_key"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    auto req = Schedule("bad-" + std::to_string(i), 1, 1.0);
    c.spoil(req);
    auto r = agg1->SubmitSchedule(req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.name << ": " << r.status();
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << c.name << ": " << r.status();
  }
  // The rejection is also a receipt that names every bad interval, where
  // the message stops at 20.
  auto many = Schedule("bad-many", 1, 1.0);
  for (int i = 50; i < 80; ++i) many.mutable_intervals(i)->set_p_mw(99);
  auto refused = agg1->SubmitSchedule(many);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  EXPECT_NE(refused.status().message().find("and 10 more"), std::string::npos) << refused.status();
  v1::ScheduleReceipt rejected;
  ASSERT_TRUE(client::StatusDetail(refused.status(), &rejected)) << refused.status();
  EXPECT_EQ(rejected.status(), v1::RECEIPT_STATUS_REJECTED);
  EXPECT_EQ(rejected.portfolio_id(), "agg1-sud-vpp");
  EXPECT_EQ(rejected.interval_count(), 96);
  ASSERT_EQ(rejected.problems_size(), 30);
  EXPECT_EQ(rejected.more_problems(), 0);
  EXPECT_EQ(rejected.problems(0).index(), 50);
  EXPECT_EQ(rejected.problems(29).index(), 79);
  EXPECT_EQ(rejected.problems(29).interval_start().seconds(), Tomorrow() + 900 * 79);
  EXPECT_EQ(rejected.problems(29).field(), "p_mw");
  EXPECT_NE(rejected.problems(29).reason().find("99 is outside the portfolio's range"), std::string::npos);
  // A schedule wrong everywhere still gets its answer: the receipt names
  // the first 40 intervals and counts the rest.
  auto past = Schedule("bad-past", 1, 1.0);
  for (auto& v : *past.mutable_intervals()) v.mutable_start()->set_seconds(v.start().seconds() - 3 * 86400);
  auto all_bad = agg1->SubmitSchedule(past);
  ASSERT_EQ(all_bad.status().code(), absl::StatusCode::kInvalidArgument) << all_bad.status();
  ASSERT_TRUE(client::StatusDetail(all_bad.status(), &rejected));
  EXPECT_EQ(rejected.problems_size(), 40);
  EXPECT_EQ(rejected.more_problems(), 56);
  // Long reasons on every interval: the answer still fits its trailer.
  auto late = Schedule("bad-late", 1, 1.0);
  for (auto& v : *late.mutable_intervals()) v.mutable_start()->set_seconds(v.start().seconds() + 5 * 86400);
  late.mutable_intervals()->SwapElements(3, 4);  // and out of order
  auto too_late = agg1->SubmitSchedule(late);
  ASSERT_EQ(too_late.status().code(), absl::StatusCode::kInvalidArgument) << too_late.status();
  ASSERT_TRUE(client::StatusDetail(too_late.status(), &rejected));
  EXPECT_GT(rejected.problems_size(), 10);
  EXPECT_GE(rejected.problems_size() + rejected.more_problems(), 96 + 2);
  // A refusal that is not about intervals carries no receipt.
  auto unkeyed = Schedule("", 1, 1.0);
  EXPECT_FALSE(client::StatusDetail(agg1->SubmitSchedule(unkeyed).status(), &rejected));

  // Nothing was stored: no schedule, and revision 1 is still free.
  EXPECT_EQ(agg1->GetSchedule(Get()).status().code(), absl::StatusCode::kNotFound);
  auto good = agg1->SubmitSchedule(Schedule("good", 1, 1.0));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->revision(), 1);
}

TEST(ScheduleTest, AnAcknowledgedScheduleSurvivesKillDashNine) {
  GatewayOptions opts;
  opts.dsn = PgCluster::Get().NewDatabase();
  auto gw = std::make_unique<GatewayProcess>(opts);
  ASSERT_TRUE(gw->Start().ok()) << gw->Log();
  auto r = gw->ClientAs("agg1")->SubmitSchedule(Schedule("k9", 1, 3.0));
  ASSERT_TRUE(r.ok()) << r.status();
  gw->Kill9();
  ASSERT_TRUE(gw->Start().ok()) << gw->Log();
  auto back = gw->ClientAs("agg1")->GetSchedule(Get());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->revision(), 1);
  EXPECT_EQ(back->intervals_size(), 96);
  // The retry of the acknowledged request gets the same receipt.
  auto again = gw->ClientAs("agg1")->SubmitSchedule(Schedule("k9", 1, 3.0));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed());
  EXPECT_EQ(again->received_at().seconds(), r->received_at().seconds());
}

TEST(ScheduleTest, AScheduleThatWouldBreakALimitIsAcceptedWithWarningsAndTheLightFollows) {
  GatewayOptions opts;
  opts.flexibility = true;
  opts.grid_model_dir = std::string(TSODSO_SOURCE_DIR) + "/config/grids/ps-sud";
  auto gw = StartGateway(opts);
  ASSERT_NE(gw, nullptr);
  // agg-1's portfolio sits, for the DSO, at its qualified battery far down
  // a feeder.
  v1::PrequalificationRequest pq;
  pq.set_idempotency_key("pq");
  v1::AssetClaim* a = pq.add_assets();
  a->set_resource_id("agg1-bess-01");
  a->set_type(v1::ASSET_TYPE_BATTERY);
  a->set_pcc_id("PS_SUD");
  a->set_sn_mva(10);
  a->set_p_min_mw(-10);
  a->set_p_max_mw(10);
  ASSERT_TRUE(gw->ClientAs("agg1")->RequestPrequalification(pq).ok());
  v1::SubscribeRequest lights;
  lights.add_topics(v1::TOPIC_TRAFFIC_LIGHT);
  FeedCollector tso(*gw, "tso", lights);

  // Charging 12 MW for the first two hours: more than the feeder carries.
  auto heavy = Schedule("w-1", 1, 0.5);
  for (int i = 0; i < 8; ++i) heavy.mutable_intervals(i)->set_p_mw(12);
  auto r = gw->ClientAs("agg1")->SubmitSchedule(heavy);
  ASSERT_TRUE(r.ok()) << r.status() << gw->Log();
  EXPECT_EQ(r->status(), v1::RECEIPT_STATUS_ACCEPTED_WITH_WARNINGS);
  ASSERT_EQ(r->warnings_size(), 8);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(r->warnings(i).interval_start().seconds(), Tomorrow() + 900 * i);
    EXPECT_NE(r->warnings(i).reason(), v1::SCHEDULE_WARNING_REASON_UNSPECIFIED);
  }
  // The TSO's grid-limited figures start from the scheduled operating
  // point: there the feeder is beyond its limit.
  auto grid_view = [&] {
    v1::GetFlexibilityRequest f = Tomorrows(1);
    f.set_include_grid_limited(true);
    return gw->ClientAs("tso")->GetFlexibility(f);
  };
  auto breached = grid_view();
  ASSERT_TRUE(breached.ok()) << breached.status();
  ASSERT_EQ(breached->intervals_size(), 4);
  EXPECT_NEAR(breached->intervals(0).scheduled().p_mw(), 12, 1e-9);
  EXPECT_FALSE(breached->intervals(0).grid_limited().operating_point_within_limits());
  ASSERT_TRUE(tso.WaitForEvents(1)) << gw->Log();
  const v1::Event yellow = tso.events()[0];
  EXPECT_EQ(yellow.traffic_light().light().state(), v1::TRAFFIC_LIGHT_STATE_YELLOW);
  EXPECT_EQ(yellow.traffic_light().light().start().seconds(), Tomorrow());
  EXPECT_EQ(yellow.traffic_light().light().end().seconds(), Tomorrow() + 8 * 900);

  // The next revision stays within the network and starts later: accepted,
  // and the ISPs the first one had flagged are green again.
  auto later = Schedule("w-2", 2, 0.5);
  later.mutable_intervals()->DeleteSubrange(0, 24);
  auto r2 = gw->ClientAs("agg1")->SubmitSchedule(later);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(r2->status(), v1::RECEIPT_STATUS_ACCEPTED);
  EXPECT_EQ(r2->warnings_size(), 0);
  ASSERT_TRUE(tso.WaitForEvents(2)) << gw->Log();
  const v1::Event green = tso.events()[1];
  EXPECT_EQ(green.traffic_light().light().state(), v1::TRAFFIC_LIGHT_STATE_GREEN);
  EXPECT_EQ(green.traffic_light().previous_state(), v1::TRAFFIC_LIGHT_STATE_YELLOW);
  EXPECT_EQ(green.traffic_light().light().start().seconds(), Tomorrow());
  EXPECT_EQ(green.traffic_light().light().end().seconds(), Tomorrow() + 8 * 900);
  auto relieved = grid_view();
  ASSERT_TRUE(relieved.ok()) << relieved.status();
  EXPECT_FALSE(relieved->intervals(0).has_scheduled());
  EXPECT_TRUE(relieved->intervals(0).grid_limited().operating_point_within_limits());

  // A revision within the network after one that was too: no light moves,
  // so none is announced; the next breach is the next event.
  auto calm = Schedule("w-3", 3, 0.5);
  ASSERT_TRUE(gw->ClientAs("agg1")->SubmitSchedule(calm).ok());
  auto again = Schedule("w-4", 4, 0.5);
  for (int i = 4; i < 6; ++i) again.mutable_intervals(i)->set_p_mw(12);
  auto r4 = gw->ClientAs("agg1")->SubmitSchedule(again);
  ASSERT_TRUE(r4.ok()) << r4.status();
  EXPECT_EQ(r4->warnings_size(), 2);
  ASSERT_TRUE(tso.WaitForEvents(3)) << gw->Log();
  const v1::Event yellow_again = tso.events()[2];
  EXPECT_EQ(yellow_again.traffic_light().light().state(), v1::TRAFFIC_LIGHT_STATE_YELLOW);
  EXPECT_EQ(yellow_again.traffic_light().previous_state(), v1::TRAFFIC_LIGHT_STATE_GREEN);
  EXPECT_EQ(yellow_again.traffic_light().light().start().seconds(), Tomorrow() + 4 * 900);
  EXPECT_EQ(yellow_again.traffic_light().light().end().seconds(), Tomorrow() + 6 * 900);
}

}  // namespace
}  // namespace tsodso::testing
