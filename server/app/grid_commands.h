// `tsodso-gatewayd grid ...`: what a DSO engineer runs after importing a
// network model.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "core/grid/grid_model.h"
#include "core/grid/synthesize.h"
#include "core/pcc/pcc_network.h"

namespace tsodso::app {

// Print losses, the lowest voltage and its bus, the most loaded branch.
int GridCheck(const std::string& dir, double nominal_kv);

// Write `model` into out_dir as model.yaml, buses.csv and branches.csv.
absl::Status WriteGrid(const core::GridModel& model, const std::string& out_dir);

// Replicate a test feeder into a synthetic network and write it.
int GridSynthesize(const std::string& from_dir, double from_kv, const core::SynthesisOptions& options,
                   const std::string& out_dir);

}  // namespace tsodso::app
