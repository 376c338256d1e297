// The use cases (server/service) against a real PostgreSQL, without a
// daemon: what each commits, what a retry with the same key gets back, and
// that a refused request leaves nothing behind.
#include <gtest/gtest.h>

#include "core/common/time.h"
#include "pg_fixture.h"
#include "service/curtailment.h"
#include "service/notices.h"
#include "service/schedules.h"
#include "service/traffic_lights.h"
#include "service/wire.h"
#include "store/event_store.h"
#include "support/status_testing.h"
#include "unit/sample_registry.h"

namespace tsodso::service {
namespace {

using ::tsodso::testing::StatusIs;

// A quarter hour boundary well in the future of the test's request time.
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);  // 2027-01-15T08:00:00Z

class ServiceTest : public ::tsodso::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ctx_.SetDirectory(std::make_shared<const Directory>(
        Directory{std::make_shared<core::PartyRegistry>(::tsodso::testing::SampleRegistry()),
                  {{"agg1-sud-vpp", "agg-1", "PS_SUD", -10, 10, -5, 5}}}));
    ctx_.flex = &flex_;
    ctx_.schedule_horizon.days_ahead = 2;
    ctx_.schedule_horizon.zone = absl::UTCTimeZone();
  }

  const core::Party& PartyOf(const std::string& id) { return *ctx_.directory()->registry->FindById(id); }

  Caller As(const std::string& party, const std::string& method, const std::string& digest, absl::Time now = kNow) {
    return Caller{PartyOf(party), now, method, digest};
  }

  // Run a use case in one transaction, as the dispatcher does.
  template <typename T>
  absl::StatusOr<T> Tx(const std::function<absl::StatusOr<T>()>& use_case) {
    std::optional<absl::StatusOr<T>> out;
    absl::Status st = store::InTransaction(*conn_, [&]() -> absl::Status {
      out = use_case();
      return out->status();
    });
    if (!st.ok()) return st;
    return std::move(*out);
  }

  core::NoticeRequest Notice(const std::string& text, std::vector<std::string> pccs) {
    core::NoticeRequest n;
    n.severity = 2;
    n.text = text;
    n.pcc_ids = std::move(pccs);
    return n;
  }

  v1::SubmitScheduleRequest Schedule(int64_t revision, const std::string& key, double p_mw = 1.5) {
    v1::SubmitScheduleRequest r;
    r.set_idempotency_key(key);
    r.set_portfolio_id("agg1-sud-vpp");
    r.set_pcc_id("PS_SUD");
    r.set_revision(revision);
    r.set_resolution_minutes(15);
    for (int i = 0; i < 4; ++i) {
      v1::ScheduleInterval* v = r.add_intervals();
      ToProto(kNow + absl::Hours(2) + i * core::kIsp, v->mutable_start());
      v->set_p_mw(p_mw);
    }
    return r;
  }

  core::FlexCatalogHolder flex_;
  Context ctx_;
};

TEST_F(ServiceTest, ANoticeIsPublishedOncePerKey) {
  const Caller op = As("dso-operator", "/test/PublishNotice", "digest-1");
  auto first = Tx<v1::PublishNoticeResponse>([&] {
    return PublishNotice(*conn_, ctx_, op, "key-1", Notice("switching", {"PS_SUD", "PS_EST"}));
  });
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->replayed());
  EXPECT_EQ(first->event_seqs_size(), 2);  // one copy per PCC
  EXPECT_EQ(Count("notices"), 1);
  EXPECT_EQ(Count("events"), 2);

  // The same request again: the same answer, marked, and nothing new.
  auto again = Tx<v1::PublishNoticeResponse>([&] {
    return PublishNotice(*conn_, ctx_, op, "key-1", Notice("switching", {"PS_SUD", "PS_EST"}));
  });
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed());
  EXPECT_EQ(again->notice_id(), first->notice_id());
  EXPECT_EQ(std::vector<int64_t>(again->event_seqs().begin(), again->event_seqs().end()),
            std::vector<int64_t>(first->event_seqs().begin(), first->event_seqs().end()));
  EXPECT_EQ(Count("events"), 2);

  // Another request under the same key is refused and changes nothing.
  const Caller other = As("dso-operator", "/test/PublishNotice", "digest-2");
  auto reused =
      Tx<v1::PublishNoticeResponse>([&] { return PublishNotice(*conn_, ctx_, other, "key-1", Notice("other", {})); });
  EXPECT_TRUE(StatusIs(reused.status(), absl::StatusCode::kAlreadyExists, {"idempotency_key", "key-1"}));
  EXPECT_EQ(Count("notices"), 1);
  EXPECT_EQ(Count("events"), 2);
}

TEST_F(ServiceTest, ARefusedNoticeLeavesNothingBehind) {
  const Caller op = As("dso-operator", "/test/PublishNotice", "digest-1");
  auto bad =
      Tx<v1::PublishNoticeResponse>([&] { return PublishNotice(*conn_, ctx_, op, "key-1", Notice("x", {"PS_NORD"})); });
  EXPECT_TRUE(StatusIs(bad.status(), absl::StatusCode::kInvalidArgument, {"PS_NORD"}));
  auto bad_key =
      Tx<v1::PublishNoticeResponse>([&] { return PublishNotice(*conn_, ctx_, op, "key 2", Notice("x", {})); });
  EXPECT_TRUE(StatusIs(bad_key.status(), absl::StatusCode::kInvalidArgument, {"idempotency_key"}));
  EXPECT_EQ(Count("notices"), 0);
  EXPECT_EQ(Count("events"), 0);
  EXPECT_EQ(Count("idempotency_keys"), 0);
  // The key was not used up by the refusal.
  auto good =
      Tx<v1::PublishNoticeResponse>([&] { return PublishNotice(*conn_, ctx_, op, "key-1", Notice("x", {"PS_SUD"})); });
  EXPECT_TRUE(good.ok()) << good.status();
}

TEST_F(ServiceTest, AnInterventionTurnsTheLightsRedAndItsLiftingGreenAgain) {
  const absl::Time from = kNow + absl::Hours(1);
  const absl::Time to = from + 4 * core::kIsp;
  auto declared = Tx<v1::DeclareInterventionResponse>([&] {
    return DeclareIntervention(*conn_, ctx_, As("dso-operator", "/test/DeclareIntervention", "d1"),
                               {"key-1", "PS_SUD", from, to, false});
  });
  ASSERT_TRUE(declared.ok()) << declared.status();
  EXPECT_EQ(declared->event_seqs_size(), 1);  // one period changed
  auto lights = Tx<std::vector<core::LightPeriod>>(
      [&] { return TrafficLights(*conn_, ctx_, As("tso-terna", "", ""), "PS_SUD", from, to); });
  ASSERT_TRUE(lights.ok()) << lights.status();
  ASSERT_EQ(lights->size(), 1u);
  EXPECT_EQ(lights->front().light.state, core::LightState::kRed);
  EXPECT_EQ(lights->front().light.reason, core::LightReason::kDirectIntervention);
  EXPECT_EQ(lights->front().start, from);
  EXPECT_EQ(lights->front().end, to);

  auto lifted = Tx<v1::DeclareInterventionResponse>([&] {
    return DeclareIntervention(*conn_, ctx_, As("dso-operator", "/test/DeclareIntervention", "d2"),
                               {"key-2", "PS_SUD", from, to, true});
  });
  ASSERT_TRUE(lifted.ok()) << lifted.status();
  lights = Tx<std::vector<core::LightPeriod>>(
      [&] { return TrafficLights(*conn_, ctx_, As("tso-terna", "", ""), "PS_SUD", from, to); });
  ASSERT_TRUE(lights.ok());
  ASSERT_EQ(lights->size(), 1u);
  EXPECT_EQ(lights->front().light.state, core::LightState::kGreen);

  // A party learns nothing about PCCs it may not see.
  auto hidden = Tx<std::vector<core::LightPeriod>>(
      [&] { return TrafficLights(*conn_, ctx_, As("agg-1", "", ""), "PS_EST", from, to); });
  EXPECT_TRUE(StatusIs(hidden.status(), absl::StatusCode::kPermissionDenied, {"PS_EST"}));
}

TEST_F(ServiceTest, SchedulesAreReceivedInRevisionOrderEvenWhenTheirRequestTimesAreNot) {
  const Caller agg = As("agg-1", "/test/SubmitSchedule", "s1");
  auto first = Tx<v1::ScheduleReceipt>([&] { return SubmitSchedule(*conn_, ctx_, agg, Schedule(1, "k1")); });
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->status(), v1::RECEIPT_STATUS_ACCEPTED);
  EXPECT_EQ(FromProto(first->received_at()), kNow);

  // Revision 2 arrived a second earlier but took the portfolio's lock
  // second: it is received after revision 1, so "as received at T" holds.
  const Caller earlier = As("agg-1", "/test/SubmitSchedule", "s2", kNow - absl::Seconds(1));
  auto second = Tx<v1::ScheduleReceipt>([&] { return SubmitSchedule(*conn_, ctx_, earlier, Schedule(2, "k2", 2.5)); });
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(FromProto(second->received_at()), kNow + absl::Microseconds(1));

  auto latest = Tx<store::StoredSchedule>(
      [&] { return ReadSchedule(*conn_, ctx_, agg, "agg1-sud-vpp", 0, kNow + absl::Seconds(1)); });
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->schedule.revision, 2);
  auto at_first = Tx<store::StoredSchedule>([&] { return ReadSchedule(*conn_, ctx_, agg, "agg1-sud-vpp", 0, kNow); });
  ASSERT_TRUE(at_first.ok()) << at_first.status();
  EXPECT_EQ(at_first->schedule.revision, 1);

  // A stale revision is refused and stores nothing; a retry of revision 2
  // gets its receipt back.
  const int64_t events = Count("events");
  auto stale = Tx<v1::ScheduleReceipt>(
      [&] { return SubmitSchedule(*conn_, ctx_, As("agg-1", "/test/SubmitSchedule", "s3"), Schedule(2, "k3")); });
  EXPECT_TRUE(StatusIs(stale.status(), absl::StatusCode::kFailedPrecondition, {"revision: 2", "latest revision 2"}));
  auto retry = Tx<v1::ScheduleReceipt>([&] { return SubmitSchedule(*conn_, ctx_, earlier, Schedule(2, "k2", 2.5)); });
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed());
  EXPECT_EQ(Count("events"), events);
  EXPECT_EQ(Count("schedules"), 2);
}

TEST_F(ServiceTest, SchedulesAreReadByTheirAggregatorAndTheDsoOnly) {
  auto submitted = Tx<v1::ScheduleReceipt>(
      [&] { return SubmitSchedule(*conn_, ctx_, As("agg-1", "/test/SubmitSchedule", "s1"), Schedule(1, "k1")); });
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  for (const char* party : {"agg-1", "dso-operator"}) {
    auto read = Tx<store::StoredSchedule>(
        [&] { return ReadSchedule(*conn_, ctx_, As(party, "", ""), "agg1-sud-vpp", 1, kNow); });
    EXPECT_TRUE(read.ok()) << party << ": " << read.status();
  }
  for (const char* party : {"agg-2", "tso-terna"}) {
    auto read = Tx<store::StoredSchedule>(
        [&] { return ReadSchedule(*conn_, ctx_, As(party, "", ""), "agg1-sud-vpp", 1, kNow); });
    EXPECT_TRUE(StatusIs(read.status(), absl::StatusCode::kPermissionDenied, {"agg1-sud-vpp"})) << party;
  }
}

TEST_F(ServiceTest, ACurtailmentReachesItsAggregatorUntilAcknowledged) {
  core::CurtailmentRequest request{"PS_SUD", kNow + absl::Hours(1), kNow + absl::Hours(2), {}, "congestion"};
  request.orders.push_back({"agg1-sud-vpp", 2.0, std::nullopt});
  auto issued = Tx<v1::IssueCurtailmentResponse>([&] {
    return IssueCurtailment(*conn_, ctx_, As("dso-operator", "/test/IssueCurtailment", "c1"), "key-1", request);
  });
  ASSERT_TRUE(issued.ok()) << issued.status();
  // The aggregator's orders, the TSO's summary and the red light.
  EXPECT_EQ(issued->event_seqs_size(), 3);
  const int64_t aggregator_seq = issued->event_seqs(0);

  // Comes back having seen the notice, not acknowledged: it gets it again.
  ASSERT_TRUE(
      store::InTransaction(*conn_, [&] { return RedeliverOpenNotices(*conn_, "agg-1", kNow, aggregator_seq); }).ok());
  EXPECT_EQ(Count("events"), 4);
  auto status = Tx<store::CurtailmentRecord>([&] { return CurtailmentStatus(*conn_, issued->curtailment_id()); });
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->notices.size(), 1u);
  EXPECT_EQ(status->notices[0].deliveries, 2);
  EXPECT_FALSE(status->notices[0].acknowledged_at.has_value());

  auto ack = Tx<store::Acknowledgement>(
      [&] { return AcknowledgeNotice(*conn_, As("agg-1", "", ""), issued->curtailment_id()); });
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_FALSE(ack->already);
  EXPECT_EQ(ack->at, kNow);
  // Acknowledged: nothing more is sent.
  ASSERT_TRUE(store::InTransaction(*conn_, [&] {
                return RedeliverOpenNotices(*conn_, "agg-1", kNow, aggregator_seq + 10);
              }).ok());
  EXPECT_EQ(Count("events"), 4);
  // Another aggregator has no notice of this curtailment.
  auto foreign = Tx<store::Acknowledgement>(
      [&] { return AcknowledgeNotice(*conn_, As("agg-2", "", ""), issued->curtailment_id()); });
  EXPECT_TRUE(StatusIs(foreign.status(), absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace tsodso::service
