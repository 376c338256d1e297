#include "core/grid/sensitivities.h"

#include <cmath>

namespace tsodso::core {

Sensitivities::Sensitivities(const RadialGrid& grid, const PowerFlowResult& flow)
    : grid_(grid), base_mva_(grid.model().base_mva) {
  const GridModel& m = grid.model();
  const size_t n = m.buses.size();
  depth_.assign(n, 0);
  r_to_slack_.assign(n, 0);
  x_to_slack_.assign(n, 0);
  v_.assign(n, 1.0);
  for (size_t i = 0; i < n && i < flow.v_pu.size(); ++i) v_[i] = std::abs(flow.v_pu[i]);
  for (size_t k = 1; k < grid.order().size(); ++k) {
    const int b = grid.order()[k];
    const int p = grid.parent(b);
    const Branch& br = m.branches[grid.parent_branch(b)];
    const double kv = m.buses[grid.BusIndex(br.from)].v_nom_kv;
    const double z_base = kv * kv / base_mva_;
    depth_[b] = depth_[p] + 1;
    r_to_slack_[b] = r_to_slack_[p] + br.r_ohm / z_base;
    x_to_slack_[b] = x_to_slack_[p] + br.x_ohm / z_base;
  }
}

void Sensitivities::SharedPath(int i, int j, double* r, double* x) const {
  while (depth_[i] > depth_[j]) i = grid_.parent(i);
  while (depth_[j] > depth_[i]) j = grid_.parent(j);
  while (i != j) {
    i = grid_.parent(i);
    j = grid_.parent(j);
  }
  *r = r_to_slack_[i];
  *x = x_to_slack_[i];
}

// LinDistFlow: V_i^2 = V_0^2 - 2 sum over the shared path of (R P + X Q),
// so d|V_i| / dP_j = R_shared / |V_i| (per unit power), converted to MW.
double Sensitivities::VoltagePerMw(int i, int j) const {
  double r = 0, x = 0;
  SharedPath(i, j, &r, &x);
  return r / v_[i] / base_mva_;
}

double Sensitivities::VoltagePerMvar(int i, int j) const {
  double r = 0, x = 0;
  SharedPath(i, j, &r, &x);
  return x / v_[i] / base_mva_;
}

double Sensitivities::FlowPerInjection(int k, int j) const {
  // Branch k feeds its "to" side: j is below k if climbing from j passes k.
  for (int b = j; b != grid_.slack(); b = grid_.parent(b)) {
    if (grid_.parent_branch(b) == k) return -1.0;
  }
  return 0.0;
}

}  // namespace tsodso::core
