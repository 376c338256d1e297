// The DSO's private network model below a PCC: buses, branches, and the
// checks that make it usable for a radial power flow. It never leaves the
// gateway.
#pragma once

#include <complex>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tsodso::core {

struct Bus {
  std::string id;
  double v_nom_kv = 0;
  double v_min_pu = 0.9;
  double v_max_pu = 1.1;
  double p_load_mw = 0;  // consumption positive
  double q_load_mvar = 0;
};

struct Branch {
  std::string from;
  std::string to;
  double r_ohm = 0;
  double x_ohm = 0;
  double rating_a = 0;  // 0: no rating given
  bool in_service = true;
};

struct GridModel {
  std::string name;
  std::string slack_bus;  // the PCC side (substation MV busbar)
  double slack_voltage_pu = 1.0;
  double base_mva = 10.0;
  std::vector<Bus> buses;
  std::vector<Branch> branches;
};

// A checked radial model, with buses and in-service branches ordered from
// the slack outwards (parents before children).
class RadialGrid {
 public:
  // Check the model: known bus references, positive impedances and ratings,
  // one slack, radial (a tree) once out-of-service branches are removed, no
  // islands. Errors name the source, the row or bus and the field.
  static absl::StatusOr<RadialGrid> Build(GridModel model, const std::string& source);

  const GridModel& model() const { return model_; }
  size_t bus_count() const { return model_.buses.size(); }
  // Buses in breadth-first order from the slack (index 0 is the slack).
  const std::vector<int>& order() const { return order_; }
  // For bus i (model index): the index of its parent bus and of the branch
  // to it; -1 for the slack.
  int parent(int bus) const { return parent_[bus]; }
  int parent_branch(int bus) const { return parent_branch_[bus]; }
  int slack() const { return slack_; }
  int BusIndex(const std::string& id) const;
  // The model index of branch k's from bus (no lookup by name).
  int branch_from(int branch) const { return branch_from_[branch]; }
  // Branch k's series impedance in per unit: the model's base power and
  // the nominal voltage of its from bus. Every computation on the network
  // (power flow, linearisations, linear programs) takes it from here, so
  // that they all see the same network.
  std::complex<double> branch_z_pu(int branch) const { return branch_z_pu_[branch]; }

 private:
  GridModel model_;
  std::vector<int> order_;
  std::vector<int> parent_;
  std::vector<int> parent_branch_;
  std::vector<int> branch_from_;
  std::vector<std::complex<double>> branch_z_pu_;
  std::map<std::string, int> index_;
  int slack_ = 0;
};

// Read a model from CSV files: buses (bus, p_load_kw, q_load_kvar
// [, v_nom_kv, v_min_pu, v_max_pu]) and branches (from_bus, to_bus, r_ohm,
// x_ohm [, rating_a, in_service]). Missing optional columns take the given
// defaults. Errors name the file, the row and the field.
struct GridCsvDefaults {
  double v_nom_kv = 0;
  double v_min_pu = 0.9;
  double v_max_pu = 1.1;
};
absl::StatusOr<GridModel> GridFromCsv(const std::string& buses_csv, const std::string& buses_source,
                                      const std::string& branches_csv, const std::string& branches_source,
                                      const GridCsvDefaults& defaults);

}  // namespace tsodso::core
