#include "core/pcc/validation_inputs.h"

#include "absl/strings/str_cat.h"
#include "core/common/time.h"

namespace tsodso::core {

absl::StatusOr<std::map<std::string, PccValidationInput>> ValidationInputs(const CheckedMol& mol,
                                                                           const GridCatalog& grids,
                                                                           const FlexCatalog& flex) {
  std::map<std::string, PccValidationInput> out;
  for (size_t i = 0; i < mol.bids.size(); ++i) {
    const std::string& pcc = mol.bids[i].pcc_id;
    if (out.count(pcc)) continue;
    const PccNetwork* net = grids.Find(pcc);
    if (net == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat("bids[", i, "].pcc_id: the DSO has no network model for PCC '",
                                                        pcc, "'; its bids cannot be validated"));
    }
    const FlexScenario* scenario = flex.Find(pcc, kCurrentScenario);
    if (scenario == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat("bids[", i,
                                                        "].pcc_id: the DSO has no forecast operating point ",
                                                        "for PCC '", pcc, "'; its bids cannot be validated"));
    }
    out[pcc] = {net->grid.get(), GridStateAt(*net, scenario->model, mol.isp_start, kIsp).injections};
  }
  return out;
}

}  // namespace tsodso::core
