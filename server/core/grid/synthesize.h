// Synthetic networks for demos and benchmarks: copies of a test feeder
// below one substation busbar, rescaled to another voltage and load, with
// varied loads and with ratings sized from the base-case currents.
#pragma once

#include "absl/status/statusor.h"
#include "core/grid/grid_model.h"

namespace tsodso::core {

struct SynthesisOptions {
  int feeders = 8;
  double v_nom_kv = 23.0;
  double peak_load_mw = 180.0;  // total over all feeders (the varied loads are rescaled to it)
  double load_variation = 0.2;  // each bus's load x U(1 - v, 1 + v)
  // Reactive load of every bus at this power factor (lagging); 0 keeps the
  // base feeder's Q/P bus by bus.
  double power_factor = 0;
  unsigned seed = 1;
  double rating_headroom = 1.6;  // rating = base-case current x headroom
  double v_min_pu = 0.9;
  double v_max_pu = 1.1;
  std::string busbar = "PS";
};

// Replicate `base` (its slack is dropped; its first branch becomes each
// feeder's head) as `feeders` feeders below a new busbar; the loads, each
// varied, sum to `peak_load_mw`. Impedances keep
// the base case's per-unit voltage drops at the new voltage and load:
// Z' = Z (kV'/kV)^2 / (load per feeder / base load).
absl::StatusOr<GridModel> SynthesizeFeeders(const RadialGrid& base, const SynthesisOptions& options);

}  // namespace tsodso::core
