#include "service/wire.h"
#include "service/forecast_view.h"

#include <gtest/gtest.h>

#include "support/status_testing.h"

namespace tsodso::service {
namespace {

using ::tsodso::testing::StatusIs;

core::Notice SampleNotice() {
  core::Notice n;
  n.id = "6f1c1f3e-4c1a-4c8e-9b59-0d3c2c1a7e10";
  n.severity = core::Severity::kCritical;
  n.text = "Congestione prevista su PS Sud \xE2\x80\x94 220 kV";
  n.valid_from = absl::FromUnixNanos(1'700'000'000'123'456'789);
  n.valid_to = absl::FromUnixNanos(1'700'086'400'000'000'001);
  n.pcc_ids = {"PS_EST", "PS_SUD"};
  n.published_by = "dso-operator";
  return n;
}

TEST(ConvertTest, NoticeSurvivesTheStoredPayloadRoundTrip) {
  const core::Notice notice = SampleNotice();
  core::StoredEvent stored;
  stored.seq = 4711;
  stored.published_at = absl::FromUnixMicros(1'700'000'001'654'321);
  stored.envelope = core::Envelope{core::Topic::kNotice, "PS_SUD", "", core::kAllRoles};
  stored.payload = EncodeNoticePayload(notice);

  v1::Event wire;
  wire.set_seq(99);  // stale content must be cleared
  ASSERT_TRUE(ToProto(stored, &wire).ok());
  EXPECT_EQ(wire.seq(), 4711);
  EXPECT_EQ(FromProto(wire.published_at()), stored.published_at);
  EXPECT_EQ(wire.topic(), v1::TOPIC_NOTICE);
  EXPECT_EQ(wire.pcc_id(), "PS_SUD");
  ASSERT_EQ(wire.payload_case(), v1::Event::kNotice);
  const v1::Notice& n = wire.notice();
  EXPECT_EQ(n.notice_id(), notice.id);
  EXPECT_EQ(n.severity(), v1::SEVERITY_CRITICAL);
  EXPECT_EQ(n.text(), notice.text);
  EXPECT_EQ(FromProto(n.valid_from()), notice.valid_from);
  EXPECT_EQ(FromProto(n.valid_to()), notice.valid_to);
  ASSERT_EQ(n.pcc_ids_size(), 2);
  EXPECT_EQ(n.pcc_ids(0), "PS_EST");
  EXPECT_EQ(n.pcc_ids(1), "PS_SUD");
  EXPECT_EQ(n.published_by(), "dso-operator");
}

TEST(ConvertTest, WireEventIsTheEncodingOfTheConvertedEvent) {
  core::StoredEvent stored;
  stored.seq = 4711;
  stored.published_at = absl::FromUnixMicros(1'700'000'001'654'321);
  core::LightPeriod light;
  light.pcc_id = "PS_EST";
  light.start = absl::FromUnixSeconds(1'700'000'100);
  light.end = light.start + absl::Minutes(15);
  for (const auto& [envelope, payload] : std::vector<std::pair<core::Envelope, std::string>>{
           {{core::Topic::kNotice, "PS_SUD", "", core::kAllRoles}, EncodeNoticePayload(SampleNotice())},
           {{core::Topic::kNotice, "", "agg-1", core::kAllRoles}, EncodeNoticePayload(SampleNotice())},
           {{core::Topic::kTrafficLight, "PS_EST", "", core::kAllRoles}, EncodeTrafficLightPayload(light)}}) {
    stored.envelope = envelope;
    stored.payload = payload;
    v1::Event wire;
    ASSERT_TRUE(ToProto(stored, &wire).ok());
    EXPECT_EQ(EncodeWireEvent(stored), DeterministicBytes(wire)) << envelope.pcc_id;
  }
  v1::Event heartbeat;
  heartbeat.mutable_heartbeat()->set_head_seq(12);
  EXPECT_EQ(EncodeHeartbeat(12), DeterministicBytes(heartbeat));
}

TEST(ConvertTest, PayloadCarriesOnlyTheNotice) {
  v1::Event payload;
  ASSERT_TRUE(payload.ParseFromString(EncodeNoticePayload(SampleNotice())));
  EXPECT_EQ(payload.seq(), 0);
  EXPECT_FALSE(payload.has_published_at());
  EXPECT_EQ(payload.pcc_id(), "");
  EXPECT_TRUE(payload.has_notice());
}

TEST(ConvertTest, UnparsablePayloadIsDataLossNamingTheSeq) {
  core::StoredEvent stored;
  stored.seq = 123;
  stored.payload = std::string(
      "\x0a\x05"
      "ab",
      4);  // a length-delimited field cut short
  v1::Event wire;
  EXPECT_TRUE(StatusIs(ToProto(stored, &wire), absl::StatusCode::kDataLoss, {"event 123"}));
}

TEST(ConvertTest, TimeRoundTripIncludingNegativeAndFractional) {
  const std::vector<absl::Time> times = {
      absl::UnixEpoch(),
      absl::FromUnixNanos(1),
      absl::FromUnixNanos(-1),
      absl::FromUnixNanos(-1'500'000'000),
      absl::FromUnixNanos(-999'999'999),
      absl::FromUnixSeconds(-86400 * 365),
      absl::FromUnixNanos(1'700'000'000'123'456'789),
      absl::FromUnixMicros(4'102'444'800'000'001),  // 2100-01-01 plus 1 us
  };
  for (absl::Time t : times) {
    google::protobuf::Timestamp ts;
    ToProto(t, &ts);
    EXPECT_GE(ts.nanos(), 0) << t;
    EXPECT_LT(ts.nanos(), 1'000'000'000) << t;
    EXPECT_EQ(FromProto(ts), t) << t;
  }
}

TEST(ConvertTest, NegativeTimeIsNormalisedToNonNegativeNanos) {
  google::protobuf::Timestamp ts;
  ToProto(absl::FromUnixNanos(-1'500'000'000), &ts);
  EXPECT_EQ(ts.seconds(), -2);
  EXPECT_EQ(ts.nanos(), 500'000'000);
  ToProto(absl::FromUnixNanos(-1), &ts);
  EXPECT_EQ(ts.seconds(), -1);
  EXPECT_EQ(ts.nanos(), 999'999'999);
  ToProto(absl::FromUnixNanos(2'000'000'007), &ts);
  EXPECT_EQ(ts.seconds(), 2);
  EXPECT_EQ(ts.nanos(), 7);
}

TEST(ConvertTest, PublishRequestToDomain) {
  v1::PublishNoticeRequest req;
  req.set_severity(v1::SEVERITY_WARNING);
  req.set_text("hello");
  req.add_pcc_ids("PS_SUD");
  req.add_pcc_ids("PS_EST");
  core::NoticeRequest without_times = FromProto(req);
  EXPECT_EQ(without_times.severity, 2);
  EXPECT_EQ(without_times.text, "hello");
  EXPECT_FALSE(without_times.valid_from.has_value());
  EXPECT_FALSE(without_times.valid_to.has_value());
  EXPECT_EQ(without_times.pcc_ids, (std::vector<std::string>{"PS_SUD", "PS_EST"}));

  req.mutable_valid_from()->set_seconds(1'700'000'000);
  req.mutable_valid_to()->set_seconds(1'700'000'600);
  req.mutable_valid_to()->set_nanos(5);
  core::NoticeRequest with_times = FromProto(req);
  ASSERT_TRUE(with_times.valid_from.has_value());
  ASSERT_TRUE(with_times.valid_to.has_value());
  EXPECT_EQ(*with_times.valid_from, absl::FromUnixSeconds(1'700'000'000));
  EXPECT_EQ(*with_times.valid_to, absl::FromUnixSeconds(1'700'000'600) + absl::Nanoseconds(5));
}

TEST(ConvertTest, RolesAndPccs) {
  EXPECT_EQ(ToProto(core::Role::kTso), v1::ROLE_TSO);
  EXPECT_EQ(ToProto(core::Role::kAggregator), v1::ROLE_AGGREGATOR);
  EXPECT_EQ(ToProto(core::Role::kDsoOperator), v1::ROLE_DSO_OPERATOR);
  v1::Pcc out;
  ToProto(core::Pcc{"PS_SUD", "Milano PS Sud", {220, 23}}, &out);
  EXPECT_EQ(out.pcc_id(), "PS_SUD");
  EXPECT_EQ(out.display_name(), "Milano PS Sud");
  ASSERT_EQ(out.voltage_levels_kv_size(), 2);
  EXPECT_EQ(out.voltage_levels_kv(0), 220);
  EXPECT_EQ(out.voltage_levels_kv(1), 23);
}

TEST(ConvertTest, DeterministicBytesAreStable) {
  v1::Notice a;
  ToProto(SampleNotice(), &a);
  v1::Notice b;
  ToProto(SampleNotice(), &b);
  const std::string bytes = DeterministicBytes(a);
  EXPECT_FALSE(bytes.empty());
  EXPECT_EQ(DeterministicBytes(a), bytes);
  EXPECT_EQ(DeterministicBytes(b), bytes);
  v1::Notice parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(DeterministicBytes(parsed), bytes);
  b.set_text(b.text() + ".");
  EXPECT_NE(DeterministicBytes(b), bytes);
  EXPECT_EQ(EncodeNoticePayload(SampleNotice()), EncodeNoticePayload(SampleNotice()));
}

TEST(ConvertTest, MeritOrderListComesInWithEveryField) {
  v1::ValidateMeritOrderRequest req;
  req.set_validation_id("v-7");
  req.set_direction(v1::DIRECTION_DOWN);
  v1::Bid* b = req.add_bids();
  b->set_bid_id("b1");
  b->set_bsp_party_id("agg-1");
  b->add_resource_ids("r1");
  b->add_resource_ids("r2");
  b->set_pcc_id("PS_SUD");
  b->set_quantity_mw(7.25);
  b->set_price_eur_per_mwh(-12.5);
  b->set_min_quantity_mw(0.5);
  b->set_divisible(true);
  b->mutable_isp_start()->set_seconds(1'795'000'500);
  const core::MeritOrderList mol = FromProto(req);
  EXPECT_EQ(mol.validation_id, "v-7");
  EXPECT_EQ(mol.direction, 2);
  ASSERT_EQ(mol.bids.size(), 1u);
  const core::Bid& bid = mol.bids[0].bid;
  EXPECT_EQ(bid.bid_id, "b1");
  EXPECT_EQ(bid.bsp_party_id, "agg-1");
  EXPECT_EQ(bid.resource_ids, (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(bid.pcc_id, "PS_SUD");
  EXPECT_EQ(bid.quantity_mw, 7.25);
  EXPECT_EQ(bid.price, -12.5);
  EXPECT_EQ(bid.min_quantity_mw, 0.5);
  EXPECT_TRUE(bid.divisible);
  EXPECT_EQ(mol.bids[0].isp_start, absl::FromUnixSeconds(1'795'000'500));
}

TEST(ConvertTest, EveryBidReasonAndLightHasItsWireName) {
  const std::vector<std::pair<core::BidReason, v1::LimitReason>> reasons = {
      {core::BidReason::kNone, v1::LIMIT_REASON_UNSPECIFIED},
      {core::BidReason::kThermalLimit, v1::LIMIT_REASON_THERMAL_LIMIT},
      {core::BidReason::kVoltageLimit, v1::LIMIT_REASON_VOLTAGE_LIMIT},
      {core::BidReason::kUnknownResource, v1::LIMIT_REASON_UNKNOWN_RESOURCE},
      {core::BidReason::kNotPrequalified, v1::LIMIT_REASON_NOT_PREQUALIFIED},
      {core::BidReason::kResourceNotAtPcc, v1::LIMIT_REASON_RESOURCE_NOT_AT_PCC},
      {core::BidReason::kMinimumNotMet, v1::LIMIT_REASON_MINIMUM_NOT_MET},
      {core::BidReason::kOutsideValidity, v1::LIMIT_REASON_OUTSIDE_VALIDITY},
      {core::BidReason::kBeyondQualifiedRange, v1::LIMIT_REASON_BEYOND_QUALIFIED_RANGE}};
  for (auto [reason, wire] : reasons) {
    core::MolLine line;
    line.result = {"b", core::BidOutcome::kLimited, 1.5, reason};
    line.bsp_party_id = "agg-1";
    line.pcc_id = "PS_SUD";
    line.requested_mw = 3;
    line.position = 2;
    v1::BidResult out;
    ToProto(line, &out);
    EXPECT_EQ(out.reason(), wire) << core::BidReasonName(reason);
    // The core's name is the wire name without its prefix.
    if (reason != core::BidReason::kNone) {
      EXPECT_EQ(v1::LimitReason_Name(wire), std::string("LIMIT_REASON_") + core::BidReasonName(reason));
    }
    EXPECT_EQ(out.outcome(), v1::BID_OUTCOME_LIMITED);
    EXPECT_EQ(out.accepted_mw(), 1.5);
    EXPECT_EQ(out.requested_mw(), 3);
    EXPECT_EQ(out.merit_order_position(), 2);
  }
  const std::vector<std::tuple<core::LightState, core::LightReason, v1::TrafficLightState, v1::TrafficLightReason>>
      lights = {{core::LightState::kGreen, core::LightReason::kNone, v1::TRAFFIC_LIGHT_STATE_GREEN,
                 v1::TRAFFIC_LIGHT_REASON_UNSPECIFIED},
                {core::LightState::kYellow, core::LightReason::kThermalLimit, v1::TRAFFIC_LIGHT_STATE_YELLOW,
                 v1::TRAFFIC_LIGHT_REASON_THERMAL_LIMIT},
                {core::LightState::kYellow, core::LightReason::kVoltageLimit, v1::TRAFFIC_LIGHT_STATE_YELLOW,
                 v1::TRAFFIC_LIGHT_REASON_VOLTAGE_LIMIT},
                {core::LightState::kRed, core::LightReason::kDirectIntervention, v1::TRAFFIC_LIGHT_STATE_RED,
                 v1::TRAFFIC_LIGHT_REASON_DIRECT_INTERVENTION}};
  for (auto [state, reason, wire_state, wire_reason] : lights) {
    core::LightPeriod period{
        "PS_SUD", absl::FromUnixSeconds(900), absl::FromUnixSeconds(2700), {state, reason}, core::LightState::kGreen};
    v1::Event event;
    ASSERT_TRUE(event.ParseFromString(EncodeTrafficLightPayload(period)));
    const v1::TrafficLight& l = event.traffic_light().light();
    EXPECT_EQ(l.state(), wire_state);
    EXPECT_EQ(l.reason(), wire_reason);
    EXPECT_EQ(l.pcc_id(), "PS_SUD");
    EXPECT_EQ(l.start().seconds(), 900);
    EXPECT_EQ(l.end().seconds(), 2700);
    EXPECT_EQ(event.traffic_light().previous_state(), v1::TRAFFIC_LIGHT_STATE_GREEN);
  }
}

TEST(ConvertTest, ScheduleComesInWithAndWithoutReactivePower) {
  v1::SubmitScheduleRequest req;
  req.set_portfolio_id("agg1-sud");
  req.set_pcc_id("PS_SUD");
  req.set_resolution_minutes(15);
  req.set_revision(3);
  auto* a = req.add_intervals();
  a->mutable_start()->set_seconds(1'795'000'500);
  a->set_p_mw(-2.5);
  auto* b = req.add_intervals();
  b->mutable_start()->set_seconds(1'795'001'400);
  b->set_p_mw(0);
  b->set_q_mvar(0);  // an explicit zero is not "no value"
  const core::ScheduleRequest s = FromProto(req);
  EXPECT_EQ(s.portfolio_id, "agg1-sud");
  EXPECT_EQ(s.revision, 3);
  ASSERT_EQ(s.intervals.size(), 2u);
  EXPECT_FALSE(s.intervals[0].q_mvar.has_value());
  ASSERT_TRUE(s.intervals[1].q_mvar.has_value());
  EXPECT_EQ(*s.intervals[1].q_mvar, 0);
  v1::ScheduleInterval back;
  ToProto(s.intervals[1], &back);
  EXPECT_TRUE(back.has_q_mvar());
  EXPECT_EQ(back.start().seconds(), 1'795'001'400);
  ToProto(s.intervals[0], &back);
  EXPECT_EQ(back.p_mw(), -2.5);
}

TEST(ConvertTest, PrequalificationTypesAndReasonsMatchTheWire) {
  v1::PrequalificationRequest req;
  for (int t = v1::AssetType_MIN; t <= v1::AssetType_MAX; ++t) {
    v1::AssetClaim* a = req.add_assets();
    a->set_type(static_cast<v1::AssetType>(t));
    a->set_sn_mva(1.5);
  }
  const std::vector<core::AssetClaim> claims = FromProto(req);
  for (int t = v1::AssetType_MIN; t <= v1::AssetType_MAX; ++t) {
    // Every named type maps to a core type; the unspecified one to none.
    EXPECT_EQ(core::IsAssetType(claims[t].type), t != v1::ASSET_TYPE_UNSPECIFIED) << t;
    EXPECT_EQ(claims[t].ratings.sn_mva, 1.5);
  }
  for (int r = static_cast<int>(core::QualificationReason::kNone);
       r <= static_cast<int>(core::QualificationReason::kInAnotherPortfolio); ++r) {
    core::AssetDecision d;
    d.id = "a";
    d.reason = static_cast<core::QualificationReason>(r);
    v1::AssetQualification out;
    ToProto(d, "PS_SUD", "agg-1", &out);
    if (r == 0) continue;
    EXPECT_EQ(v1::QualificationReason_Name(out.reason()),
              std::string("QUALIFICATION_REASON_") + core::QualificationReasonName(d.reason));
  }
}

}  // namespace
}  // namespace tsodso::service

namespace tsodso::service {
namespace {

TEST(ConvertTest, AnAggregatorsForecastLeavesEverySchedulePAndQOut) {
  core::PccForecastInterval f;
  f.start = absl::FromUnixSeconds(1795000500);
  f.end = f.start + absl::Minutes(15);
  f.p_mw = {97, 100, 104};
  f.q_mvar = {29, 30, 32};
  f.scheduled = {3.0, -1.0};
  v1::Forecast forecast;
  ToProto(f, forecast.add_intervals());
  forecast.mutable_intervals(0)->set_measured_p_mw(101);
  forecast.add_inputs("metered load history ...");
  forecast.add_inputs(std::string(kSchedulesInput) + "4 ISP(s) with a baseline, as known at issue");
  EXPECT_DOUBLE_EQ(forecast.intervals(0).scheduled_q_mvar(), -1.0);

  WithoutSchedules(&forecast);
  const v1::ForecastInterval& i = forecast.intervals(0);
  EXPECT_DOUBLE_EQ(i.p_mw().p10(), 94);
  EXPECT_DOUBLE_EQ(i.p_mw().p50(), 97);
  EXPECT_DOUBLE_EQ(i.p_mw().p90(), 101);
  EXPECT_DOUBLE_EQ(i.q_mvar().p10(), 30);
  EXPECT_DOUBLE_EQ(i.q_mvar().p50(), 31);
  EXPECT_DOUBLE_EQ(i.q_mvar().p90(), 33);
  EXPECT_EQ(i.scheduled_p_mw(), 0);
  EXPECT_EQ(i.scheduled_q_mvar(), 0);
  EXPECT_FALSE(i.has_measured_p_mw());
  ASSERT_EQ(forecast.inputs_size(), 1);
  EXPECT_EQ(forecast.inputs(0), "metered load history ...");
}

}  // namespace
}  // namespace tsodso::service
