#include "core/flexibility/engine.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/common/time.h"

namespace tsodso::core {

DerCapability GroupCapability(const DerGroup& g, absl::Time start, absl::Duration step) {
  return Capability(g.der_class, DerState{g.profile ? g.profile(start + step / 2) : 0.0, absl::ToDoubleHours(step)});
}

PqPoint PccLoadAt(const PccModel& model, absl::Time start, absl::Duration step) {
  const absl::Time mid = start + step / 2;
  const double load_p = model.load_mw ? model.load_mw(mid) : 0.0;
  const double load_q =
      model.load_mvar ? model.load_mvar(mid) : load_p * std::sqrt(1 - model.load_pf * model.load_pf) / model.load_pf;
  return {load_p, load_q};
}

PqPoint BaselineOver(const PccBaseline& baseline, absl::Time start, absl::Duration step) {
  PqPoint sum{0, 0};
  if (step <= absl::ZeroDuration()) return sum;
  const absl::Time end = start + step;
  for (auto it = baseline.lower_bound(AlignDown(start, kIsp)); it != baseline.end() && it->first < end; ++it) {
    const absl::Duration overlap = std::min(end, it->first + kIsp) - std::max(start, it->first);
    if (overlap <= absl::ZeroDuration()) continue;
    const double weight = absl::FDivDuration(overlap, step);
    sum.p += it->second.p * weight;
    sum.q += it->second.q * weight;
  }
  return sum;
}

FlexInterval ComputeInterval(const PccModel& model, absl::Time start, absl::Duration step, bool with_area,
                             PqPoint scheduled) {
  FlexInterval out;
  out.start = start;
  out.end = start + step;

  // Sum of each group's region shifted to its operating point, in MW/Mvar,
  // generator convention: the changes of injection the DERs can make.
  ConvexPolygon shifts = ConvexPolygon::Hull({{0, 0}});
  double injection_p = 0;
  double injection_q = 0;
  for (const DerGroup& g : model.groups) {
    const DerCapability cap = GroupCapability(g, start, step);
    injection_p += cap.operating.p * g.sn_mva;
    injection_q += cap.operating.q * g.sn_mva;
    const ConvexPolygon shift = cap.region.ShiftedAndScaled(-cap.operating.p, -cap.operating.q, g.sn_mva);
    // The flexibility a DER offers is the distance from its operating point
    // to the edges of its region along each axis: P at the present Q, and
    // Q at the present P (most Q of a synchronous machine needs more P).
    GroupFlex gf;
    gf.name = g.name;
    gf.units = g.units;
    const Range p_range = RangeOnLine(shift, /*along_p=*/true, 0.0);
    const Range q_range = RangeOnLine(shift, /*along_p=*/false, 0.0);
    if (!p_range.empty()) {
      gf.p_up_mw = std::max(0.0, p_range.hi);
      gf.p_down_mw = std::max(0.0, -p_range.lo);
    }
    if (!q_range.empty()) {
      gf.q_up_mvar = std::max(0.0, q_range.hi);
      gf.q_down_mvar = std::max(0.0, -q_range.lo);
    }
    out.groups.push_back(gf);
    if (with_area) shifts = MinkowskiSum(shifts, shift);
  }
  const PqPoint load = PccLoadAt(model, start, step);
  out.scheduled = scheduled;
  out.operating = {load.p - injection_p + scheduled.p, load.q - injection_q + scheduled.q};
  // The PCC figures are the sums of the groups' distances; the area (which
  // also contains trades between groups) contains every such move.
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
                                       bool with_area, const PccBaseline* baseline) {
  std::vector<FlexInterval> out;
  if (step <= absl::ZeroDuration() || to <= from) return out;
  out.reserve(static_cast<size_t>((to - from) / step) + 1);
  for (absl::Time t = from; t < to; t += step) {
    const PqPoint scheduled = baseline != nullptr ? BaselineOver(*baseline, t, step) : PqPoint{0, 0};
    out.push_back(ComputeInterval(model, t, step, with_area, scheduled));
  }
  return out;
}

const FlexScenario* FlexCatalog::Find(const std::string& pcc_id, const std::string& scenario) const {
  auto p = by_pcc.find(pcc_id);
  if (p == by_pcc.end()) return nullptr;
  auto s = p->second.find(scenario.empty() ? kCurrentScenario : scenario);
  return s == p->second.end() ? nullptr : &s->second;
}

absl::Status ValidateFlexWindow(absl::Time from, absl::Time to, bool include_vertices) {
  const auto fmt = [](absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); };
  if (from == absl::UnixEpoch() || to == absl::UnixEpoch()) {
    return absl::InvalidArgumentError("from, to: both must be set");
  }
  if (to <= from) {
    return absl::InvalidArgumentError(absl::StrCat("to: ", fmt(to), " is not after from ", fmt(from)));
  }
  if (to - from > kMaxFlexWindow) {
    return absl::InvalidArgumentError(absl::StrCat("to: ", fmt(to), " is more than 366 days after from ", fmt(from)));
  }
  if (include_vertices && to - from > kMaxVertexWindow) {
    return absl::InvalidArgumentError(absl::StrCat(
        "include_vertices: vertices are given for at most 7 days; the window is ", absl::FormatDuration(to - from)));
  }
  return absl::OkStatus();
}

absl::Time AlignDown(absl::Time t, absl::Duration interval) {
  const int64_t s = absl::ToUnixSeconds(t);
  const int64_t step = absl::ToInt64Seconds(interval);
  int64_t r = s % step;
  if (r < 0) r += step;
  return absl::FromUnixSeconds(s - r);
}

ConvexPolygon PublishedArea(const ConvexPolygon& area, int directions) {
  std::vector<PqPoint> points;
  const auto& v = area.vertices();
  if (v.empty()) return area;
  for (int k = 0; k < directions; ++k) {
    const double a = 2 * M_PI * k / directions;
    const double dp = std::cos(a), dq = std::sin(a);
    size_t best = 0;
    for (size_t i = 1; i < v.size(); ++i) {
      if (dp * v[i].p + dq * v[i].q > dp * v[best].p + dq * v[best].q) best = i;
    }
    points.push_back(v[best]);
  }
  return ConvexPolygon::Hull(std::move(points));
}

bool BreakdownAllowed(const PccModel& model, std::string* note) {
  std::map<std::string, int> units;
  for (const DerGroup& g : model.groups) units[g.der_class.name] += g.units;
  for (const auto& [cls, n] : units) {
    if (n < model.min_units_for_breakdown) {
      if (note) {
        *note = absl::StrCat("per-class breakdown withheld: a class has fewer than ", model.min_units_for_breakdown,
                             " units behind this PCC; only the PCC aggregate is published");
      }
      return false;
    }
  }
  return true;
}

std::vector<ClassFlex> ByClass(const PccModel& model, const FlexInterval& interval) {
  std::map<std::string, ClassFlex> acc;
  for (size_t i = 0; i < model.groups.size() && i < interval.groups.size(); ++i) {
    ClassFlex& c = acc[model.groups[i].der_class.name];
    c.der_class = model.groups[i].der_class.name;
    c.p_up_mw += interval.groups[i].p_up_mw;
    c.p_down_mw += interval.groups[i].p_down_mw;
    c.q_up_mvar += interval.groups[i].q_up_mvar;
    c.q_down_mvar += interval.groups[i].q_down_mvar;
  }
  std::vector<ClassFlex> out;
  for (auto& [k, v] : acc) out.push_back(v);
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
