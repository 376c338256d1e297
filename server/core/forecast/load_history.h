// Where a PCC's measured load comes from: what forecasts learn from and what
// they are compared with.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/flexibility/engine.h"
#include "core/forecast/series.h"

namespace tsodso::core {

// A PCC's measured load (MW, consumption before DER injection) on the
// 15-minute grid, and a description of where it comes from for the
// forecasts' inputs (no file names: those stay with the DSO).
struct LoadHistory {
  Series series;
  std::string description;
};

// Return the load history of [from, to) of the scenario's PCC.
using LoadHistorySource =
    std::function<absl::StatusOr<LoadHistory>(const FlexScenario& scenario, absl::Time from, absl::Time to)>;

}  // namespace tsodso::core
