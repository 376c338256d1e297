// The DSO's network models as the daemon loads them at start-up: model
// directories, DER placement and the DER registry, read into the domain's
// types and checked against the flexibility scenarios.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "core/flexibility/engine.h"
#include "core/grid/grid_model.h"
#include "core/pcc/pcc_network.h"

namespace tsodso::app {

// Read a model directory: model.yaml (name, buses, branches, nominal_kv,
// slack_bus, slack_voltage_pu, base_mva, v_min_pu, v_max_pu), or else the
// one *buses.csv and one *branches.csv in it, at `nominal_kv` with the
// first bus as slack.
// With `transformer: {rating_mva, r_pct, x_pct}` the PCC transformer is
// modelled between a new slack bus "<busbar>-HV" and the MV busbar.
absl::StatusOr<core::RadialGrid> LoadGrid(const std::string& dir, double nominal_kv);

// Load the network of each PCC (PCC id -> model directory) with its DER
// placement (model.yaml `der_placement`: group, bus, share), checked against
// every flexibility scenario of the PCC, and its DER registry (`resources`:
// resource_id, bus, type, sn_mva, p_min_mw, p_max_mw, q_min_mvar,
// q_max_mvar). Errors name the file, row and field. Every network is held
// to `margins`, which must leave some of each voltage band open.
absl::StatusOr<core::GridCatalog> LoadGridCatalog(const std::map<std::string, std::string>& model_dirs,
                                                  const core::FlexCatalog& flex,
                                                  const core::SecurityMargins& margins = {});

// Check that every PCC with a network has a current flexibility scenario
// (its operating point) and that every scenario has its DER groups placed
// (also when the scenarios are reloaded).
absl::Status CheckPlacements(const core::GridCatalog& grids, const core::FlexCatalog& flex);

}  // namespace tsodso::app
