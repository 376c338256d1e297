// AC power flow of a radial network by backward/forward sweep.
#pragma once

#include <complex>
#include <vector>

#include "absl/status/statusor.h"
#include "core/capability/polygon.h"
#include "core/grid/grid_model.h"

namespace tsodso::core {

struct PowerFlowOptions {
  double tolerance_pu = 1e-9;  // largest voltage change between sweeps
  int max_iterations = 100;
};

struct PowerFlowResult {
  int iterations = 0;
  std::vector<std::complex<double>> v_pu;  // per bus (model order)
  std::vector<double> branch_current_a;    // per branch (0 when out of service)
  std::vector<double> branch_loading;      // current / rating; 0 without a rating
  // Per branch: the complex power entering it at the end nearer the slack
  // (MW, Mvar; 0 when out of service).
  std::vector<std::complex<double>> branch_flow_mva;
  double loss_p_mw = 0;
  double loss_q_mvar = 0;
  std::complex<double> slack_mva;  // supplied through the slack (import positive)
  int min_v_bus = 0;
  double min_v_pu = 0;
  int max_v_bus = 0;
  double max_v_pu = 0;
  int max_current_branch = -1;
  int max_loading_branch = -1;  // -1 when no branch has a rating
};

// Solve with the model's loads minus `injections` (per bus, MW / Mvar,
// generator convention; may be null). Loads are constant power. Fails
// (FAILED_PRECONDITION) when the sweep does not converge: never returns an
// unconverged state.
absl::StatusOr<PowerFlowResult> SolvePowerFlow(const RadialGrid& grid, const std::vector<PqPoint>* injections,
                                               const PowerFlowOptions& options = {});

}  // namespace tsodso::core
