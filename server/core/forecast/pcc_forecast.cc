#include "core/forecast/pcc_forecast.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/common/time.h"
#include "core/grid/power_flow.h"

namespace tsodso::core {
namespace {

// The value of sorted `v` at quantile q (linear between order statistics).
double Quantile(std::vector<double>& v, double q) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// The group's per-unit state at the same time of day on the days around
// the target: its climatological P10/P50/P90 (the typical year stands in
// for a weather forecast).
Band ClimateBand(const DerGroup& g, absl::Time mid, int days) {
  if (!g.profile) return {};
  std::vector<double> values;
  for (int d = -days; d <= days; ++d) values.push_back(g.profile(mid + absl::Hours(24 * d)));
  return {Quantile(values, 0.1), Quantile(values, 0.5), Quantile(values, 0.9)};
}

// The model with a constant load and every group at one quantile of its
// band (0: p10, 1: p50, 2: p90).
PccModel AtState(const PccModel& model, double load_mw, double load_q_per_p, const std::vector<Band>& bands,
                 int which) {
  PccModel m = model;
  m.load_mw = [load_mw](absl::Time) { return load_mw; };
  m.load_mvar = [q = load_mw * load_q_per_p](absl::Time) { return q; };
  for (size_t i = 0; i < m.groups.size(); ++i) {
    const double u = which == 0 ? bands[i].p10 : which == 1 ? bands[i].p50 : bands[i].p90;
    m.groups[i].profile = [u](absl::Time) { return u; };
  }
  return m;
}

// Whether the network at this state comes near a limit, and which.
absl::StatusOr<Light> Outlook(const PccNetwork& net, const PccModel& stressed, absl::Time start,
                              const PccForecastOptions& options, const std::vector<PlacedBaseline>& placed) {
  GridState state = GridStateAt(net, stressed, start, kIsp);
  for (const auto& [bus, injection] : ScheduledInjections(placed, start, kIsp)) {
    state.injections[static_cast<size_t>(bus)].p += injection.p;
    state.injections[static_cast<size_t>(bus)].q += injection.q;
  }
  auto flow = SolvePowerFlow(*net.grid, &state.injections);
  if (!flow.ok()) {
    // A state the sweep cannot solve is far beyond any limit.
    return Light{LightState::kYellow, LightReason::kVoltageLimit};
  }
  const auto& buses = net.grid->model().buses;
  for (size_t i = 0; i < buses.size(); ++i) {
    const double v = std::abs(flow->v_pu[i]);
    if (v <= options.limits.VMin(buses[i]) + options.outlook_voltage_margin_pu ||
        v >= options.limits.VMax(buses[i]) - options.outlook_voltage_margin_pu) {
      return Light{LightState::kYellow, LightReason::kVoltageLimit};
    }
  }
  for (double loading : flow->branch_loading) {
    if (loading >= options.outlook_loading * options.limits.LoadingLimit())
      return Light{LightState::kYellow, LightReason::kThermalLimit};
  }
  return Light{};
}

}  // namespace

Series LoadHistoryFromModel(const PccModel& model, absl::Time from, absl::Time to) {
  Series s;
  s.start = AlignDown(from, kIsp);
  s.step = kIsp;
  for (absl::Time t = s.start; t < to; t += kIsp) s.values.push_back(PccLoadAt(model, t, kIsp).p);
  return s;
}

absl::StatusOr<std::vector<PccForecastInterval>> ForecastPcc(const PccModel& model, const Series& load_history,
                                                             const PccBaseline& baseline, const PccNetwork* network,
                                                             absl::Time issued_at, absl::Time from, absl::Time to,
                                                             ForecastKind kind, const absl::TimeZone& zone,
                                                             const PccForecastOptions& options,
                                                             const std::vector<PlacedBaseline>& placed) {
  auto load = ForecastLoad(load_history, issued_at, from, to, kind, options.method, zone);
  if (!load.ok()) return load.status();
  std::vector<PccForecastInterval> out;
  out.reserve(load->size());
  for (const QuantilePoint& l : *load) {
    const absl::Time start = l.start;
    const absl::Time mid = start + kIsp / 2;
    std::vector<Band> bands;
    for (const DerGroup& g : model.groups) bands.push_back(ClimateBand(g, mid, options.climate_days));
    // The load's reactive part keeps the model's ratio at that time.
    const PqPoint model_load = PccLoadAt(model, start, kIsp);
    const double q_per_p = model_load.p != 0 ? model_load.q / model_load.p : 0.0;
    const PqPoint scheduled = BaselineOver(baseline, start, kIsp);

    const FlexInterval low = ComputeInterval(AtState(model, l.p50, q_per_p, bands, 0), start, kIsp, false, scheduled);
    const FlexInterval med = ComputeInterval(AtState(model, l.p50, q_per_p, bands, 1), start, kIsp, false, scheduled);
    const FlexInterval high = ComputeInterval(AtState(model, l.p50, q_per_p, bands, 2), start, kIsp, false, scheduled);

    PccForecastInterval f;
    f.start = start;
    f.end = start + kIsp;
    f.scheduled = scheduled;
    // Less production (low state) means more import: the exchange's upper
    // side takes the DERs' low state.
    auto combine = [](double mid_value, double load_up, double load_down, double der_up, double der_down) {
      return Band{mid_value - std::hypot(load_down, der_down), mid_value, mid_value + std::hypot(load_up, der_up)};
    };
    f.p_mw = combine(med.operating.p, l.p90 - l.p50, l.p50 - l.p10, std::max(0.0, low.operating.p - med.operating.p),
                     std::max(0.0, med.operating.p - high.operating.p));
    f.q_mvar = combine(med.operating.q, (l.p90 - l.p50) * std::abs(q_per_p), (l.p50 - l.p10) * std::abs(q_per_p),
                       std::abs(low.operating.q - med.operating.q), std::abs(med.operating.q - high.operating.q));
    auto spread = [](double a, double b, double c) { return Band{std::min({a, b, c}), b, std::max({a, b, c})}; };
    f.p_up_mw = spread(low.p_up_mw, med.p_up_mw, high.p_up_mw);
    f.p_down_mw = spread(low.p_down_mw, med.p_down_mw, high.p_down_mw);
    f.q_up_mvar = spread(low.q_up_mvar, med.q_up_mvar, high.q_up_mvar);
    f.q_down_mvar = spread(low.q_down_mvar, med.q_down_mvar, high.q_down_mvar);

    if (network != nullptr) {
      // High load with little production, and little load with much.
      for (const PccModel& stressed :
           {AtState(model, l.p90, q_per_p, bands, 0), AtState(model, l.p10, q_per_p, bands, 2)}) {
        auto light = Outlook(*network, stressed, start, options, placed);
        if (!light.ok()) return light.status();
        if (light->state != LightState::kGreen && f.outlook.state == LightState::kGreen) f.outlook = *light;
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace tsodso::core
