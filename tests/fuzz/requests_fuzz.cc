// Every RPC's request from the bytes a client sends to the domain's answer:
// parsed as its message, digested as the audit log does, converted to the
// domain request (service/wire.h) and checked by the domain as the use case
// does before it touches the store; what passes goes on through the
// domain's decision (the merit-order validation on a real feeder, the
// prequalification decision) and is encoded as the events would carry it.
// Every input must give a value or an error, never a crash.
//
// Input: byte 0 chooses the request (bits 0-3, the list below) and the
// caller (bits 4-5: the TSO, agg-1, agg-2, the DSO operator); the rest is
// the serialized message. Seeds: tests/fuzz/corpus/requests_fuzz, made by
// tests/fuzz/make_seeds.sh from tests/fuzz/seeds/*.txtpb.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/common/time.h"
#include "core/curtailment/curtailment.h"
#include "core/events/event.h"
#include "core/flexibility/engine.h"
#include "core/notices/notice.h"
#include "core/prequalification/prequalification.h"
#include "core/schedules/schedule.h"
#include "core/validation/merit_order_list.h"
#include "core/validation/traffic_light.h"
#include "fuzz_world.h"
#include "service/wire.h"
#include "service/wire_checks.h"

namespace tsodso::fuzz {
namespace {

using service::FromProto;
using service::ToProto;

// The request kinds, in the order of byte 0; the corpus depends on it, so
// new kinds go at the end.
enum Kind : uint8_t {
  kSubmitSchedule,
  kGetSchedule,
  kValidateMeritOrder,
  kGetTrafficLights,
  kPublishNotice,
  kDeclareIntervention,
  kIssueCurtailment,
  kGetCurtailmentStatus,
  kAcknowledgeNotice,
  kRequestPrequalification,
  kGetFlexibility,
  kGetForecast,
  kSubscribe,
  kKinds
};

// Parse as gRPC does; bytes it refuses are diagnosed and answered as the
// gateway's parse guard does (api/parse_guard.h): always INVALID_ARGUMENT,
// and the stand-in request carries exactly that refusal.
template <typename Message>
bool Parse(const uint8_t* data, size_t size, Message* out) {
  if (!out->ParseFromArray(data, static_cast<int>(size))) {
    const absl::Status refusal = service::DiagnoseUnparsable(
        *out->GetDescriptor(), absl::string_view(reinterpret_cast<const char*>(data), size));
    if (refusal.code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    Message stand_in;
    if (!stand_in.ParseFromString(service::EncodeRefusal(refusal)) || service::CheckRequest(stand_in) != refusal) {
      __builtin_trap();
    }
    return false;
  }
  // The audit record's digest of the request.
  (void)service::DeterministicBytes(*out);
  return true;
}

void SubmitSchedule(const World& w, const core::Party& caller, const v1::SubmitScheduleRequest& r) {
  if (!core::ValidateClientKey("idempotency_key", r.idempotency_key()).ok()) return;
  std::vector<core::IntervalProblem> problems;
  auto schedule = core::CheckSchedule(FromProto(r), w.portfolios, caller, w.now, w.horizon, &problems);
  if (!schedule.ok()) {
    absl::Status st = schedule.status();
    if (!problems.empty()) service::AttachRejectedReceipt(st, service::RejectedReceipt(r, problems));
    return;
  }
  v1::ScheduleReceipt receipt;
  receipt.set_portfolio_id(schedule->portfolio_id);
  ToProto(schedule->intervals.front().start, receipt.mutable_start());
  ToProto(schedule->end(), receipt.mutable_end());
  (void)service::EncodeReceiptPayload(receipt);
  // As GetSchedule reads it back, and the ISPs its traffic light follows.
  v1::GetScheduleResponse stored;
  for (const core::ScheduleValue& v : schedule->intervals) {
    (void)core::IspsOf(v.start, schedule->resolution);
    ToProto(v, stored.add_intervals());
  }
}

void GetSchedule(const World& w, const v1::GetScheduleRequest& r) {
  const absl::Time as_of = r.has_as_of() ? FromProto(r.as_of()) : w.now;
  (void)core::FindPortfolio(w.portfolios, r.portfolio_id());
  (void)core::Rfc3339(as_of);
}

void ValidateMeritOrder(const World& w, const core::Party& caller, const v1::ValidateMeritOrderRequest& r) {
  auto mol = core::CheckMeritOrderList(FromProto(r), w.registry, caller, w.now);
  if (!mol.ok()) return;
  const std::vector<core::MolLine> lines = core::ValidateList(*mol, w.book, w.networks);
  v1::MeritOrderValidation answer;
  ToProto(mol->isp_start, answer.mutable_isp_start());
  for (const core::MolLine& l : lines) ToProto(l, answer.add_results());
  for (const auto& [pcc, in] : w.networks) {
    core::LightPeriod period{pcc, mol->isp_start, mol->isp_start + core::kIsp, core::LightFromLines(lines, pcc)};
    ToProto(period, answer.add_traffic_lights());
    (void)service::EncodeTrafficLightPayload(period);
  }
  for (const core::LineShare& share : core::ShareLines(lines, caller.id, w.registry)) {
    v1::MeritOrderValidation part = answer;
    part.clear_results();
    for (size_t i : share.lines) *part.add_results() = answer.results(static_cast<int>(i));
    (void)service::EncodeBidLimitsPayload(part);
  }
}

void PublishNotice(const World& w, const core::Party& caller, const v1::PublishNoticeRequest& r) {
  if (!core::ValidateClientKey("idempotency_key", r.idempotency_key()).ok()) return;
  auto notice = core::MakeNotice(FromProto(r), w.registry, caller, w.now, service::NewUuid());
  if (!notice.ok()) return;
  for (const core::Envelope& env : core::NoticeEnvelopes(*notice)) {
    core::Notice copy = *notice;
    if (!env.pcc_id.empty()) copy.pcc_ids = {env.pcc_id};
    (void)service::EncodeNoticePayload(copy);
  }
}

void DeclareIntervention(const World& w, const v1::DeclareInterventionRequest& r) {
  if (!core::ValidateClientKey("idempotency_key", r.idempotency_key()).ok()) return;
  if (w.registry.FindPcc(r.pcc_id()) == nullptr) return;
  (void)core::CheckUpcomingIspWindow(FromProto(r.from()), FromProto(r.to()), w.now);
}

void IssueCurtailment(const World& w, const core::Party& caller, const v1::IssueCurtailmentRequest& r) {
  if (!core::ValidateClientKey("idempotency_key", r.idempotency_key()).ok()) return;
  auto c = core::MakeCurtailment(FromProto(r), w.registry, w.portfolios, caller, w.now, service::NewUuid());
  if (!c.ok()) return;
  for (const auto& [aggregator, orders] : c->by_aggregator) (void)service::EncodeCurtailmentPayload(*c, aggregator);
  (void)service::EncodeCurtailmentPayload(*c, "");
}

void RequestPrequalification(const World& w, const core::Party& caller, const v1::PrequalificationRequest& r) {
  if (!core::ValidateClientKey("idempotency_key", r.idempotency_key()).ok()) return;
  const std::vector<core::AssetClaim> claims = FromProto(r);
  if (!core::CheckClaims(claims, caller, w.registry).ok()) return;
  // Each claim decided with no standing qualification, and again with one
  // held by agg-2 until tomorrow.
  const std::optional<core::Qualification> standings[] = {std::nullopt,
                                                          core::Qualification{"agg-2", w.now + absl::Hours(24), 0, 1}};
  for (const core::AssetClaim& claim : claims) {
    auto reg = w.assets.find(claim.id);
    const core::RegisteredAsset* registered = reg == w.assets.end() ? nullptr : &reg->second;
    for (const std::optional<core::Qualification>& standing : standings) {
      const core::AssetDecision d = core::Decide(claim, registered, standing, caller, w.now, absl::Hours(24 * 365));
      v1::AssetQualification out;
      ToProto(d, claim.pcc_id, caller.id, &out);
      (void)service::EncodePrequalificationPayload(out);
    }
  }
}

void GetTrafficLights(const World& w, const core::Party& caller, const v1::GetTrafficLightsRequest& r) {
  if (!w.registry.CheckVisiblePcc(caller, r.pcc_id(), "pcc_id").ok()) return;
  (void)core::CheckIspWindow(FromProto(r.from()), FromProto(r.to()));
}

void GetFlexibility(const World& w, const core::Party& caller, const v1::GetFlexibilityRequest& r) {
  if (!w.registry.CheckVisiblePcc(caller, r.pcc_id(), "pcc_id").ok()) return;
  const absl::Time from = FromProto(r.from());
  if (!core::ValidateFlexWindow(from, FromProto(r.to()), r.include_vertices()).ok()) return;
  (void)core::AlignDown(from, core::kIsp);
}

void GetForecast(const World& w, const core::Party& caller, const v1::GetForecastRequest& r) {
  if (!w.registry.CheckVisiblePcc(caller, r.pcc_id(), "pcc_id").ok()) return;
  const absl::Time from = r.has_from() ? FromProto(r.from()) : w.now;
  const absl::Time to = r.has_to() ? FromProto(r.to()) : w.now;
  const absl::Time as_of = r.has_as_of() ? FromProto(r.as_of()) : w.now;
  (void)core::Rfc3339(from);
  (void)core::Rfc3339(to);
  (void)core::Rfc3339(as_of);
  if (from < to) (void)core::AlignDown(from, core::kIsp);
}

void Subscribe(const World& w, const core::Party& caller, const v1::SubscribeRequest& r) {
  const std::vector<int> topics(r.topics().begin(), r.topics().end());
  const std::vector<std::string> pccs(r.pcc_ids().begin(), r.pcc_ids().end());
  auto filter = core::MakeSubscriptionFilter(caller, w.registry, topics, pccs, r.resume_after_seq());
  if (!filter.ok()) return;
  for (const core::Pcc& pcc : w.registry.pccs()) {
    (void)core::ShouldDeliver(caller, *filter, core::Envelope{core::Topic::kNotice, pcc.id, "", core::kAllRoles});
  }
}

}  // namespace
}  // namespace tsodso::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tsodso;
  using namespace tsodso::fuzz;
  if (size < 1) return 0;
  const World& w = TheWorld();
  const uint8_t kind = data[0] & 0x0f;
  const core::Party& caller = w.Caller(data[0] >> 4);
  ++data;
  --size;
  switch (kind) {
    case kSubmitSchedule: {
      v1::SubmitScheduleRequest r;
      if (Parse(data, size, &r)) SubmitSchedule(w, caller, r);
      break;
    }
    case kGetSchedule: {
      v1::GetScheduleRequest r;
      if (Parse(data, size, &r)) GetSchedule(w, r);
      break;
    }
    case kValidateMeritOrder: {
      v1::ValidateMeritOrderRequest r;
      if (Parse(data, size, &r)) ValidateMeritOrder(w, caller, r);
      break;
    }
    case kGetTrafficLights: {
      v1::GetTrafficLightsRequest r;
      if (Parse(data, size, &r)) GetTrafficLights(w, caller, r);
      break;
    }
    case kPublishNotice: {
      v1::PublishNoticeRequest r;
      if (Parse(data, size, &r)) PublishNotice(w, caller, r);
      break;
    }
    case kDeclareIntervention: {
      v1::DeclareInterventionRequest r;
      if (Parse(data, size, &r)) DeclareIntervention(w, r);
      break;
    }
    case kIssueCurtailment: {
      v1::IssueCurtailmentRequest r;
      if (Parse(data, size, &r)) IssueCurtailment(w, caller, r);
      break;
    }
    case kGetCurtailmentStatus: {
      v1::GetCurtailmentStatusRequest r;
      Parse(data, size, &r);
      break;
    }
    case kAcknowledgeNotice: {
      v1::AcknowledgeNoticeRequest r;
      Parse(data, size, &r);
      break;
    }
    case kRequestPrequalification: {
      v1::PrequalificationRequest r;
      if (Parse(data, size, &r)) RequestPrequalification(w, caller, r);
      break;
    }
    case kGetFlexibility: {
      v1::GetFlexibilityRequest r;
      if (Parse(data, size, &r)) GetFlexibility(w, caller, r);
      break;
    }
    case kGetForecast: {
      v1::GetForecastRequest r;
      if (Parse(data, size, &r)) GetForecast(w, caller, r);
      break;
    }
    case kSubscribe: {
      v1::SubscribeRequest r;
      if (Parse(data, size, &r)) Subscribe(w, caller, r);
      break;
    }
    default:
      break;
  }
  return 0;
}
