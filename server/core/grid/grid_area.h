// The grid-aware P-Q area at a PCC: the exchanges the DERs below it can
// reach without pushing a branch beyond its rating or a bus voltage out of
// its band, by one linear program per search direction (linearised
// DistFlow around the AC operating point, COIN-OR Clp), each optimum
// checked and, where needed, pulled in by the AC power flow.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/capability/polygon.h"
#include "core/grid/grid_model.h"
#include "core/grid/limits.h"

namespace tsodso::core {

// DERs connected at one bus, as one controllable injection.
struct PlacedDer {
  int bus = 0;           // model bus index
  ConvexPolygon region;  // reachable (P MW, Q Mvar) injections, generator convention (injection positive)
  PqPoint operating;     // present injection, inside region
};

// Factors on every bus load of the model: active and reactive, so that the
// loads can follow a PCC load whose power factor is not the model's.
struct LoadScale {
  double p = 1;
  double q = 1;
};

// The grid limits (margins and tolerances), and how finely the area is
// searched.
struct GridAreaOptions : LimitOptions {
  int directions = 16;            // search directions, evenly spaced
  int max_shrink_steps = 20;      // bisection steps pulling a vertex towards the operating point
  int rating_polygon_sides = 16;  // inscribed polygon standing for |S| <= S_rating in the LP
  // Put a branch's rating rows into the LP only once an optimum breaks
  // them (the optimum is the same; most ratings never bind). False: every
  // rating from the start.
  bool rating_rows_on_demand = true;
  // Leave the DistFlow rows of buses with no DER at or below them out of
  // the LP, their flows and voltage bands folded into their parent's rows
  // and bounds (the same LP, smaller). False: every bus's rows.
  bool eliminate_der_free_buses = true;
  // Take the last direction's optimum for a direction without solving when
  // the tableau rows of its basis show the basis optimal for it too (the
  // same vertex, exactly). False: every direction solved by Clp.
  bool skip_directions_kept_optimal = true;
};

// One AC-verified point of the area: the DER setpoints and the exchange the
// AC power flow gives for them.
struct GridAreaPoint {
  PqPoint exchange;                // PCC exchange (MW, Mvar), load convention
  std::vector<PqPoint> setpoints;  // per DER (same order as the input), generator convention
  double kept = 1;                 // share of the LP's move from the operating point kept (1: not pulled in)
};

struct GridAreaResult {
  ConvexPolygon area;  // reachable PCC exchanges (MW, Mvar), load convention (import positive), each vertex AC-verified
  PqPoint operating;   // PCC exchange at the operating point by AC power flow (load convention); 0 if it diverges
  bool operating_within_limits = true;  // false: the operating point itself violates a limit; area then empty
  int lps_solved = 0;                   // directions with an optimum
  int lps_skipped = 0;  // of those, directions whose optimum the last direction's basis was shown to be, with no solve
  int lps_infeasible = 0;  // directions Clp found infeasible (numerical trouble only: the operating point is feasible)
  int vertices_pulled_in = 0;         // LP optima the AC check moved towards the operating point
  std::vector<GridAreaPoint> points;  // one per solved direction, then the operating point
};

// Computes grid-aware areas one after another on one network (the ISPs of a
// horizon, in order): each area's LP starts from the last one's basis and
// holds the rating rows earlier optima needed, so that a nearby operating
// point costs a few pivots instead of a solve from scratch. The result is
// that of ComputeGridAwareArea within the LP's tolerances: where several
// DER setpoints reach the same optimum, another of them may be taken.
// Not thread-safe: one per thread.
class GridAreaSolver {
 public:
  explicit GridAreaSolver(const RadialGrid& grid, const GridAreaOptions& options = {});
  ~GridAreaSolver();
  GridAreaSolver(const GridAreaSolver&) = delete;
  GridAreaSolver& operator=(const GridAreaSolver&) = delete;

  // Return the area as ComputeGridAwareArea does.
  absl::StatusOr<GridAreaResult> Compute(const LoadScale& load_scale, const std::vector<PlacedDer>& ders);
  absl::StatusOr<GridAreaResult> Compute(double load_scale, const std::vector<PlacedDer>& ders) {
    return Compute(LoadScale{load_scale, load_scale}, ders);
  }

 private:
  struct State;
  const RadialGrid& grid_;
  GridAreaOptions options_;
  std::unique_ptr<State> state_;
};

// Return the set of PCC exchanges reachable by DER setpoints within each
// DER's region that keep every branch within its rating and every bus
// voltage within its band: a linear program per search direction, each
// optimum's setpoints checked by AC power flow and pulled towards the
// operating point until the AC power flow shows no violation. `load_scale`
// multiplies every bus load of the model. Several DERs may share a bus.
absl::StatusOr<GridAreaResult> ComputeGridAwareArea(const RadialGrid& grid, double load_scale,
                                                    const std::vector<PlacedDer>& ders,
                                                    const GridAreaOptions& options = {});

}  // namespace tsodso::core
