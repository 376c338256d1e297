// Yearly shapes for DER classes with no measured profile, and the PCC load
// shape derived from a measured zonal load. Each is an assumption stated in
// docs/FLEXIBILITY.md.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "core/profiles/profile.h"

namespace tsodso::core {

// CHP dispatch (p.u.): heat-led, high in winter and low in summer:
// 0.55 + 0.35 cos(2 pi (day - 15) / 365), +0.08 from 06 to 22 UTC and
// -0.12 at night, clipped to [0, 1]. Summer nights fall below a 0.3
// technical minimum: the units are then off.
YearProfile ChpProfile(int year);

// Run-of-river availability (p.u.): follows water, highest at winter's end
// and lowest in early autumn: 0.5 + 0.35 cos(2 pi (day - 75) / 365).
YearProfile RunOfRiverProfile(int year);

// PCC load (p.u. of its peak) from a measured 15-minute load (CSV with
// utc_start and a load column): the shape divided by its maximum. Quarter
// hours the source lacks are taken from 40 weeks earlier or later (same
// weekday and time); the source's year gives the profile's year.
absl::StatusOr<YearProfile> LoadShapeFromMeasured(const std::string& csv, const std::string& source,
                                                  const std::string& column);

}  // namespace tsodso::core
