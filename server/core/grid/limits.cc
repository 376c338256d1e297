#include "core/grid/limits.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tsodso::core {

absl::Status CheckLimitOptions(const LimitOptions& o, const GridModel& model) {
  const SecurityMargins& m = o.margins;
  if (!std::isfinite(m.thermal) || m.thermal < 0 || m.thermal >= 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("thermal margin: ", m.thermal, " must be a share of a rating, >= 0 and < 1"));
  }
  if (!std::isfinite(m.voltage_pu) || m.voltage_pu < 0) {
    return absl::InvalidArgumentError(absl::StrCat("voltage margin: ", m.voltage_pu, " pu must be finite and >= 0"));
  }
  for (const Bus& bus : model.buses) {
    if (o.VMin(bus) >= o.VMax(bus)) {
      return absl::InvalidArgumentError(absl::StrCat("voltage margin: ", m.voltage_pu, " pu at each end closes bus ",
                                                     bus.id, "'s band [", bus.v_min_pu, ", ", bus.v_max_pu, "] pu"));
    }
  }
  if (!std::isfinite(o.voltage_tolerance_pu) || o.voltage_tolerance_pu < 0 || !std::isfinite(o.loading_tolerance) ||
      o.loading_tolerance < 0) {
    return absl::InvalidArgumentError(absl::StrCat("tolerances (", o.voltage_tolerance_pu, " pu, ", o.loading_tolerance,
                                                   ") must be finite and >= 0"));
  }
  return absl::OkStatus();
}

LimitClass LimitViolated(const RadialGrid& grid, const absl::StatusOr<PowerFlowResult>& flow,
                         const LimitOptions& options) {
  if (!flow.ok()) return LimitClass::kVoltage;  // no solution: voltage collapse
  const GridModel& m = grid.model();
  for (size_t i = 0; i < m.buses.size(); ++i) {
    if (VoltageOutsideBand(m.buses[i], std::abs(flow->v_pu[i]), options)) return LimitClass::kVoltage;
  }
  for (double loading : flow->branch_loading) {
    if (Overloaded(loading, options)) return LimitClass::kThermal;
  }
  return LimitClass::kNone;
}

}  // namespace tsodso::core
