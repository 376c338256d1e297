// The DSO-private setup of one PCC: its network, where the flexibility
// scenario's DER groups are connected, and the assets of its DER registry. From it, the grid state of an interval: bus
// injections at the forecast operating point.
#pragma once

#include <limits>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/flexibility/engine.h"
#include "core/grid/grid_area.h"
#include "core/grid/grid_model.h"
#include "core/prequalification/prequalification.h"
#include "core/schedules/baseline.h"
#include "core/validation/merit_order_list.h"

namespace tsodso::core {

// A share of a DER group's units connected at one bus.
struct DerPlacement {
  std::string group;  // DerGroup::name in the PCC's scenarios
  std::string bus;
  double share = 0;  // of the group; a group's shares sum to 1
};

struct PccNetwork {
  std::string pcc_id;
  std::shared_ptr<const RadialGrid> grid;
  std::vector<DerPlacement> placement;
  std::string placement_source;  // the file the placement came from, for messages
};

// The DSO-private networks of the PCCs that have one, and the DER registry:
// every asset with its connection point and connection agreement.
struct GridCatalog {
  std::map<std::string, PccNetwork> networks;
  std::map<std::string, RegisteredAsset> assets;
  // What every network keeps free of its limits: validation, grid-limited
  // areas, schedule checks and the outlook all judge by them.
  SecurityMargins margins;
  const PccNetwork* Find(const std::string& pcc_id) const {
    auto it = networks.find(pcc_id);
    return it == networks.end() ? nullptr : &it->second;
  }
};

// Return the resource book for a validation: each registered asset at its
// bus, owned by the aggregator it is qualified for (none: not
// prequalified). `qualifications` holds the standing ones by asset id.
ResourceBook BookOf(const GridCatalog& grids, const std::map<std::string, Qualification>& qualifications);

// Check that every group of `model` is placed on known buses with shares
// summing to 1 (within 1e-6). Errors name `source`, the group and the bus.
absl::Status CheckPlacement(const PccNetwork& network, const PccModel& model, const std::string& source);

// Return the buses of those of `asset_ids` that the registry places below
// the network's PCC (where the DSO knows a portfolio's assets to be).
std::vector<int> BusesOf(const GridCatalog& grids, const PccNetwork& network,
                         const std::vector<std::string>& asset_ids);

// The private grid state of one interval.
struct GridState {
  // Every bus's active load times `load_scale`, and its reactive load times
  // `load_scale_q`, make the PCC's load of the interval (P and Q of the
  // same profile as the published figures).
  double load_scale = 1;
  double load_scale_q = 1;
  // Per bus (model order), MW / Mvar, generator convention: the DERs'
  // operating injections, minus the load change that the scaling makes.
  // What SolvePowerFlow takes on top of the model's loads.
  std::vector<PqPoint> injections;
  // Per bus: the DERs there, as reachable injections and operating point.
  std::vector<ConvexPolygon> der_regions;  // empty polygon: no DER at the bus
  std::vector<PqPoint> der_operating;
};

// Return the grid state of [start, start + step): bus loads follow the
// scenario's PCC load in P and in Q (its power factor or its reactive
// history), so that the network's loads sum to the load behind the
// published operating point; DER groups sit at their placement with their
// operating points and regions of the interval. A model without reactive
// load keeps none.
GridState GridStateAt(const PccNetwork& network, const PccModel& model, absl::Time start, absl::Duration step);

// What the DSO's network lets the DERs below a PCC do in one interval:
// the grid-aware area and the distances from the operating point to its
// edges along each axis (load convention, up = less import).
struct GridLimitedFlex {
  bool within_limits = true;  // false: the operating point breaks a limit; all figures 0
  PqPoint operating;          // PCC exchange by AC power flow (with the network's losses)
  double p_up_mw = 0, p_down_mw = 0, q_up_mvar = 0, q_down_mvar = 0;
  ConvexPolygon area;
};

// Longest window for which grid-limited flexibility is computed on request
// (an area takes tens of milliseconds per interval).
inline constexpr absl::Duration kMaxGridLimitedWindow = absl::Hours(48);

// Grid-limited figures by their inputs (the network, the load scale, every
// DER's region and operating point, the options), so that an interval
// whose inputs did not change since it was last computed is not computed
// again: from one publication to the next, the horizon moves by one ISP.
// Keeps the `capacity` most recently used entries. Not thread-safe.
class GridLimitedCache {
 public:
  explicit GridLimitedCache(size_t capacity = 4 * 96) : capacity_(capacity) {}
  const GridLimitedFlex* Find(const std::string& key);
  void Put(const std::string& key, GridLimitedFlex flex);
  size_t hits() const { return hits_; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    GridLimitedFlex flex;
    uint64_t used = 0;
  };
  size_t capacity_;
  uint64_t clock_ = 0;
  size_t hits_ = 0;
  std::unordered_map<std::string, Entry> entries_;
};

// The grid-limited flexibility of one PCC's intervals, computed one after
// another (best in time order): each area's LP starts from the last one's
// (GridAreaSolver), and with a cache, an interval whose inputs are in it is
// not computed again. The portfolios' schedules (`placed`) are fixed at
// their buses: they move the operating point, not what the DERs may do
// around it. `network`, `model` and `cache` must outlive it. Not
// thread-safe: one per thread.
class GridLimitedSeries {
 public:
  GridLimitedSeries(const PccNetwork& network, const PccModel& model, absl::Duration step,
                    const GridAreaOptions& options = {}, const std::vector<PlacedBaseline>& placed = {},
                    GridLimitedCache* cache = nullptr);

  // Return the grid-limited flexibility of [start, start + step).
  absl::StatusOr<GridLimitedFlex> At(absl::Time start);

 private:
  const PccNetwork& network_;
  const PccModel& model_;
  absl::Duration step_;
  GridAreaOptions options_;
  std::vector<PlacedBaseline> placed_;
  GridLimitedCache* cache_;
  GridAreaSolver solver_;
};

// Return the grid-limited flexibility of [start, start + step) on its own
// (GridLimitedSeries for one interval).
absl::StatusOr<GridLimitedFlex> GridLimitedAt(const PccNetwork& network, const PccModel& model, absl::Time start,
                                              absl::Duration step, const GridAreaOptions& options = {},
                                              const std::vector<PlacedBaseline>& placed = {});

}  // namespace tsodso::core
