#include "core/grid/grid_csv.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace tsodso::core {
namespace {

absl::Status AddTransformer(const std::string& source, const std::string& buses_source, const PccTransformer& trafo,
                            GridModel& m) {
  const std::string busbar = m.slack_bus;
  auto it = std::find_if(m.buses.begin(), m.buses.end(), [&](const Bus& b) { return b.id == busbar; });
  if (it == m.buses.end() || !(it->v_nom_kv > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(source, "/model.yaml: slack_bus: '", busbar, "' is not a bus of ",
                                                   buses_source, " with a nominal voltage"));
  }
  const double kv = it->v_nom_kv;
  const double z_base = kv * kv / trafo.rating_mva;
  Bus hv;
  hv.id = busbar + "-HV";
  hv.v_nom_kv = kv;
  hv.v_min_pu = 0;  // the TSO's voltage, not the DSO's band
  hv.v_max_pu = 10;
  m.buses.push_back(hv);  // last, so that the model's rows keep their numbers in messages
  Branch t;
  t.from = hv.id;
  t.to = busbar;
  t.r_ohm = trafo.r_pct / 100 * z_base;
  t.x_ohm = trafo.x_pct / 100 * z_base;
  t.rating_a = trafo.rating_mva * 1000 / (std::sqrt(3.0) * kv);
  m.branches.push_back(t);
  m.slack_bus = hv.id;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RadialGrid> GridFromTables(const GridTable& buses, const GridTable& branches,
                                          const GridDescription& description, const std::string& source) {
  auto model = GridFromCsv(buses.text, buses.source, branches.text, branches.source, description.defaults);
  if (!model.ok()) return model.status();
  model->name = description.name;
  if (!description.slack_bus.empty()) model->slack_bus = description.slack_bus;
  model->slack_voltage_pu = description.slack_voltage_pu;
  model->base_mva = description.base_mva;
  if (description.transformer.rating_mva > 0) {
    if (auto st = AddTransformer(source, buses.source, description.transformer, *model); !st.ok()) return st;
  }
  return RadialGrid::Build(std::move(*model), source);
}

}  // namespace tsodso::core
