#include "service/wire.h"

#include <openssl/rand.h>

#include <algorithm>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tsodso::service {

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void ToProto(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t ns = absl::ToUnixNanos(t);
  int64_t s = ns / 1000000000;
  int64_t n = ns % 1000000000;
  if (n < 0) {
    n += 1000000000;
    --s;
  }
  out->set_seconds(s);
  out->set_nanos(static_cast<int32_t>(n));
}

v1::Role ToProto(core::Role role) {
  switch (role) {
    case core::Role::kTso:
      return v1::ROLE_TSO;
    case core::Role::kAggregator:
      return v1::ROLE_AGGREGATOR;
    case core::Role::kDsoOperator:
      return v1::ROLE_DSO_OPERATOR;
  }
  return v1::ROLE_UNSPECIFIED;
}

void ToProto(const core::Pcc& pcc, v1::Pcc* out) {
  out->set_pcc_id(pcc.id);
  out->set_display_name(pcc.display_name);
  for (double kv : pcc.voltage_levels_kv) out->add_voltage_levels_kv(kv);
}

core::NoticeRequest FromProto(const v1::PublishNoticeRequest& request) {
  core::NoticeRequest out;
  out.severity = request.severity();
  out.text = request.text();
  if (request.has_valid_from()) out.valid_from = FromProto(request.valid_from());
  if (request.has_valid_to()) out.valid_to = FromProto(request.valid_to());
  out.pcc_ids.assign(request.pcc_ids().begin(), request.pcc_ids().end());
  return out;
}

void ToProto(const core::Notice& notice, v1::Notice* out) {
  out->set_notice_id(notice.id);
  out->set_severity(static_cast<v1::Severity>(notice.severity));
  out->set_text(notice.text);
  ToProto(notice.valid_from, out->mutable_valid_from());
  ToProto(notice.valid_to, out->mutable_valid_to());
  for (const auto& p : notice.pcc_ids) out->add_pcc_ids(p);
  out->set_published_by(notice.published_by);
}

std::string EncodeNoticePayload(const core::Notice& notice) {
  v1::Event event;
  ToProto(notice, event.mutable_notice());
  return DeterministicBytes(event);
}

absl::Status ToProto(const core::StoredEvent& event, v1::Event* out) {
  out->Clear();
  if (!out->ParseFromString(event.payload)) {
    return absl::DataLossError(absl::StrCat("event ", event.seq, ": stored payload does not parse"));
  }
  out->set_seq(event.seq);
  ToProto(event.published_at, out->mutable_published_at());
  out->set_topic(static_cast<v1::Topic>(event.envelope.topic));
  out->set_pcc_id(event.envelope.pcc_id);
  return absl::OkStatus();
}

std::string EncodeWireEvent(const core::StoredEvent& event) {
  v1::Event header;
  header.set_seq(event.seq);
  ToProto(event.published_at, header.mutable_published_at());
  header.set_topic(static_cast<v1::Topic>(event.envelope.topic));
  header.set_pcc_id(event.envelope.pcc_id);
  std::string out = DeterministicBytes(header);
  out += event.payload;
  return out;
}

std::string EncodeHeartbeat(int64_t head_seq) {
  v1::Event event;
  event.mutable_heartbeat()->set_head_seq(head_seq);
  return DeterministicBytes(event);
}

core::MeritOrderList FromProto(const v1::ValidateMeritOrderRequest& request) {
  core::MeritOrderList out;
  out.validation_id = request.validation_id();
  out.direction = request.direction();
  for (const v1::Bid& b : request.bids()) {
    core::MolBid mb;
    mb.bid.bid_id = b.bid_id();
    mb.bid.bsp_party_id = b.bsp_party_id();
    mb.bid.resource_ids.assign(b.resource_ids().begin(), b.resource_ids().end());
    mb.bid.pcc_id = b.pcc_id();
    mb.bid.quantity_mw = b.quantity_mw();
    mb.bid.price = b.price_eur_per_mwh();
    mb.bid.min_quantity_mw = b.min_quantity_mw();
    mb.bid.divisible = b.divisible();
    mb.isp_start = FromProto(b.isp_start());
    out.bids.push_back(std::move(mb));
  }
  return out;
}

namespace {

v1::LimitReason ToProto(core::BidReason reason) {
  switch (reason) {
    case core::BidReason::kNone:
      return v1::LIMIT_REASON_UNSPECIFIED;
    case core::BidReason::kThermalLimit:
      return v1::LIMIT_REASON_THERMAL_LIMIT;
    case core::BidReason::kVoltageLimit:
      return v1::LIMIT_REASON_VOLTAGE_LIMIT;
    case core::BidReason::kUnknownResource:
      return v1::LIMIT_REASON_UNKNOWN_RESOURCE;
    case core::BidReason::kNotPrequalified:
      return v1::LIMIT_REASON_NOT_PREQUALIFIED;
    case core::BidReason::kResourceNotAtPcc:
      return v1::LIMIT_REASON_RESOURCE_NOT_AT_PCC;
    case core::BidReason::kMinimumNotMet:
      return v1::LIMIT_REASON_MINIMUM_NOT_MET;
    case core::BidReason::kOutsideValidity:
      return v1::LIMIT_REASON_OUTSIDE_VALIDITY;
    case core::BidReason::kBeyondQualifiedRange:
      return v1::LIMIT_REASON_BEYOND_QUALIFIED_RANGE;
  }
  return v1::LIMIT_REASON_UNSPECIFIED;
}

v1::BidOutcome ToProto(core::BidOutcome outcome) {
  switch (outcome) {
    case core::BidOutcome::kAccepted:
      return v1::BID_OUTCOME_ACCEPTED;
    case core::BidOutcome::kLimited:
      return v1::BID_OUTCOME_LIMITED;
    case core::BidOutcome::kRejected:
      return v1::BID_OUTCOME_REJECTED;
  }
  return v1::BID_OUTCOME_UNSPECIFIED;
}

}  // namespace

void ToProto(const core::MolLine& line, v1::BidResult* out) {
  out->set_bid_id(line.result.bid_id);
  out->set_bsp_party_id(line.bsp_party_id);
  out->set_pcc_id(line.pcc_id);
  out->set_outcome(ToProto(line.result.outcome));
  out->set_requested_mw(line.requested_mw);
  out->set_accepted_mw(line.result.accepted_mw);
  out->set_reason(ToProto(line.result.reason));
  out->set_merit_order_position(line.position);
}

void ToProto(const core::LightPeriod& period, v1::TrafficLight* out) {
  out->set_pcc_id(period.pcc_id);
  ToProto(period.start, out->mutable_start());
  ToProto(period.end, out->mutable_end());
  out->set_state(static_cast<v1::TrafficLightState>(period.light.state));
  out->set_reason(static_cast<v1::TrafficLightReason>(period.light.reason));
}

std::string NewUuid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
                         b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

std::string EncodeBidLimitsPayload(const v1::MeritOrderValidation& validation) {
  v1::Event event;
  *event.mutable_bid_limits() = validation;
  return DeterministicBytes(event);
}

std::string EncodeTrafficLightPayload(const core::LightPeriod& change) {
  v1::Event event;
  ToProto(change, event.mutable_traffic_light()->mutable_light());
  event.mutable_traffic_light()->set_previous_state(static_cast<v1::TrafficLightState>(change.previous));
  return DeterministicBytes(event);
}

core::ScheduleRequest FromProto(const v1::SubmitScheduleRequest& request) {
  core::ScheduleRequest out;
  out.portfolio_id = request.portfolio_id();
  out.pcc_id = request.pcc_id();
  out.resolution_minutes = request.resolution_minutes();
  out.revision = request.revision();
  for (const v1::ScheduleInterval& i : request.intervals()) {
    core::ScheduleValue v;
    v.start = FromProto(i.start());
    v.p_mw = i.p_mw();
    if (i.has_q_mvar()) v.q_mvar = i.q_mvar();
    out.intervals.push_back(v);
  }
  return out;
}

void AttachRejectedReceipt(absl::Status& status, const v1::ScheduleReceipt& receipt) {
  status.SetPayload(kScheduleReceiptTypeUrl, absl::Cord(receipt.SerializeAsString()));
}

void ToProto(const core::ScheduleBreach& breach, v1::ScheduleWarning* out) {
  ToProto(breach.start, out->mutable_interval_start());
  out->set_reason(breach.reason == core::BidReason::kThermalLimit ? v1::SCHEDULE_WARNING_REASON_THERMAL_LIMIT
                                                                  : v1::SCHEDULE_WARNING_REASON_VOLTAGE_LIMIT);
}

v1::ScheduleReceipt RejectedReceipt(const v1::SubmitScheduleRequest& request,
                                    const std::vector<core::IntervalProblem>& problems) {
  v1::ScheduleReceipt out;
  out.set_portfolio_id(request.portfolio_id());
  out.set_pcc_id(request.pcc_id());
  out.set_revision(request.revision());
  out.set_status(v1::RECEIPT_STATUS_REJECTED);
  out.set_interval_count(request.intervals_size());
  // The receipt travels in a trailer, which gRPC clients cap at 8 KiB with
  // the status message: list at most 40 problems in at most 3,000 bytes.
  constexpr size_t kListed = 40;
  constexpr size_t kMaxBytes = 3000;
  size_t listed = 0;
  for (; listed < problems.size() && listed < kListed; ++listed) {
    const core::IntervalProblem& p = problems[listed];
    v1::ScheduleProblem* q = out.add_problems();
    q->set_index(static_cast<int32_t>(p.index));
    ToProto(p.start, q->mutable_interval_start());
    q->set_field(p.field);
    q->set_reason(p.reason);
    if (out.ByteSizeLong() > kMaxBytes) {
      out.mutable_problems()->RemoveLast();
      break;
    }
  }
  out.set_more_problems(static_cast<int32_t>(problems.size() - listed));
  return out;
}

void ToProto(const core::ScheduleValue& value, v1::ScheduleInterval* out) {
  ToProto(value.start, out->mutable_start());
  out->set_p_mw(value.p_mw);
  if (value.q_mvar.has_value()) out->set_q_mvar(*value.q_mvar);
}

std::string EncodeReceiptPayload(const v1::ScheduleReceipt& receipt) {
  v1::Event event;
  *event.mutable_receipt() = receipt;
  return DeterministicBytes(event);
}

namespace {

const std::pair<v1::AssetType, const char*> kAssetTypes[] = {{v1::ASSET_TYPE_PV, "pv"},
                                                             {v1::ASSET_TYPE_WIND, "wind"},
                                                             {v1::ASSET_TYPE_CHP, "chp"},
                                                             {v1::ASSET_TYPE_BIOMASS, "biomass"},
                                                             {v1::ASSET_TYPE_HYDRO, "hydro"},
                                                             {v1::ASSET_TYPE_BATTERY, "battery"},
                                                             {v1::ASSET_TYPE_EV_CHARGER, "ev_charger"},
                                                             {v1::ASSET_TYPE_FLEXIBLE_LOAD, "flexible_load"}};

}  // namespace

std::vector<core::AssetClaim> FromProto(const v1::PrequalificationRequest& request) {
  std::vector<core::AssetClaim> out;
  for (const v1::AssetClaim& a : request.assets()) {
    core::AssetClaim c;
    c.id = a.resource_id();
    // An unknown type keeps its wire name, so the refusal can name it.
    c.type = v1::AssetType_Name(a.type());
    for (auto [wire, name] : kAssetTypes) {
      if (a.type() == wire) c.type = name;
    }
    c.pcc_id = a.pcc_id();
    c.ratings = {a.sn_mva(), a.p_min_mw(), a.p_max_mw(), a.q_min_mvar(), a.q_max_mvar()};
    out.push_back(c);
  }
  return out;
}

void ToProto(const core::AssetDecision& d, const std::string& pcc_id, const std::string& aggregator,
             v1::AssetQualification* out) {
  out->set_resource_id(d.id);
  out->set_pcc_id(pcc_id);
  out->set_aggregator(aggregator);
  out->set_outcome(d.qualified ? v1::QUALIFICATION_OUTCOME_QUALIFIED : v1::QUALIFICATION_OUTCOME_NOT_QUALIFIED);
  out->set_reason(static_cast<v1::QualificationReason>(d.reason));
  if (d.qualified) {
    ToProto(d.valid_until, out->mutable_valid_until());
    out->set_p_min_mw(d.p_min_mw);
    out->set_p_max_mw(d.p_max_mw);
  }
}

std::string EncodePrequalificationPayload(const v1::AssetQualification& outcome) {
  v1::Event event;
  *event.mutable_prequalification() = outcome;
  return DeterministicBytes(event);
}

core::CurtailmentRequest FromProto(const v1::IssueCurtailmentRequest& request) {
  core::CurtailmentRequest out;
  out.pcc_id = request.pcc_id();
  out.from = FromProto(request.from());
  out.to = FromProto(request.to());
  out.text = request.text();
  for (const v1::CurtailmentOrder& o : request.orders()) {
    core::CurtailmentOrder order;
    order.portfolio_id = o.portfolio_id();
    if (o.has_max_injection_mw()) order.max_injection_mw = o.max_injection_mw();
    if (o.has_setpoint_mw()) order.setpoint_mw = o.setpoint_mw();
    out.orders.push_back(order);
  }
  return out;
}

std::string EncodeCurtailmentPayload(const core::Curtailment& c, const std::string& aggregator) {
  v1::Event event;
  v1::CurtailmentNotice* n = event.mutable_curtailment();
  n->set_curtailment_id(c.id);
  n->set_pcc_id(c.pcc_id);
  ToProto(c.from, n->mutable_from());
  ToProto(c.to, n->mutable_to());
  n->set_text(c.text);
  n->set_issued_by(c.issued_by);
  ToProto(c.issued_at, n->mutable_issued_at());
  if (aggregator.empty()) {
    n->set_portfolios(c.portfolios);
    n->set_total_max_injection_mw(c.total_max_injection_mw);
    return DeterministicBytes(event);
  }
  // An aggregator learns its own orders and counts, nothing of the others'.
  auto own = c.by_aggregator.find(aggregator);
  if (own == c.by_aggregator.end()) return DeterministicBytes(event);
  double total = 0;
  for (const core::CurtailmentOrder& o : own->second) {
    v1::CurtailmentOrder* w = n->add_orders();
    w->set_portfolio_id(o.portfolio_id);
    if (o.max_injection_mw.has_value()) w->set_max_injection_mw(*o.max_injection_mw);
    if (o.setpoint_mw.has_value()) w->set_setpoint_mw(*o.setpoint_mw);
    total += o.max_injection_mw.value_or(0);
  }
  n->set_portfolios(static_cast<int32_t>(own->second.size()));
  n->set_total_max_injection_mw(total);
  return DeterministicBytes(event);
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

void ToProto(const std::string& curtailment_id, const store::CurtailmentRecord& record, v1::CurtailmentStatus* out) {
  out->set_curtailment_id(curtailment_id);
  out->set_pcc_id(record.pcc_id);
  ToProto(record.from, out->mutable_from());
  ToProto(record.to, out->mutable_to());
  for (const store::NoticeState& n : record.notices) {
    auto* r = out->add_recipients();
    r->set_aggregator(n.aggregator);
    r->set_acknowledged(n.acknowledged_at.has_value());
    if (n.acknowledged_at) ToProto(*n.acknowledged_at, r->mutable_acknowledged_at());
    r->set_deliveries(n.deliveries);
  }
}

void ToProto(const store::StoredSchedule& stored, v1::GetScheduleResponse* out) {
  const core::Schedule& s = stored.schedule;
  out->set_portfolio_id(s.portfolio_id);
  out->set_pcc_id(s.pcc_id);
  out->set_revision(s.revision);
  out->set_resolution_minutes(static_cast<int32_t>(absl::ToInt64Minutes(s.resolution)));
  ToProto(stored.received_at, out->mutable_received_at());
  out->set_submitted_by(s.submitted_by);
  for (const core::ScheduleValue& v : s.intervals) ToProto(v, out->add_intervals());
  out->set_latest_revision(stored.latest_revision);
}

}  // namespace tsodso::service
