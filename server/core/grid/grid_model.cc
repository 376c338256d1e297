#include "core/grid/grid_model.h"

#include "core/common/csv.h"

#include <cmath>
#include <deque>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tsodso::core {

absl::StatusOr<GridModel> GridFromCsv(const std::string& buses_csv, const std::string& buses_source,
                                      const std::string& branches_csv, const std::string& branches_source,
                                      const GridCsvDefaults& d) {
  GridModel m;
  const Csv buses = ParseCsv(buses_csv);
  if (buses.Column("bus") < 0) return absl::InvalidArgumentError(absl::StrCat(buses_source, ": no 'bus' column"));
  for (size_t r = 0; r < buses.rows.size(); ++r) {
    Bus b;
    // A short row lacks the cell: refused, never read past its end.
    if (auto st = TextField(buses, r, "bus", true, &b.id, buses_source); !st.ok()) return st;
    double p_kw = 0, q_kvar = 0;
    for (auto st : {Field(buses, r, "p_load_kw", true, 0, &p_kw, buses_source),
                    Field(buses, r, "q_load_kvar", true, 0, &q_kvar, buses_source),
                    Field(buses, r, "v_nom_kv", false, d.v_nom_kv, &b.v_nom_kv, buses_source),
                    Field(buses, r, "v_min_pu", false, d.v_min_pu, &b.v_min_pu, buses_source),
                    Field(buses, r, "v_max_pu", false, d.v_max_pu, &b.v_max_pu, buses_source)}) {
      if (!st.ok()) return st;
    }
    if (!(b.v_nom_kv > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(buses_source, ": row ", r + 2, ": v_nom_kv: ", b.v_nom_kv, " must be positive"));
    }
    if (!(b.v_min_pu > 0 && b.v_min_pu < b.v_max_pu)) {
      return absl::InvalidArgumentError(
          absl::StrCat(buses_source, ": row ", r + 2, ": v_min_pu: ", b.v_min_pu, " must be in (0, v_max_pu)"));
    }
    b.p_load_mw = p_kw / 1000;
    b.q_load_mvar = q_kvar / 1000;
    m.buses.push_back(b);
  }
  const Csv branches = ParseCsv(branches_csv);
  for (const char* col : {"from_bus", "to_bus"}) {
    if (branches.Column(col) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(branches_source, ": no '", col, "' column"));
    }
  }
  for (size_t r = 0; r < branches.rows.size(); ++r) {
    Branch b;
    for (auto st : {TextField(branches, r, "from_bus", true, &b.from, branches_source),
                    TextField(branches, r, "to_bus", true, &b.to, branches_source)}) {
      if (!st.ok()) return st;
    }
    double in_service = 1;
    for (auto st : {Field(branches, r, "r_ohm", true, 0, &b.r_ohm, branches_source),
                    Field(branches, r, "x_ohm", true, 0, &b.x_ohm, branches_source),
                    Field(branches, r, "rating_a", false, 0, &b.rating_a, branches_source),
                    Field(branches, r, "in_service", false, 1, &in_service, branches_source)}) {
      if (!st.ok()) return st;
    }
    b.in_service = in_service != 0;
    m.branches.push_back(b);
  }
  if (!m.buses.empty()) m.slack_bus = m.buses.front().id;
  return m;
}

int RadialGrid::BusIndex(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? -1 : it->second;
}

absl::StatusOr<RadialGrid> RadialGrid::Build(GridModel model, const std::string& source) {
  RadialGrid g;
  if (model.buses.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": the model has no buses"));
  for (size_t i = 0; i < model.buses.size(); ++i) {
    if (!g.index_.emplace(model.buses[i].id, static_cast<int>(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": bus '", model.buses[i].id, "' is defined twice"));
    }
  }
  auto slack = g.index_.find(model.slack_bus);
  if (slack == g.index_.end()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": slack bus '", model.slack_bus, "' is not a bus"));
  }
  g.slack_ = slack->second;
  const size_t n = model.buses.size();
  std::vector<std::vector<std::pair<int, int>>> adj(n);  // (neighbour, branch)
  for (size_t k = 0; k < model.branches.size(); ++k) {
    const Branch& b = model.branches[k];
    const std::string where = absl::StrCat(source, ": branch row ", k + 2, " (", b.from, "-", b.to, ")");
    auto f = g.index_.find(b.from);
    auto t = g.index_.find(b.to);
    if (f == g.index_.end()) return absl::InvalidArgumentError(absl::StrCat(where, ": from_bus: unknown bus"));
    if (t == g.index_.end()) return absl::InvalidArgumentError(absl::StrCat(where, ": to_bus: unknown bus"));
    if (f->second == t->second) return absl::InvalidArgumentError(absl::StrCat(where, ": connects a bus to itself"));
    if (!(b.r_ohm > 0))
      return absl::InvalidArgumentError(absl::StrCat(where, ": r_ohm: ", b.r_ohm, " must be positive"));
    if (!(b.x_ohm > 0))
      return absl::InvalidArgumentError(absl::StrCat(where, ": x_ohm: ", b.x_ohm, " must be positive"));
    if (b.rating_a < 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": rating_a: ", b.rating_a, " must be positive"));
    }
    g.branch_from_.push_back(f->second);
    const double kv = model.buses[f->second].v_nom_kv;
    g.branch_z_pu_.push_back(std::complex<double>(b.r_ohm, b.x_ohm) / (kv * kv / model.base_mva));
    if (!b.in_service) continue;  // open switches are not part of the radial network
    adj[f->second].push_back({t->second, static_cast<int>(k)});
    adj[t->second].push_back({f->second, static_cast<int>(k)});
  }
  g.parent_.assign(n, -2);
  g.parent_branch_.assign(n, -1);
  std::deque<int> queue{g.slack_};
  g.parent_[g.slack_] = -1;
  while (!queue.empty()) {
    const int u = queue.front();
    queue.pop_front();
    g.order_.push_back(u);
    for (auto [v, k] : adj[u]) {
      if (k == g.parent_branch_[u]) continue;
      if (g.parent_[v] != -2) {
        return absl::InvalidArgumentError(absl::StrCat(source, ": branch row ", k + 2, " (", model.branches[k].from,
                                                       "-", model.branches[k].to,
                                                       ") closes a loop: the in-service network must be radial"));
      }
      g.parent_[v] = u;
      g.parent_branch_[v] = k;
      queue.push_back(v);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (g.parent_[i] == -2) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": bus '", model.buses[i].id, "' is not connected to the slack bus (an island)"));
    }
  }
  g.model_ = std::move(model);
  return g;
}

}  // namespace tsodso::core
