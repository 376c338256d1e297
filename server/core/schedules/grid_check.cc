#include "core/schedules/grid_check.h"

#include "core/flexibility/engine.h"
#include "core/grid/power_flow.h"
#include "core/validation/merit_order_list.h"

namespace tsodso::core {

std::vector<ScheduleBreach> ScheduleBreaches(const PccNetwork& network, const PccModel& model, const Schedule& schedule,
                                             const std::vector<int>& buses) {
  std::vector<ScheduleBreach> out;
  if (buses.empty()) return out;
  const double share = 1.0 / static_cast<double>(buses.size());
  for (const ScheduleValue& v : schedule.intervals) {
    GridState state = GridStateAt(network, model, v.start, schedule.resolution);
    // A limit the forecast breaks already is the DSO's to handle, not
    // something this schedule causes.
    if (LimitViolated(*network.grid, SolvePowerFlow(*network.grid, &state.injections), {}) != BidReason::kNone) {
      continue;
    }
    for (int bus : buses) {
      // Consumption positive in the schedule; injections positive here.
      state.injections[bus].p -= v.p_mw * share;
      state.injections[bus].q -= v.q_mvar.value_or(0) * share;
    }
    const BidReason reason = LimitViolated(*network.grid, SolvePowerFlow(*network.grid, &state.injections), {});
    if (reason != BidReason::kNone) out.push_back({v.start, reason});
  }
  return out;
}

std::vector<absl::Time> IspsOf(absl::Time start, absl::Duration resolution) {
  std::vector<absl::Time> out;
  for (absl::Time t = AlignDown(start, kIsp); t < start + resolution; t += kIsp) out.push_back(t);
  return out;
}

}  // namespace tsodso::core
