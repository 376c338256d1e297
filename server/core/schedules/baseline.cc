#include "core/schedules/baseline.h"

#include <algorithm>
#include <map>
#include <string>

#include "core/common/time.h"

namespace tsodso::core {
namespace {

// Return the schedule's mean P/Q over [start, start + kIsp) and how
// much of the ISP it covers (0: not at all).
std::pair<PqPoint, absl::Duration> MeanOver(const Schedule& s, absl::Time start) {
  const absl::Time end = start + kIsp;
  PqPoint sum{0, 0};
  absl::Duration covered = absl::ZeroDuration();
  // Intervals are in time order: skip those that end before the ISP.
  auto first = std::partition_point(s.intervals.begin(), s.intervals.end(),
                                    [&](const ScheduleValue& v) { return v.start + s.resolution <= start; });
  for (auto it = first; it != s.intervals.end() && it->start < end; ++it) {
    const ScheduleValue& v = *it;
    const absl::Duration overlap = std::min(end, v.start + s.resolution) - std::max(start, v.start);
    if (overlap <= absl::ZeroDuration()) continue;
    covered += overlap;
    sum.p += v.p_mw * absl::FDivDuration(overlap, kIsp);
    sum.q += v.q_mvar.value_or(0.0) * absl::FDivDuration(overlap, kIsp);
  }
  if (covered <= absl::ZeroDuration()) return {sum, covered};
  // A partly covered ISP (a 5-minute schedule starting inside it) counts
  // at the mean of what is scheduled.
  const double scale = absl::FDivDuration(kIsp, covered);
  return {{sum.p * scale, sum.q * scale}, covered};
}

}  // namespace

PccBaseline AggregateBaseline(const std::vector<Schedule>& revisions, absl::Time from, absl::Time to) {
  // Per portfolio, its latest revision.
  std::map<std::string, const Schedule*> latest;
  for (const Schedule& s : revisions) {
    const Schedule*& current = latest[s.portfolio_id];
    if (current == nullptr || s.revision > current->revision) current = &s;
  }
  PccBaseline out;
  for (absl::Time isp = AlignDown(from, kIsp); isp < to; isp += kIsp) {
    for (const auto& [id, s] : latest) {
      const auto [mean, covered] = MeanOver(*s, isp);
      if (covered <= absl::ZeroDuration()) continue;
      PqPoint& total = out[isp];
      total.p += mean.p;
      total.q += mean.q;
    }
  }
  return out;
}

PccBaseline SumBaselines(const std::vector<PlacedBaseline>& portfolios) {
  PccBaseline sum;
  for (const PlacedBaseline& p : portfolios) {
    for (const auto& [isp, pq] : p.baseline) {
      sum[isp].p += pq.p;
      sum[isp].q += pq.q;
    }
  }
  return sum;
}

std::vector<std::pair<int, PqPoint>> ScheduledInjections(const std::vector<PlacedBaseline>& placed, absl::Time start,
                                                         absl::Duration step) {
  std::vector<std::pair<int, PqPoint>> out;
  for (const PlacedBaseline& p : placed) {
    if (p.buses.empty()) continue;
    const PqPoint pq = BaselineOver(p.baseline, start, step);
    if (pq.p == 0 && pq.q == 0) continue;
    const double share = 1.0 / static_cast<double>(p.buses.size());
    for (int bus : p.buses) out.push_back({bus, {-pq.p * share, -pq.q * share}});
  }
  return out;
}

}  // namespace tsodso::core
