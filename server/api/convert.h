// Conversion between tsodso.v1 messages and domain values: the only place
// that knows both.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "core/events/event.h"
#include "core/flexibility/engine.h"
#include "core/notices/notice.h"
#include "core/registry/party_registry.h"
#include "tsodso/v1/feed.pb.h"
#include "tsodso/v1/flexibility.pb.h"
#include "tsodso/v1/operator.pb.h"
#include "tsodso/v1/registry.pb.h"

namespace tsodso::api {

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

// Fill a wire interval; vertices and the class breakdown only when asked.
void ToProto(const core::FlexInterval& interval, bool with_vertices, const std::vector<core::ClassFlex>* by_class,
             v1::FlexibilityInterval* out);

// Encode a FLEXIBILITY event payload for the coming horizon of a scenario.
std::string EncodeFlexibilityPayload(const core::FlexScenario& scenario, const std::vector<core::FlexInterval>& horizon,
                                     absl::Time computed_at);

// Serialize deterministically, for digests and idempotency comparisons.
std::string DeterministicBytes(const google::protobuf::Message& message);

}  // namespace tsodso::api
