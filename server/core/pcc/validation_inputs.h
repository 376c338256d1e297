// What the validation of a merit order list needs per PCC, drawn from the
// DSO's network catalog and the current flexibility scenarios.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "core/flexibility/engine.h"
#include "core/pcc/pcc_network.h"
#include "core/validation/merit_order_list.h"

namespace tsodso::core {

// Return what the validation of each PCC of the list needs: its network
// and the bus injections at the ISP's forecast operating point, from the
// PCC's current flexibility scenario. FAILED_PRECONDITION naming the bid
// when a PCC has no network model or no current scenario.
absl::StatusOr<std::map<std::string, PccValidationInput>> ValidationInputs(const CheckedMol& mol,
                                                                           const GridCatalog& grids,
                                                                           const FlexCatalog& flex);

}  // namespace tsodso::core
