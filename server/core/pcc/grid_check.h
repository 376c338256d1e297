// Whether a schedule would take the DSO's network beyond a limit: each
// interval's forecast operating point with the portfolio's scheduled
// exchange added at its assets, by AC power flow.
#pragma once

#include <vector>

#include "core/pcc/pcc_network.h"
#include "core/schedules/schedule.h"
#include "core/validation/merit_order.h"

namespace tsodso::core {

struct ScheduleBreach {
  absl::Time start;  // the interval
  BidReason reason;  // kThermalLimit or kVoltageLimit
};

// Check every interval of `schedule`: the network at the PCC's forecast
// operating point (the scenario's profiles) with the schedule's P and Q
// (consumption positive) spread equally over `buses` (the portfolio's
// qualified assets) on top, the schedule being taken as a change from the
// forecast (which knows the DERs by class, not by portfolio). An interval
// is reported only when the schedule makes a limit break that the forecast
// alone keeps; limits are those of `limits`, margins included. No buses:
// nothing can be placed, nothing is reported.
std::vector<ScheduleBreach> ScheduleBreaches(const PccNetwork& network, const PccModel& model, const Schedule& schedule,
                                             const std::vector<int>& buses, const LimitOptions& limits = {});

}  // namespace tsodso::core
