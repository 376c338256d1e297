// A balancing bid of the TSO's merit order list and the answer to it. The
// answer names a class of reason only, never a network element.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/grid/limits.h"

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

// Check a MOL before any power flow: not empty, unique bid ids, finite
// positive quantities, a minimum within the quantity, finite prices.
// Errors name the bid and the field.
absl::Status CheckMeritOrder(const std::vector<Bid>& bids);

}  // namespace tsodso::core
