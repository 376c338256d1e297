#include "core/validation/bid.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"

namespace tsodso::core {

const char* BidReasonName(BidReason reason) {
  switch (reason) {
    case BidReason::kNone:
      return "NONE";
    case BidReason::kThermalLimit:
      return "THERMAL_LIMIT";
    case BidReason::kVoltageLimit:
      return "VOLTAGE_LIMIT";
    case BidReason::kUnknownResource:
      return "UNKNOWN_RESOURCE";
    case BidReason::kNotPrequalified:
      return "NOT_PREQUALIFIED";
    case BidReason::kResourceNotAtPcc:
      return "RESOURCE_NOT_AT_PCC";
    case BidReason::kMinimumNotMet:
      return "MINIMUM_NOT_MET";
    case BidReason::kOutsideValidity:
      return "OUTSIDE_VALIDITY";
    case BidReason::kBeyondQualifiedRange:
      return "BEYOND_QUALIFIED_RANGE";
  }
  return "UNKNOWN";
}

absl::Status CheckMeritOrder(const std::vector<Bid>& bids) {
  if (bids.empty()) return absl::InvalidArgumentError("bids: the merit order list is empty");
  std::set<std::string> ids;
  for (size_t i = 0; i < bids.size(); ++i) {
    const Bid& b = bids[i];
    const std::string where = absl::StrCat("bids[", i, "] (", b.bid_id, ")");
    if (b.bid_id.empty()) return absl::InvalidArgumentError(absl::StrCat("bids[", i, "].bid_id: must not be empty"));
    if (!ids.insert(b.bid_id).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".bid_id: '", b.bid_id, "' appears twice"));
    }
    if (!std::isfinite(b.quantity_mw) || b.quantity_mw <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".quantity_mw: ", b.quantity_mw, " must be positive"));
    }
    if (!std::isfinite(b.min_quantity_mw) || b.min_quantity_mw < 0 || b.min_quantity_mw > b.quantity_mw) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".min_quantity_mw: ", b.min_quantity_mw, " must be between 0 and quantity_mw"));
    }
    if (!std::isfinite(b.price)) return absl::InvalidArgumentError(absl::StrCat(where, ".price: not a number"));
    if (b.resource_ids.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".resource_ids: at least one resource is needed"));
    }
  }
  return absl::OkStatus();
}

BidReason BidReasonOf(LimitClass limit) {
  switch (limit) {
    case LimitClass::kNone:
      return BidReason::kNone;
    case LimitClass::kThermal:
      return BidReason::kThermalLimit;
    case LimitClass::kVoltage:
      return BidReason::kVoltageLimit;
  }
  return BidReason::kNone;
}

}  // namespace tsodso::core
