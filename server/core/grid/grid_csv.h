// A network model from the text of its bus and branch tables and what its
// description (model.yaml) says about them: the one reader the daemon's
// loaders and the domain's tests share. Reading the files is the caller's.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "core/grid/grid_model.h"

namespace tsodso::core {

// The HV/MV transformer(s) at the PCC, as one equivalent.
struct PccTransformer {
  double rating_mva = 0;  // 0: not modelled
  double r_pct = 0;
  double x_pct = 0;
};

// What a model's description adds to its tables.
struct GridDescription {
  std::string name;
  // Nominal voltage and band of buses whose row gives none.
  GridCsvDefaults defaults;
  std::string slack_bus;  // empty: the first bus
  double slack_voltage_pu = 1.0;
  double base_mva = 10.0;
  PccTransformer transformer;
};

// The text of one table and where it comes from (named in errors).
struct GridTable {
  std::string text;
  std::string source;
};

// Build the radial grid of the tables. With a transformer, it sits between
// a new slack bus "<busbar>-HV" (its HV side, referred to the MV voltage)
// and the MV busbar, with its rating. `source` names the model in errors
// (its directory).
absl::StatusOr<RadialGrid> GridFromTables(const GridTable& buses, const GridTable& branches,
                                          const GridDescription& description, const std::string& source);

}  // namespace tsodso::core
