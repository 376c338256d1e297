#include "cli/format.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"

namespace tsodso::cli {
namespace {

// Return the prefix up to the last '_' that every value name of `type`
// starts with ("TRAFFIC_LIGHT_STATE_"), as protobuf's style guide asks
// each enum's values to carry.
std::string CommonPrefix(const google::protobuf::EnumDescriptor& type) {
  if (type.value_count() == 0) return "";
  std::string prefix(type.value(0)->name());
  for (int i = 1; i < type.value_count(); ++i) {
    const std::string name(type.value(i)->name());
    size_t n = 0;
    while (n < prefix.size() && n < name.size() && prefix[n] == name[n]) ++n;
    prefix.resize(n);
  }
  const size_t underscore = prefix.rfind('_');
  return underscore == std::string::npos ? "" : prefix.substr(0, underscore + 1);
}

}  // namespace

std::string Json(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, opts);
  return out;
}

void PrintJson(const google::protobuf::Message& message) { std::cout << Json(message) << std::endl; }

std::string Time(const google::protobuf::Timestamp& ts) { return google::protobuf::util::TimeUtil::ToString(ts); }

std::string EnumLabel(const google::protobuf::EnumDescriptor& type, int value) {
  const google::protobuf::EnumValueDescriptor* found = type.FindValueByNumber(value);
  if (found == nullptr) return std::to_string(value);
  return std::string(found->name()).substr(CommonPrefix(type).size());
}

bool ParseEnumLabel(const google::protobuf::EnumDescriptor& type, const std::string& label, int* out) {
  const google::protobuf::EnumValueDescriptor* found = type.FindValueByName(CommonPrefix(type) + label);
  if (found == nullptr) return false;
  *out = found->number();
  return true;
}

std::string LightText(const v1::TrafficLight& light) {
  std::string out = EnumLabel(light.state());
  if (light.reason() != v1::TRAFFIC_LIGHT_REASON_UNSPECIFIED) out += " (" + EnumLabel(light.reason()) + ")";
  return out;
}

std::string Human(const v1::Event& e) {
  if (e.has_heartbeat()) return "heartbeat head_seq=" + std::to_string(e.heartbeat().head_seq());
  std::string line = "#" + std::to_string(e.seq()) + " " + Time(e.published_at()) + " " + EnumLabel(e.topic()) +
                     " pcc=" + (e.pcc_id().empty() ? "*" : e.pcc_id());
  if (e.has_notice()) {
    const v1::Notice& n = e.notice();
    line += " " + EnumLabel(n.severity()) + " \"" + n.text() + "\" valid " + Time(n.valid_from()) + " .. " +
            Time(n.valid_to()) + " by " + n.published_by();
  }
  if (e.has_flexibility() && e.flexibility().intervals_size() > 0) {
    const v1::FlexibilityUpdate& f = e.flexibility();
    const auto& first = f.intervals(0);
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        " %d intervals from %s; first: P %.2f MW Q %.2f Mvar, P up/down %.2f/%.2f MW, Q up/down %.2f/%.2f Mvar",
        f.intervals_size(), Time(first.start()).c_str(), first.operating_point().p_mw(),
        first.operating_point().q_mvar(), first.p_up_mw(), first.p_down_mw(), first.q_up_mvar(), first.q_down_mvar());
    line += buf;
    if (first.has_grid_limited()) {
      const v1::GridLimitedFlexibility& g = first.grid_limited();
      std::snprintf(buf, sizeof buf, "; grid-limited P up/down %.2f/%.2f MW, Q up/down %.2f/%.2f Mvar", g.p_up_mw(),
                    g.p_down_mw(), g.q_up_mvar(), g.q_down_mvar());
      line += g.operating_point_within_limits() ? buf : "; grid-limited: the operating point breaks a DSO limit";
    } else if (f.grid_limited_pending()) {
      line += "; grid-limited figures follow";
    }
  }
  if (e.has_bid_limits()) {
    const v1::MeritOrderValidation& m = e.bid_limits();
    int accepted = 0, limited = 0, rejected = 0;
    for (const auto& r : m.results()) {
      accepted += r.outcome() == v1::BID_OUTCOME_ACCEPTED;
      limited += r.outcome() == v1::BID_OUTCOME_LIMITED;
      rejected += r.outcome() == v1::BID_OUTCOME_REJECTED;
    }
    line += " validation " + m.validation_id() + " ISP " + Time(m.isp_start()) + " " + EnumLabel(m.direction()) + ": " +
            std::to_string(m.results_size()) + " bid(s), " + std::to_string(accepted) + " accepted, " +
            std::to_string(limited) + " limited, " + std::to_string(rejected) + " rejected";
  }
  if (e.has_receipt()) {
    const v1::ScheduleReceipt& r = e.receipt();
    line += " portfolio " + r.portfolio_id() + " revision " + std::to_string(r.revision()) + " " +
            EnumLabel(r.status()) + ", " + std::to_string(r.interval_count()) + " intervals " + Time(r.start()) +
            " .. " + Time(r.end());
  }
  if (e.has_forecast() && e.forecast().intervals_size() > 0) {
    const v1::Forecast& f = e.forecast();
    double lo = 1e300, hi = -1e300;
    for (const auto& i : f.intervals()) {
      lo = std::min(lo, i.p_mw().p10());
      hi = std::max(hi, i.p_mw().p90());
    }
    line += absl::StrFormat(" %s, %d intervals %s .. %s; P50 first %.2f MW, P10-P90 over all %.2f .. %.2f MW",
                            EnumLabel(f.kind()), f.intervals_size(), Time(f.intervals(0).start()),
                            Time(f.intervals().rbegin()->end()), f.intervals(0).p_mw().p50(), lo, hi);
  }
  if (e.has_curtailment()) {
    const v1::CurtailmentNotice& c = e.curtailment();
    line += " " + c.curtailment_id() + " " + Time(c.from()) + " .. " + Time(c.to()) + " by " + c.issued_by() + ": " +
            std::to_string(c.portfolios()) + " portfolio(s)";
    for (const auto& o : c.orders()) {
      line += o.has_max_injection_mw()
                  ? absl::StrFormat(", %s injection <= %.2f MW", o.portfolio_id(), o.max_injection_mw())
                  : absl::StrFormat(", %s at %.2f MW", o.portfolio_id(), o.setpoint_mw());
    }
    if (c.orders().empty()) line += absl::StrFormat(", caps %.2f MW in all", c.total_max_injection_mw());
    if (c.redelivery()) line += " (sent again: not yet acknowledged)";
    if (!c.text().empty()) line += " \"" + c.text() + "\"";
  }
  if (e.has_prequalification()) {
    const v1::AssetQualification& a = e.prequalification();
    line += " " + a.resource_id() + " of " + a.aggregator() + " " + EnumLabel(a.outcome());
    if (a.outcome() == v1::QUALIFICATION_OUTCOME_QUALIFIED) {
      line += absl::StrFormat(" until %s, %.2f .. %.2f MW", Time(a.valid_until()), a.p_min_mw(), a.p_max_mw());
    } else {
      line += " " + EnumLabel(a.reason());
    }
  }
  if (e.has_traffic_light()) {
    const v1::TrafficLight& l = e.traffic_light().light();
    line += " " + EnumLabel(e.traffic_light().previous_state()) + " -> " + LightText(l) + " for " + Time(l.start()) +
            " .. " + Time(l.end());
  }
  return line;
}

}  // namespace tsodso::cli
