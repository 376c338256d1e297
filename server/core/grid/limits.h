// The limits a network state must keep: every bus voltage within its band
// and every branch within its rating, each with a tolerance so that a
// state computed on the limit is not refused for rounding.
#pragma once

#include "absl/status/statusor.h"
#include "core/grid/grid_model.h"
#include "core/grid/power_flow.h"

namespace tsodso::core {

inline constexpr double kDefaultVoltageTolerancePu = 1e-4;
inline constexpr double kDefaultLoadingTolerance = 1e-3;  // share of a rating

struct LimitTolerances {
  double voltage_tolerance_pu = kDefaultVoltageTolerancePu;
  double loading_tolerance = kDefaultLoadingTolerance;  // share of a rating
};

// The class of limit a state breaks; voltage comes first where both break.
enum class LimitClass { kNone, kThermal, kVoltage };

// Return the class that comes first of the two (voltage, then thermal).
inline LimitClass Worse(LimitClass a, LimitClass b) {
  if (a == LimitClass::kVoltage || b == LimitClass::kVoltage) return LimitClass::kVoltage;
  return a != LimitClass::kNone ? a : b;
}

// Whether `v_pu` lies outside the bus's band widened by the tolerance.
inline bool VoltageOutsideBand(const Bus& bus, double v_pu, const LimitTolerances& t) {
  return v_pu < bus.v_min_pu - t.voltage_tolerance_pu || v_pu > bus.v_max_pu + t.voltage_tolerance_pu;
}

// Whether a loading (current / rating) exceeds the rating with its
// tolerance.
inline bool Overloaded(double loading, const LimitTolerances& t) { return loading > 1 + t.loading_tolerance; }

// Return which class of limit the power flow breaks (voltage first); a
// flow that did not solve is a voltage collapse.
LimitClass LimitViolated(const RadialGrid& grid, const absl::StatusOr<PowerFlowResult>& flow,
                         const LimitTolerances& tolerances = {});

}  // namespace tsodso::core
