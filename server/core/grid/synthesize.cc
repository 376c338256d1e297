#include "core/grid/synthesize.h"

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/grid/power_flow.h"

namespace tsodso::core {

absl::StatusOr<GridModel> SynthesizeFeeders(const RadialGrid& base, const SynthesisOptions& o) {
  if (o.feeders < 1) return absl::InvalidArgumentError(absl::StrCat("feeders: ", o.feeders, " must be >= 1"));
  if (!(o.v_nom_kv > 0) || !(o.peak_load_mw > 0)) {
    return absl::InvalidArgumentError("v_nom_kv and peak_load_mw must be positive");
  }
  if (!(o.power_factor >= 0 && o.power_factor <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("power_factor: ", o.power_factor, " is not in (0, 1] (0: keep)"));
  }
  const GridModel& b = base.model();
  double base_load = 0;
  for (const Bus& bus : b.buses) base_load += bus.p_load_mw;
  if (!(base_load > 0)) return absl::InvalidArgumentError("the base feeder has no load");
  const double per_feeder = o.peak_load_mw / o.feeders;
  const double load_scale = per_feeder / base_load;
  const double base_kv = b.buses[base.slack()].v_nom_kv;
  const double z_scale = std::pow(o.v_nom_kv / base_kv, 2) / load_scale;

  GridModel m;
  m.name = absl::StrCat("synthetic ", o.feeders, " x ", b.name, " at ", o.v_nom_kv, " kV");
  m.slack_bus = o.busbar;
  m.slack_voltage_pu = b.slack_voltage_pu;
  m.base_mva = std::max(10.0, o.peak_load_mw / 10);
  m.buses.push_back(Bus{o.busbar, o.v_nom_kv, o.v_min_pu, o.v_max_pu, 0, 0});
  std::mt19937 rng(o.seed);
  std::uniform_real_distribution<double> vary(1 - o.load_variation, 1 + o.load_variation);
  const std::string slack_id = b.buses[base.slack()].id;
  auto name = [&](int f, const std::string& id) {
    return id == slack_id ? o.busbar : absl::StrCat("F", f + 1, "-", id);
  };
  for (int f = 0; f < o.feeders; ++f) {
    for (size_t i = 0; i < b.buses.size(); ++i) {
      if (static_cast<int>(i) == base.slack()) continue;
      const double k = load_scale * vary(rng);
      m.buses.push_back(Bus{name(f, b.buses[i].id), o.v_nom_kv, o.v_min_pu, o.v_max_pu, b.buses[i].p_load_mw * k,
                            b.buses[i].q_load_mvar * k});
    }
    for (const Branch& br : b.branches) {
      Branch c = br;
      c.from = name(f, br.from);
      c.to = name(f, br.to);
      c.r_ohm = br.r_ohm * z_scale;
      c.x_ohm = br.x_ohm * z_scale;
      c.rating_a = 0;
      m.branches.push_back(c);
    }
  }
  // The variation moves the total; the peak is what the network is for.
  double varied = 0;
  for (const Bus& bus : m.buses) varied += bus.p_load_mw;
  const double tan_phi = o.power_factor > 0 ? std::sqrt(1 - o.power_factor * o.power_factor) / o.power_factor : 0;
  for (Bus& bus : m.buses) {
    bus.p_load_mw *= o.peak_load_mw / varied;
    bus.q_load_mvar = o.power_factor > 0 ? bus.p_load_mw * tan_phi : bus.q_load_mvar * o.peak_load_mw / varied;
  }
  // Size the ratings on the base case: every branch has the same headroom
  // over its own peak current, rounded up to 10 A.
  auto grid = RadialGrid::Build(m, m.name);
  if (!grid.ok()) return grid.status();
  auto pf = SolvePowerFlow(*grid, nullptr);
  if (!pf.ok()) return pf.status();
  for (size_t k = 0; k < m.branches.size(); ++k) {
    if (!m.branches[k].in_service) continue;
    m.branches[k].rating_a = std::ceil(pf->branch_current_a[k] * o.rating_headroom / 10) * 10;
  }
  return m;
}

}  // namespace tsodso::core
