// The limits a network state must keep: every bus voltage within its band
// and every branch within its rating, both less the security margins the
// DSO keeps for what its model and forecasts miss, and each with a
// tolerance so that a state computed on the limit is not refused for
// rounding.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/grid/grid_model.h"
#include "core/grid/power_flow.h"

namespace tsodso::core {

// What a DSO keeps free: 2 % of every thermal rating and 0.005 pu inside
// each end of every voltage band.
inline constexpr double kDefaultThermalMargin = 0.02;  // share of a rating
inline constexpr double kDefaultVoltageMarginPu = 0.005;

inline constexpr double kDefaultVoltageTolerancePu = 1e-4;
inline constexpr double kDefaultLoadingTolerance = 1e-3;  // share of a rating

// The part of each limit a state may not use.
struct SecurityMargins {
  double thermal = kDefaultThermalMargin;       // share of a rating
  double voltage_pu = kDefaultVoltageMarginPu;  // inside each end of a band
};

// The limits as a state is judged against them: a branch may carry up to
// (1 - margins.thermal) of its rating, a bus voltage may reach its band
// narrowed by margins.voltage_pu at each end; the tolerances allow a state
// computed on those limits to pass.
struct LimitOptions {
  SecurityMargins margins;
  double voltage_tolerance_pu = kDefaultVoltageTolerancePu;
  double loading_tolerance = kDefaultLoadingTolerance;  // share of a rating

  // Return the highest loading (current / rating) a state may reach,
  // tolerance aside.
  double LoadingLimit() const { return 1 - margins.thermal; }
  // Return the ends of the bus's band a voltage may reach, tolerance aside.
  double VMin(const Bus& bus) const { return bus.v_min_pu + margins.voltage_pu; }
  double VMax(const Bus& bus) const { return bus.v_max_pu - margins.voltage_pu; }
};

// Return options of type `Options` (LimitOptions or a struct made from it)
// with `margins` and every other field at its default.
template <typename Options = LimitOptions>
Options WithMargins(const SecurityMargins& margins) {
  Options o;
  o.margins = margins;
  return o;
}

// Check that margins and tolerances are finite and >= 0, that the thermal
// margin is below 1 and that the voltage margin leaves some of every band
// of `model` open; errors name the value.
absl::Status CheckLimitOptions(const LimitOptions& options, const GridModel& model);

// The class of limit a state breaks; voltage comes first where both break.
enum class LimitClass { kNone, kThermal, kVoltage };

// Return the class that comes first of the two (voltage, then thermal).
inline LimitClass Worse(LimitClass a, LimitClass b) {
  if (a == LimitClass::kVoltage || b == LimitClass::kVoltage) return LimitClass::kVoltage;
  return a != LimitClass::kNone ? a : b;
}

// Whether `v_pu` lies outside the bus's band less its margin, widened by
// the tolerance.
inline bool VoltageOutsideBand(const Bus& bus, double v_pu, const LimitOptions& o) {
  return v_pu < o.VMin(bus) - o.voltage_tolerance_pu || v_pu > o.VMax(bus) + o.voltage_tolerance_pu;
}

// Whether a loading (current / rating) exceeds the rating less its margin,
// with the tolerance.
inline bool Overloaded(double loading, const LimitOptions& o) {
  return loading > o.LoadingLimit() + o.loading_tolerance;
}

// Return which class of limit the power flow breaks (voltage first); a
// flow that did not solve is a voltage collapse.
LimitClass LimitViolated(const RadialGrid& grid, const absl::StatusOr<PowerFlowResult>& flow,
                         const LimitOptions& options = {});

}  // namespace tsodso::core
