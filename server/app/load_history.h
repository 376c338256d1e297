// Where a PCC's measured load comes from: the DSO's metered history file
// (re-read when it changes; short gaps interpolated, longer ones left
// missing and reported), or, without one, the scenario's load profile.
#pragma once

#include "app/config.h"
#include "core/flexibility/sources.h"

namespace tsodso::app {

core::LoadHistorySource MakeLoadHistorySource(const ForecastConfig& config);

}  // namespace tsodso::app
