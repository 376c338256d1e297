#include "api/convert.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"

namespace tsodso::api {

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

void ToProto(const core::FlexInterval& f, bool with_vertices, const std::vector<core::ClassFlex>* by_class,
             v1::FlexibilityInterval* out) {
  ToProto(f.start, out->mutable_start());
  ToProto(f.end, out->mutable_end());
  out->mutable_operating_point()->set_p_mw(f.operating.p);
  out->mutable_operating_point()->set_q_mvar(f.operating.q);
  out->set_p_up_mw(f.p_up_mw);
  out->set_p_down_mw(f.p_down_mw);
  out->set_q_up_mvar(f.q_up_mvar);
  out->set_q_down_mvar(f.q_down_mvar);
  if (with_vertices) {
    const core::ConvexPolygon published = core::PublishedArea(f.area);
    for (const core::PqPoint& v : published.vertices()) {
      v1::PqPoint* p = out->add_vertices();
      p->set_p_mw(v.p);
      p->set_q_mvar(v.q);
    }
  }
  if (by_class != nullptr) {
    for (const core::ClassFlex& c : *by_class) {
      v1::ClassFlexibility* cf = out->add_by_class();
      cf->set_der_class(c.der_class);
      cf->set_p_up_mw(c.p_up_mw);
      cf->set_p_down_mw(c.p_down_mw);
      cf->set_q_up_mvar(c.q_up_mvar);
      cf->set_q_down_mvar(c.q_down_mvar);
    }
  }
}

std::string EncodeFlexibilityPayload(const core::FlexScenario& scenario, const std::vector<core::FlexInterval>& horizon,
                                     absl::Time computed_at) {
  v1::Event event;
  v1::FlexibilityUpdate* u = event.mutable_flexibility();
  u->set_pcc_id(scenario.model.pcc_id);
  ToProto(computed_at, u->mutable_computed_at());
  u->set_interval_minutes(static_cast<int32_t>(absl::ToInt64Minutes(scenario.interval)));
  std::string note;
  const bool breakdown = core::BreakdownAllowed(scenario.model, &note);
  u->set_breakdown_note(note);
  for (const core::FlexInterval& f : horizon) {
    const std::vector<core::ClassFlex> classes =
        breakdown ? core::ByClass(scenario.model, f) : std::vector<core::ClassFlex>{};
    ToProto(f, false, breakdown ? &classes : nullptr, u->add_intervals());
  }
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

}  // namespace tsodso::api
