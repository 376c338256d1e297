// The networks the domain's tests run on, read with the domain's own grid
// reader, so that these tests need nothing of the daemon.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "core/grid/grid_model.h"
#include "core/pcc/pcc_network.h"

namespace tsodso::testing {

// Read the one *buses.csv and one *branches.csv of `dir` at `nominal_kv`,
// the first bus as slack (as the daemon does without a model.yaml).
absl::StatusOr<core::RadialGrid> LoadGridTables(const std::string& dir, double nominal_kv);

// PS Sud as config/grids/ps-sud/model.yaml describes it, behind its PCC
// transformer (a daemon-side test checks the two stay the same).
absl::StatusOr<core::RadialGrid> LoadPsSudGrid();

// PCC "PS_TEST" with a constant load of `mw` (unity power factor) and no
// DERs.
core::PccModel ConstantLoadModel(double mw);

// One 20 kV feeder S - A - B with 1 MW + 0.3 Mvar at A and at B, the line
// to B rated 60 A (about 2.1 MVA).
core::RadialGrid TinyGrid();

// TinyGrid as PS_TEST's network (a ConstantLoadModel(2) leaves its loads
// as they are).
core::PccNetwork TinyPccNetwork();

}  // namespace tsodso::testing
