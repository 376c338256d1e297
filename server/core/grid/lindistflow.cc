#include "core/grid/lindistflow.h"

namespace tsodso::core {

LinDistFlow::LinDistFlow(const RadialGrid& grid)
    : grid_(grid),
      base_mva_(grid.model().base_mva),
      share_below_(grid.bus_count(), 0),
      shared_r_pu_(grid.bus_count(), 0),
      shared_x_pu_(grid.bus_count(), 0) {}

void LinDistFlow::Clear(std::span<const int> buses) {
  for (int b : buses) share_below_[b] = shared_r_pu_[b] = shared_x_pu_[b] = 0;
}

void LinDistFlow::Propagate(std::span<const int> buses, int root) {
  for (size_t k = buses.size(); k-- > 0;) {
    const int p = grid_.parent(buses[k]);
    if (p != root) share_below_[p] += share_below_[buses[k]];
  }
  for (int b : buses) {
    const int p = grid_.parent(b);
    const std::complex<double> z = grid_.branch_z_pu(grid_.parent_branch(b));
    shared_r_pu_[b] = (p == root ? 0 : shared_r_pu_[p]) + z.real() * share_below_[b];
    shared_x_pu_[b] = (p == root ? 0 : shared_x_pu_[p]) + z.imag() * share_below_[b];
  }
}

}  // namespace tsodso::core
