// The networks the domain's tests run on, read with the domain's own grid
// reader, so that these tests need nothing of the daemon.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "core/grid/grid_model.h"

namespace tsodso::testing {

// Read the one *buses.csv and one *branches.csv of `dir` at `nominal_kv`,
// the first bus as slack (as the daemon does without a model.yaml).
absl::StatusOr<core::RadialGrid> LoadGridTables(const std::string& dir, double nominal_kv);

// PS Sud as config/grids/ps-sud/model.yaml describes it, behind its PCC
// transformer (a daemon-side test checks the two stay the same).
absl::StatusOr<core::RadialGrid> LoadPsSudGrid();

}  // namespace tsodso::testing
