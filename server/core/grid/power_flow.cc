#include "core/grid/power_flow.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/grid/sweep.h"

namespace tsodso::core {

absl::StatusOr<PowerFlowResult> SolvePowerFlow(const RadialGrid& grid, const std::vector<PqPoint>* injections,
                                               const PowerFlowOptions& options) {
  const GridModel& m = grid.model();
  const size_t n = m.buses.size();
  const double base = m.base_mva;
  using C = std::complex<double>;
  // Net load per bus in per unit (consumption positive).
  std::vector<C> s_load(n);
  for (size_t i = 0; i < n; ++i) {
    double p = m.buses[i].p_load_mw, q = m.buses[i].q_load_mvar;
    if (injections != nullptr && i < injections->size()) {
      p -= (*injections)[i].p;
      q -= (*injections)[i].q;
    }
    s_load[i] = C(p, q) / base;
  }
  PowerFlowResult r;
  r.v_pu.assign(n, C(m.slack_voltage_pu, 0));
  std::vector<C> current(n);  // per bus: of its branch to the parent; the slack's: all it supplies
  const std::vector<int>& order = grid.order();
  const SweepResult sweep = Sweep(
      grid, order, options, [&](int bus, C v) { return std::conj(s_load[bus] / v); }, r.v_pu, current);
  r.iterations = sweep.iterations;
  if (!sweep.converged) {
    return absl::FailedPreconditionError(absl::StrCat("power flow did not converge within ", options.max_iterations,
                                                      " sweeps (tolerance ", options.tolerance_pu,
                                                      " pu): the loading is beyond what the network can carry"));
  }
  std::vector<C> branch_i(m.branches.size());
  for (size_t k = 1; k < order.size(); ++k) branch_i[grid.parent_branch(order[k])] = current[order[k]];
  r.slack_mva = r.v_pu[grid.slack()] * std::conj(current[grid.slack()]) * base;
  r.branch_flow_mva.assign(m.branches.size(), C(0, 0));
  for (size_t k = 1; k < order.size(); ++k) {
    const int b = order[k];
    r.branch_flow_mva[grid.parent_branch(b)] =
        r.v_pu[grid.parent(b)] * std::conj(branch_i[grid.parent_branch(b)]) * base;
  }
  r.branch_current_a.assign(m.branches.size(), 0);
  r.branch_loading.assign(m.branches.size(), 0);
  double worst_loading = -1, worst_current = -1;
  for (size_t k = 0; k < m.branches.size(); ++k) {
    if (!m.branches[k].in_service) continue;
    const double kv = m.buses[grid.branch_from(static_cast<int>(k))].v_nom_kv;
    const double i_base_a = base * 1e3 / (std::sqrt(3.0) * kv);
    const double amps = std::abs(branch_i[k]) * i_base_a;
    r.branch_current_a[k] = amps;
    const C loss = grid.branch_z_pu(static_cast<int>(k)) * std::norm(branch_i[k]) * base;
    r.loss_p_mw += loss.real();
    r.loss_q_mvar += loss.imag();
    if (amps > worst_current) {
      worst_current = amps;
      r.max_current_branch = static_cast<int>(k);
    }
    if (m.branches[k].rating_a > 0) {
      r.branch_loading[k] = amps / m.branches[k].rating_a;
      if (r.branch_loading[k] > worst_loading) {
        worst_loading = r.branch_loading[k];
        r.max_loading_branch = static_cast<int>(k);
      }
    }
  }
  r.min_v_pu = 1e9;
  r.max_v_pu = -1e9;
  for (size_t i = 0; i < n; ++i) {
    const double v = std::abs(r.v_pu[i]);
    if (v < r.min_v_pu) r.min_v_pu = v, r.min_v_bus = static_cast<int>(i);
    if (v > r.max_v_pu) r.max_v_pu = v, r.max_v_bus = static_cast<int>(i);
  }
  return r;
}

}  // namespace tsodso::core
