#include "core/pcc/grid_check.h"

#include "core/grid/limits.h"
#include "core/grid/power_flow.h"

namespace tsodso::core {

std::vector<ScheduleBreach> ScheduleBreaches(const PccNetwork& network, const PccModel& model, const Schedule& schedule,
                                             const std::vector<int>& buses, const LimitOptions& limits) {
  std::vector<ScheduleBreach> out;
  if (buses.empty()) return out;
  const double share = 1.0 / static_cast<double>(buses.size());
  for (const ScheduleValue& v : schedule.intervals) {
    GridState state = GridStateAt(network, model, v.start, schedule.resolution);
    // A limit the forecast breaks already is the DSO's to handle, not
    // something this schedule causes.
    if (LimitViolated(*network.grid, SolvePowerFlow(*network.grid, &state.injections), limits) != LimitClass::kNone) {
      continue;
    }
    for (int bus : buses) {
      // Consumption positive in the schedule; injections positive here.
      state.injections[bus].p -= v.p_mw * share;
      state.injections[bus].q -= v.q_mvar.value_or(0) * share;
    }
    const BidReason reason =
        BidReasonOf(LimitViolated(*network.grid, SolvePowerFlow(*network.grid, &state.injections), limits));
    if (reason != BidReason::kNone) out.push_back({v.start, reason});
  }
  return out;
}

}  // namespace tsodso::core
