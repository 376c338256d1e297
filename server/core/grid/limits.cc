#include "core/grid/limits.h"

#include <cmath>

namespace tsodso::core {

LimitClass LimitViolated(const RadialGrid& grid, const absl::StatusOr<PowerFlowResult>& flow,
                         const LimitTolerances& tolerances) {
  if (!flow.ok()) return LimitClass::kVoltage;  // no solution: voltage collapse
  const GridModel& m = grid.model();
  for (size_t i = 0; i < m.buses.size(); ++i) {
    if (VoltageOutsideBand(m.buses[i], std::abs(flow->v_pu[i]), tolerances)) return LimitClass::kVoltage;
  }
  for (double loading : flow->branch_loading) {
    if (Overloaded(loading, tolerances)) return LimitClass::kThermal;
  }
  return LimitClass::kNone;
}

}  // namespace tsodso::core
