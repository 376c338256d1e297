// DER classes and their grid-code capability regions in the P-Q plane.
//
// Regions are in per unit of the unit's rated apparent power Sn, in the
// generator convention (P > 0 injects active power, Q > 0 injects reactive
// power, i.e. over-excited / capacitive).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/capability/polygon.h"

namespace tsodso::core {

enum class DerKind {
  kInverter,         // PV, wind: P in [0, available], |Q| <= Sn sin(acos q_pf), |S| <= Sn
  kSynchronous,      // CHP, biomass: P in [p_min, Sn cos(phi_n)], Q between PF lines
  kRunOfRiverHydro,  // synchronous, but P cannot exceed what the water gives
  kStorage,          // four quadrants within Sn, P limited by state of charge
  kV2g,              // EV chargers that can discharge: four quadrants within the plugged-in share
  kEvCharging,       // EV chargers without V2G: a load between 0 and the plugged-in share
  kPolygon,          // a region given point by point (p.u.), e.g. from a connection agreement
};

const char* DerKindName(DerKind kind);
bool ParseDerKind(const std::string& text, DerKind* out);

struct DerClass {
  std::string name;  // e.g. "pv", "chp"
  DerKind kind = DerKind::kInverter;
  // Inverter: the power factor whose reactive share of Sn bounds |Q| at any
  // P, including P = 0 (CEI 0-16 / CEI 0-21: 0.9).
  double q_pf = 0.9;
  // Synchronous and hydro: technical minimum (p.u. of Sn) below which the
  // unit is offline and offers nothing, and rated power factor (P max =
  // Sn cos(phi_n)).
  double p_min_pu = 0.0;
  double rated_pf = 0.8;
  // Synchronous and hydro: Q from the under-excited line -P tan(acos
  // pf_under) to the over-excited line P tan(acos pf_over).
  double pf_over = 0.8;
  double pf_under = 0.98;
  // Storage: usable state-of-charge band and energy per Sn (hours).
  double soc_min = 0.1;
  double soc_max = 0.9;
  double energy_hours = 2.0;
  // EV and V2G: plugged-in share of chargers per unit of the average
  // charging share (a plugged car draws power part of the time).
  double plugged_per_charging = 2.0;
  // V2G: the chargers' grid converters offer Q within their rating whether
  // or not a car is plugged in, as a PV inverter does at zero P; P needs a
  // plugged-in car. False: P and Q within the plugged-in share.
  bool q_without_car = false;
  // Vertices of the polygon that approximates |S| <= Sn (inscribed).
  int circle_segments = 64;
  // Polygon kind: the region's vertices in order (p.u. of Sn, generator
  // convention); it must be convex and contain P = 0 or the operating P.
  std::vector<PqPoint> vertices;
};

// Check a class; the error names `source`, the class and the field.
absl::Status ValidateDerClass(const DerClass& c, const std::string& source);

// The state of a class in one interval, from its per-unit profile.
struct DerState {
  // Inverter: available P (p.u. of Sn). Hydro: water available and
  // synchronous: dispatch, both as a share of P max = Sn cos(phi_n) (below
  // p_min the unit is off). Storage: state of charge (0..1).
  // EV, V2G: average charging share of the chargers (0..1). Polygon: the
  // operating P (p.u.), kept within the region's P range.
  double profile = 0;
  double interval_hours = 0.25;
};

struct DerCapability {
  ConvexPolygon region;  // p.u., generator convention
  PqPoint operating;     // p.u., inside region
};

// Return the capability region and operating point of one unit of the
// class in the given state.
DerCapability Capability(const DerClass& c, const DerState& state);

}  // namespace tsodso::core
