// DER groups for unit tests of the flexibility engine and the forecasts.
#pragma once

#include "core/flexibility/engine.h"

namespace tsodso::testing {

// PV behind inverters (CEI 0-16: Q within a 0.9 power factor of Sn).
inline core::DerGroup PvGroup(double sn_mva, core::ProfileFn profile, int units = 100) {
  core::DerGroup g;
  g.name = "pv";
  g.der_class.name = "pv";
  g.der_class.kind = core::DerKind::kInverter;
  g.der_class.q_pf = 0.9;
  g.sn_mva = sn_mva;
  g.units = units;
  g.profile = std::move(profile);
  return g;
}

}  // namespace tsodso::testing
