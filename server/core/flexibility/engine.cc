#include "core/flexibility/engine.h"

#include <algorithm>
#include <cmath>

namespace tsodso::core {

FlexInterval ComputeInterval(const PccModel& model, absl::Time start, absl::Duration step, bool with_area) {
  FlexInterval out;
  out.start = start;
  out.end = start + step;
  const absl::Time mid = start + step / 2;
  const double hours = absl::ToDoubleHours(step);

  // Sum of each group's region shifted to its operating point, in MW/Mvar,
  // generator convention: the changes of injection the DERs can make.
  ConvexPolygon shifts = ConvexPolygon::Hull({{0, 0}});
  double injection_p = 0;
  double injection_q = 0;
  for (const DerGroup& g : model.groups) {
    const DerCapability cap = Capability(g.der_class, DerState{g.profile ? g.profile(mid) : 0.0, hours});
    injection_p += cap.operating.p * g.sn_mva;
    injection_q += cap.operating.q * g.sn_mva;
    const ConvexPolygon shift = cap.region.Translated(-cap.operating.p, -cap.operating.q).Scaled(g.sn_mva);
    GroupFlex gf;
    gf.name = g.name;
    gf.units = g.units;
    gf.p_up_mw = std::max(0.0, shift.MaxP());
    gf.p_down_mw = std::max(0.0, -shift.MinP());
    gf.q_up_mvar = std::max(0.0, shift.MaxQ());
    gf.q_down_mvar = std::max(0.0, -shift.MinQ());
    out.groups.push_back(gf);
    if (with_area) shifts = MinkowskiSum(shifts, shift);
  }
  const double load_p = model.load_mw ? model.load_mw(mid) : 0.0;
  const double load_q = load_p * std::sqrt(1 - model.load_pf * model.load_pf) / model.load_pf;
  out.operating = {load_p - injection_p, load_q - injection_q};
  // Support functions add under the Minkowski sum, so the extents follow
  // from the groups even when the polygon is not built.
  for (const GroupFlex& g : out.groups) {
    out.p_up_mw += g.p_up_mw;
    out.p_down_mw += g.p_down_mw;
    out.q_up_mvar += g.q_up_mvar;
    out.q_down_mvar += g.q_down_mvar;
  }
  // More injection is less import: the exchange moves opposite to the shift.
  if (with_area) out.area = shifts.Negated().Translated(out.operating.p, out.operating.q);
  return out;
}

std::vector<FlexInterval> ComputeRange(const PccModel& model, absl::Time from, absl::Time to, absl::Duration step,
                                       bool with_area) {
  std::vector<FlexInterval> out;
  if (step <= absl::ZeroDuration() || to <= from) return out;
  out.reserve(static_cast<size_t>((to - from) / step) + 1);
  for (absl::Time t = from; t < to; t += step) out.push_back(ComputeInterval(model, t, step, with_area));
  return out;
}

namespace {

Distribution Describe(std::vector<double> values, const std::vector<FlexInterval>& intervals, double threshold) {
  Distribution d;
  if (values.empty()) return d;
  double sum = 0, day = 0, night = 0;
  size_t n_day = 0, n_night = 0, above = 0;
  std::map<int, std::pair<double, int>> months;
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    sum += v;
    if (v >= threshold) ++above;
    const absl::CivilHour h = absl::ToCivilHour(intervals[i].start, absl::UTCTimeZone());
    if (h.hour() >= 6 && h.hour() < 18) {
      day += v;
      ++n_day;
    } else {
      night += v;
      ++n_night;
    }
    auto& m = months[h.month()];
    m.first += v;
    m.second += 1;
  }
  d.mean = sum / values.size();
  d.day_mean = n_day ? day / n_day : 0;
  d.night_mean = n_night ? night / n_night : 0;
  d.share_at_least = static_cast<double>(above) / values.size();
  for (const auto& [month, acc] : months) d.monthly_mean[month] = acc.first / acc.second;
  std::sort(values.begin(), values.end());
  auto pct = [&](double p) {
    const double pos = p * (values.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (pos - lo) * (values[hi] - values[lo]);
  };
  d.min = values.front();
  d.max = values.back();
  d.p5 = pct(0.05);
  d.p50 = pct(0.5);
  d.p95 = pct(0.95);
  return d;
}

}  // namespace

FlexSummary Summarize(const std::vector<FlexInterval>& intervals, double threshold) {
  FlexSummary s;
  s.intervals = intervals.size();
  std::vector<double> pu, pd, qu, qd;
  for (const FlexInterval& f : intervals) {
    pu.push_back(f.p_up_mw);
    pd.push_back(f.p_down_mw);
    qu.push_back(f.q_up_mvar);
    qd.push_back(f.q_down_mvar);
  }
  s.p_up = Describe(std::move(pu), intervals, threshold);
  s.p_down = Describe(std::move(pd), intervals, threshold);
  s.q_up = Describe(std::move(qu), intervals, threshold);
  s.q_down = Describe(std::move(qd), intervals, threshold);
  return s;
}

}  // namespace tsodso::core
