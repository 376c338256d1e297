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

namespace tsodso::core {

enum class Direction { kUp, kDown };  // up: more injection / less import

struct Bid {
  std::string bid_id;
  std::string bsp_party_id;
  std::vector<std::string> resource_ids;  // DSO-registered resources behind the bid
  std::string pcc_id;
  double quantity_mw = 0;
  double price = 0;  // EUR/MWh
  double min_quantity_mw = 0;
  bool divisible = true;
};

enum class BidOutcome { kAccepted, kLimited, kRejected };

enum class BidReason {
  kNone,
  kThermalLimit,
  kVoltageLimit,
  kUnknownResource,
  kNotPrequalified,
  kResourceNotAtPcc,
  kMinimumNotMet,
  kOutsideValidity,
  kBeyondQualifiedRange,
};

const char* BidReasonName(BidReason reason);

// The reason a grid limit of `limit`'s class gives a bid.
BidReason BidReasonOf(LimitClass limit);

struct BidResult {
  std::string bid_id;
  BidOutcome outcome = BidOutcome::kRejected;
  double accepted_mw = 0;
  // For a limited or rejected bid: a registry reason, or the class of the
  // grid limit that binds ("why not more"), by AC power flow: the one
  // broken one bisection step above a limited bid's quantity; for a
  // rejected bid, at the first quantity it could have had (one step, or its
  // minimum), or at its full quantity when it is indivisible or the state
  // it meets already breaks a limit. Voltage first where both classes break
  // at that point. kMinimumNotMet only where no grid limit is involved.
  BidReason reason = BidReason::kNone;
};

// Where a registered resource sits: DSO-private.
struct ResourceLocation {
  std::string pcc_id;
  std::vector<std::pair<int, double>> buses;  // bus index, share of the resource's power
  bool prequalified = false;
};
using ResourceRegistry = std::map<std::string, ResourceLocation>;

// Check a MOL before any power flow: not empty, unique bid ids, finite
// positive quantities, a minimum within the quantity, finite prices.
// Errors name the bid and the field.
absl::Status CheckMeritOrder(const std::vector<Bid>& bids);

// The grid limits' tolerances, and the finest cut of a bid.
struct ValidationOptions : LimitTolerances {
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
