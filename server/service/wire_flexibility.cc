// The v1 form of flexibility and forecasts: intervals, areas (their
// published hulls only), grid-limited figures and the events that carry
// them.
#include "service/wire.h"

namespace tsodso::service {

namespace {

// Only the published hull of an area leaves the gateway.
void AddPublishedVertices(const core::ConvexPolygon& area, google::protobuf::RepeatedPtrField<v1::PqPoint>* out) {
  const core::ConvexPolygon published = core::PublishedArea(area);
  for (const core::PqPoint& v : published.vertices()) {
    v1::PqPoint* p = out->Add();
    p->set_p_mw(v.p);
    p->set_q_mvar(v.q);
  }
}

}  // namespace

void ToProto(const core::FlexInterval& f, bool with_vertices, const std::vector<core::ClassFlex>* by_class,
             v1::FlexibilityInterval* out) {
  ToProto(f.start, out->mutable_start());
  ToProto(f.end, out->mutable_end());
  out->mutable_operating_point()->set_p_mw(f.operating.p);
  out->mutable_operating_point()->set_q_mvar(f.operating.q);
  if (f.scheduled.p != 0 || f.scheduled.q != 0) {
    out->mutable_scheduled()->set_p_mw(f.scheduled.p);
    out->mutable_scheduled()->set_q_mvar(f.scheduled.q);
  }
  out->set_p_up_mw(f.p_up_mw);
  out->set_p_down_mw(f.p_down_mw);
  out->set_q_up_mvar(f.q_up_mvar);
  out->set_q_down_mvar(f.q_down_mvar);
  if (with_vertices) AddPublishedVertices(f.area, out->mutable_vertices());
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

void ToProto(const core::GridLimitedFlex& grid, bool with_vertices, v1::GridLimitedFlexibility* out) {
  out->set_operating_point_within_limits(grid.within_limits);
  out->set_p_up_mw(grid.p_up_mw);
  out->set_p_down_mw(grid.p_down_mw);
  out->set_q_up_mvar(grid.q_up_mvar);
  out->set_q_down_mvar(grid.q_down_mvar);
  if (with_vertices) AddPublishedVertices(grid.area, out->mutable_vertices());
}

std::string EncodeFlexibilityPayload(const core::FlexScenario& scenario, const std::vector<core::FlexInterval>& horizon,
                                     absl::Time computed_at,
                                     const std::vector<std::optional<core::GridLimitedFlex>>* grid, bool grid_pending) {
  v1::Event event;
  v1::FlexibilityUpdate* u = event.mutable_flexibility();
  u->set_pcc_id(scenario.model.pcc_id);
  u->set_grid_limited_pending(grid_pending);
  ToProto(computed_at, u->mutable_computed_at());
  u->set_interval_minutes(static_cast<int32_t>(absl::ToInt64Minutes(scenario.interval)));
  std::string note;
  const bool breakdown = core::BreakdownAllowed(scenario.model, &note);
  u->set_breakdown_note(note);
  for (size_t i = 0; i < horizon.size(); ++i) {
    const std::vector<core::ClassFlex> classes =
        breakdown ? core::ByClass(scenario.model, horizon[i]) : std::vector<core::ClassFlex>{};
    v1::FlexibilityInterval* out = u->add_intervals();
    ToProto(horizon[i], false, breakdown ? &classes : nullptr, out);
    if (grid != nullptr && i < grid->size() && (*grid)[i].has_value()) {
      ToProto(*(*grid)[i], false, out->mutable_grid_limited());
    }
  }
  return DeterministicBytes(event);
}

namespace {
void ToProto(const core::Band& band, v1::Quantiles* out) {
  out->set_p10(band.p10);
  out->set_p50(band.p50);
  out->set_p90(band.p90);
}
}  // namespace

void ToProto(const core::PccForecastInterval& f, v1::ForecastInterval* out) {
  ToProto(f.start, out->mutable_start());
  ToProto(f.end, out->mutable_end());
  ToProto(f.p_mw, out->mutable_p_mw());
  ToProto(f.q_mvar, out->mutable_q_mvar());
  ToProto(f.p_up_mw, out->mutable_p_up_mw());
  ToProto(f.p_down_mw, out->mutable_p_down_mw());
  ToProto(f.q_up_mvar, out->mutable_q_up_mvar());
  ToProto(f.q_down_mvar, out->mutable_q_down_mvar());
  out->set_scheduled_p_mw(f.scheduled.p);
  out->set_scheduled_q_mvar(f.scheduled.q);
  out->set_outlook(static_cast<v1::TrafficLightState>(f.outlook.state));
  out->set_outlook_reason(static_cast<v1::TrafficLightReason>(f.outlook.reason));
}

std::string EncodeForecastPayload(const v1::Forecast& forecast) {
  v1::Event event;
  *event.mutable_forecast() = forecast;
  return DeterministicBytes(event);
}

void ToProto(const FlexView& view, bool with_vertices, v1::GetFlexibilityResponse* out) {
  out->set_scenario(view.scenario);
  out->set_interval_minutes(static_cast<int32_t>(absl::ToInt64Minutes(view.interval)));
  out->set_breakdown_note(view.breakdown_note);
  for (const FlexViewInterval& i : view.intervals) {
    v1::FlexibilityInterval* interval = out->add_intervals();
    ToProto(i.flex, with_vertices, view.breakdown ? &i.by_class : nullptr, interval);
    if (i.grid_limited) ToProto(*i.grid_limited, with_vertices, interval->mutable_grid_limited());
  }
}

}  // namespace tsodso::service
