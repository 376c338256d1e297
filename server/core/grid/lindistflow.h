// Linearised sensitivities of a radial network (LinDistFlow, Baran & Wu
// 1989): how bus voltages and branch flows move with an injection pattern
// (power spread over buses by shares), around an operating point. It drops
// the losses: for fast screening, the AC power flow has the final word.
#pragma once

#include <span>
#include <vector>

#include "core/grid/grid_model.h"

namespace tsodso::core {

class LinDistFlow {
 public:
  explicit LinDistFlow(const RadialGrid& grid);

  // Take `buses` out of the pattern.
  void Clear(std::span<const int> buses);
  // Add `share` of the pattern's power as an injection at `bus`.
  void Inject(int bus, double share) { share_below_[bus] += share; }
  // Sum the pattern over `buses` (subtrees hanging from `root`, parents
  // before children, `root` not among them): the share below each bus and
  // the resistance and reactance each bus's path from `root` shares with
  // the pattern.
  void Propagate(std::span<const int> buses, int root);

  // MW of the pattern per MW that flows up the branch from `bus` to its
  // parent (the pattern's active flow down it moves by minus this).
  double share_below(int bus) const { return share_below_[bus]; }
  // Per unit resistance (reactance) of the path from the root to `bus`,
  // each branch weighted by the pattern's share below it.
  double shared_r_pu(int bus) const { return shared_r_pu_[bus]; }
  double shared_x_pu(int bus) const { return shared_x_pu_[bus]; }

  // V_i^2 = V_0^2 - 2 sum over the path of (R P + X Q): d|V| at `bus`, at
  // |V| = `v_pu`, per MW (per Mvar) of the pattern.
  double VoltagePerMw(int bus, double v_pu) const { return shared_r_pu_[bus] / v_pu / base_mva_; }
  double VoltagePerMvar(int bus, double v_pu) const { return shared_x_pu_[bus] / v_pu / base_mva_; }

 private:
  const RadialGrid& grid_;
  double base_mva_;
  std::vector<double> share_below_;
  std::vector<double> shared_r_pu_;
  std::vector<double> shared_x_pu_;
};

}  // namespace tsodso::core
