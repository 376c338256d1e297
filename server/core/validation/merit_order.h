// Merit-order-list (MOL) validation: the TSO's balancing bids, activated
// cumulatively in merit order on the DSO's private model, each answered as
// accepted, limited or rejected with a reason class that names no network
// element.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/capability/polygon.h"
#include "core/grid/grid_model.h"
#include "core/grid/limits.h"
#include "core/grid/power_flow.h"
#include "core/validation/bid.h"

namespace tsodso::core {

// Where a registered resource sits: DSO-private.
struct ResourceLocation {
  std::string pcc_id;
  std::vector<std::pair<int, double>> buses;  // bus index, share of the resource's power
  bool prequalified = false;
};
using ResourceRegistry = std::map<std::string, ResourceLocation>;

// The grid limits (margins and tolerances), and the finest cut of a bid.
struct ValidationOptions : LimitOptions {
  double quantity_resolution_mw = 0.01;
};

// What a validation did, for benchmarks and logs.
struct ValidationStats {
  int power_flows = 0;  // full AC power flows run (whole network)
  // Reduced AC power flows run: of one section (a subtree of the slack),
  // or behind a transformer of a bid's feeders and the trunk, the other
  // feeders as equivalent loads at the busbar.
  int section_flows = 0;
  int screened = 0;   // bids accepted on the linear screening alone, without a power flow
  int checks = 0;     // AC checks of screened bids (periodic, before an AC-decided bid, and at the end)
  int fallbacks = 0;  // checks that found a violation the screening let through: redone by AC from the checkpoint
};

// Activate the bids cumulatively in merit order (up: cheapest first; down:
// highest price first) on top of `base` injections (MW / Mvar per bus),
// cutting each to what keeps every voltage within its band and every branch
// within its rating by the AC power flow. Results come in merit order.
//
// Bids that fit with a margin by LinDistFlow sensitivities, linearised at
// the last AC-verified state, are accepted without a power flow; the others
// are decided by the AC power flow, which also checks the screened ones
// every so often and at the end (a violation sends the bids since the last
// verified state through the AC path again). Results match
// ValidateMeritOrderNaive to within 2 x quantity_resolution_mw.
std::vector<BidResult> ValidateMeritOrder(const RadialGrid& grid, const std::vector<PqPoint>& base,
                                          const ResourceRegistry& resources, Direction direction, std::vector<Bid> bids,
                                          const ValidationOptions& options = {}, ValidationStats* stats = nullptr);

// The reference: one full AC power flow per bid at its full quantity, and
// bisection by AC power flow to quantity_resolution_mw when it violates a
// limit. Slow on large lists; kept for tests and benchmarks.
std::vector<BidResult> ValidateMeritOrderNaive(const RadialGrid& grid, const std::vector<PqPoint>& base,
                                               const ResourceRegistry& resources, Direction direction,
                                               std::vector<Bid> bids, const ValidationOptions& options = {},
                                               ValidationStats* stats = nullptr);

}  // namespace tsodso::core
