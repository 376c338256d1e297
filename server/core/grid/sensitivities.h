// Linearised sensitivities of a radial network (LinDistFlow, Baran & Wu
// 1989): how bus voltages and branch flows move with P and Q injections,
// around an operating point. For fast screening; the AC power flow is the
// final word.
#pragma once

#include <vector>

#include "core/grid/grid_model.h"
#include "core/grid/power_flow.h"

namespace tsodso::core {

class Sensitivities {
 public:
  // Linearise at the operating point of `flow` (its voltages scale the
  // factors; recompute when the operating point moves).
  Sensitivities(const RadialGrid& grid, const PowerFlowResult& flow);

  // d|V_i| / dP_j and d|V_i| / dQ_j, in pu per MW and per Mvar of injection
  // (generator convention) at bus j.
  double VoltagePerMw(int bus_i, int bus_j) const;
  double VoltagePerMvar(int bus_i, int bus_j) const;
  // Change of the active (reactive) power flowing down branch k, in MW per
  // MW (Mvar per Mvar) injected at bus j: -1 when j lies below k, else 0.
  double FlowPerInjection(int branch_k, int bus_j) const;

 private:
  // Resistance and reactance (pu) of the path shared by the routes from the
  // slack to buses i and j.
  void SharedPath(int i, int j, double* r, double* x) const;

  const RadialGrid& grid_;
  std::vector<int> depth_;
  std::vector<double> r_to_slack_;  // pu
  std::vector<double> x_to_slack_;
  std::vector<double> v_;  // |V| at the operating point
  double base_mva_;
};

}  // namespace tsodso::core
