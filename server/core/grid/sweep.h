// The radial backward/forward sweep: the one AC power flow kernel, run on
// the whole network (SolvePowerFlow) and on parts of it with the rest held
// as equivalents (SectionedFlow).
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>
#include <span>
#include <vector>

#include "core/grid/grid_model.h"
#include "core/grid/power_flow.h"

namespace tsodso::core {

struct SweepResult {
  int iterations = 0;  // sweeps run
  bool converged = false;
};

// Solve the voltages of `buses` by backward/forward sweep from a flat
// start. `buses[0]` is the source, held at its voltage in `v`; every other
// bus's parent comes before it in the list. `draw(bus, v_bus)` returns the
// current the bus draws at voltage `v_bus` (pu, conj(S / V)), anything the
// sweep does not cover that hangs from it included. On return `v` holds the
// voltages and `current` the current of each bus's branch to its parent
// (for the source: all it supplies). The backward pass adds each bus's
// current into its parent's in the reverse order of `buses`, so a caller
// fixes the summation order by the order it lists the buses in. Stops when
// no voltage moves by `tolerance_pu` any more, or when one is not finite.
template <typename Draw>
SweepResult Sweep(const RadialGrid& grid, std::span<const int> buses, const PowerFlowOptions& options, Draw&& draw,
                  std::vector<std::complex<double>>& v, std::vector<std::complex<double>>& current) {
  using C = std::complex<double>;
  const C source = v[buses[0]];
  for (int b : buses) v[b] = source;
  SweepResult r;
  for (r.iterations = 1; r.iterations <= options.max_iterations; ++r.iterations) {
    for (int b : buses) current[b] = draw(b, v[b]);
    // Backward: each branch carries its bus's current and everything below.
    for (size_t k = buses.size(); k-- > 1;) current[grid.parent(buses[k])] += current[buses[k]];
    // Forward: voltages drop from the source outwards.
    double change = 0;
    for (size_t k = 1; k < buses.size(); ++k) {
      const int b = buses[k];
      const C x = v[grid.parent(b)] - grid.branch_z_pu(grid.parent_branch(b)) * current[b];
      change = std::max(change, std::abs(x - v[b]));
      v[b] = x;
    }
    if (!std::isfinite(change)) break;
    if (change < options.tolerance_pu) {
      r.converged = true;
      break;
    }
  }
  return r;
}

}  // namespace tsodso::core
