// Conversion between tsodso.v1 messages and domain values: the only place
// that knows both. The v1 form is also what the event log stores as a
// payload and what an idempotent write remembers as its answer, so the use
// cases (service/) encode with it and the handlers (api/) convert with it.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "core/curtailment/curtailment.h"
#include "core/events/event.h"
#include "core/flexibility/engine.h"
#include "core/forecast/pcc_forecast.h"
#include "core/notices/notice.h"
#include "core/pcc/grid_check.h"
#include "core/pcc/pcc_network.h"
#include "core/prequalification/prequalification.h"
#include "core/registry/party_registry.h"
#include "core/schedules/schedule.h"
#include "core/validation/traffic_light.h"
#include "service/flexibility_view.h"
#include "store/curtailment_store.h"
#include "store/schedule_store.h"
#include "tsodso/v1/feed.pb.h"
#include "tsodso/v1/flexibility.pb.h"
#include "tsodso/v1/forecast.pb.h"
#include "tsodso/v1/operator.pb.h"
#include "tsodso/v1/prequalification.pb.h"
#include "tsodso/v1/registry.pb.h"
#include "tsodso/v1/schedule.pb.h"
#include "tsodso/v1/validation.pb.h"

namespace tsodso::service {

absl::Time FromProto(const google::protobuf::Timestamp& ts);
void ToProto(absl::Time t, google::protobuf::Timestamp* out);

v1::Role ToProto(core::Role role);
void ToProto(const core::Pcc& pcc, v1::Pcc* out);

core::NoticeRequest FromProto(const v1::PublishNoticeRequest& request);
void ToProto(const core::Notice& notice, v1::Notice* out);

// Encode the payload of an event as stored in the log: a tsodso.v1.Event
// with only its payload set; seq, time, topic and PCC come from the log row.
std::string EncodeNoticePayload(const core::Notice& notice);

// Build the wire event from a stored event.
absl::Status ToProto(const core::StoredEvent& event, v1::Event* out);
// Encode the wire event of a stored event without parsing its payload: the
// log row's fields, then the stored payload as it is. Byte for byte the
// deterministic encoding of ToProto's event: protobuf writes fields in
// number order, and a payload holds only fields 10 and up, so the two
// encodings concatenate. The feed sends these bytes and digests them.
std::string EncodeWireEvent(const core::StoredEvent& event);
// Encode a heartbeat as the feed sends it.
std::string EncodeHeartbeat(int64_t head_seq);

// Fill a wire interval; vertices and the class breakdown only when asked.
void ToProto(const core::FlexInterval& interval, bool with_vertices, const std::vector<core::ClassFlex>* by_class,
             v1::FlexibilityInterval* out);
// Fill the grid-limited part of a wire interval; vertices only when asked.
void ToProto(const core::GridLimitedFlex& grid, bool with_vertices, v1::GridLimitedFlexibility* out);

// Encode a FLEXIBILITY event payload for the coming horizon of a scenario.
// `grid`, when given, holds the grid-limited flexibility of each interval
// (none where it could not be computed); `grid_pending` says that it will
// follow in another event.
std::string EncodeFlexibilityPayload(const core::FlexScenario& scenario, const std::vector<core::FlexInterval>& horizon,
                                     absl::Time computed_at,
                                     const std::vector<std::optional<core::GridLimitedFlex>>* grid = nullptr,
                                     bool grid_pending = false);

core::MeritOrderList FromProto(const v1::ValidateMeritOrderRequest& request);
void ToProto(const core::MolLine& line, v1::BidResult* out);
void ToProto(const core::LightPeriod& period, v1::TrafficLight* out);

// Encode the payload of a BID_LIMITS event (a whole validation, or the
// lines of one BSP) and of a TRAFFIC_LIGHT event.
std::string EncodeBidLimitsPayload(const v1::MeritOrderValidation& validation);
std::string EncodeTrafficLightPayload(const core::LightPeriod& change);

core::ScheduleRequest FromProto(const v1::SubmitScheduleRequest& request);
// The receipt of a schedule refused for its intervals: nothing stored.
v1::ScheduleReceipt RejectedReceipt(const v1::SubmitScheduleRequest& request,
                                    const std::vector<core::IntervalProblem>& problems);
inline constexpr char kScheduleReceiptTypeUrl[] = "type.googleapis.com/tsodso.v1.ScheduleReceipt";
// Put a rejected receipt into the details of the status that refuses it.
void AttachRejectedReceipt(absl::Status& status, const v1::ScheduleReceipt& receipt);
void ToProto(const core::ScheduleBreach& breach, v1::ScheduleWarning* out);
void ToProto(const core::ScheduleValue& value, v1::ScheduleInterval* out);
// Encode the payload of a RECEIPT event.
std::string EncodeReceiptPayload(const v1::ScheduleReceipt& receipt);

// Unknown types become "" (refused by the core's checks).
std::vector<core::AssetClaim> FromProto(const v1::PrequalificationRequest& request);
void ToProto(const core::AssetDecision& decision, const std::string& pcc_id, const std::string& aggregator,
             v1::AssetQualification* out);
std::string EncodePrequalificationPayload(const v1::AssetQualification& outcome);

core::CurtailmentRequest FromProto(const v1::IssueCurtailmentRequest& request);
// Return a random (version 4) UUID.
std::string NewUuid();

// Convert a PCC forecast's intervals (the TSO's view: schedules included).
void ToProto(const core::PccForecastInterval& interval, v1::ForecastInterval* out);
// The start of the input line that describes the schedules a forecast used.
inline constexpr char kSchedulesInput[] = "schedules: ";
// Encode a FORECAST event payload.
std::string EncodeForecastPayload(const v1::Forecast& forecast);

// Encode a CURTAILMENT payload: an aggregator's own orders, or with
// `aggregator` empty the PCC-level summary for the TSO.
std::string EncodeCurtailmentPayload(const core::Curtailment& curtailment, const std::string& aggregator);

// The answers of the read-side use cases.
void ToProto(const std::string& curtailment_id, const store::CurtailmentRecord& record, v1::CurtailmentStatus* out);
void ToProto(const store::StoredSchedule& stored, v1::GetScheduleResponse* out);
void ToProto(const FlexView& view, bool with_vertices, v1::GetFlexibilityResponse* out);

// Serialize deterministically, for digests and idempotency comparisons.
std::string DeterministicBytes(const google::protobuf::Message& message);

}  // namespace tsodso::service
