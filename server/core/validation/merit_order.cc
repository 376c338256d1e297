#include "core/validation/merit_order.h"

#include <algorithm>
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

BidReason LimitViolated(const RadialGrid& grid, const absl::StatusOr<PowerFlowResult>& flow,
                        const ValidationOptions& o) {
  if (!flow.ok()) return BidReason::kVoltageLimit;  // no solution: voltage collapse
  const GridModel& m = grid.model();
  for (size_t i = 0; i < m.buses.size(); ++i) {
    const double v = std::abs(flow->v_pu[i]);
    if (v < m.buses[i].v_min_pu - o.voltage_tolerance_pu || v > m.buses[i].v_max_pu + o.voltage_tolerance_pu) {
      return BidReason::kVoltageLimit;
    }
  }
  for (double l : flow->branch_loading) {
    if (l > 1 + o.loading_tolerance) return BidReason::kThermalLimit;
  }
  return BidReason::kNone;
}

std::vector<BidResult> ValidateMeritOrder(const RadialGrid& grid, const std::vector<PqPoint>& base,
                                          const ResourceRegistry& resources, Direction direction, std::vector<Bid> bids,
                                          const ValidationOptions& o) {
  std::stable_sort(bids.begin(), bids.end(), [direction](const Bid& a, const Bid& b) {
    return direction == Direction::kUp ? a.price < b.price : a.price > b.price;
  });
  std::vector<PqPoint> injections = base;
  injections.resize(grid.bus_count());
  const double sign = direction == Direction::kUp ? 1.0 : -1.0;
  std::vector<BidResult> out;
  for (const Bid& bid : bids) {
    BidResult r;
    r.bid_id = bid.bid_id;
    // Where the bid's power goes, split equally over its resources.
    std::vector<std::pair<int, double>> spread;
    for (const std::string& id : bid.resource_ids) {
      auto it = resources.find(id);
      if (it == resources.end()) {
        r.reason = BidReason::kUnknownResource;
        break;
      }
      if (it->second.pcc_id != bid.pcc_id) {
        r.reason = BidReason::kResourceNotAtPcc;
        break;
      }
      if (!it->second.prequalified) {
        r.reason = BidReason::kNotPrequalified;
        break;
      }
      for (auto [bus, share] : it->second.buses) spread.push_back({bus, share / bid.resource_ids.size()});
    }
    if (r.reason != BidReason::kNone) {
      out.push_back(r);
      continue;
    }
    auto flow_with = [&](double mw) {
      std::vector<PqPoint> trial = injections;
      for (auto [bus, share] : spread) trial[bus].p += sign * mw * share;
      return SolvePowerFlow(grid, &trial);
    };
    const BidReason at_full = LimitViolated(grid, flow_with(bid.quantity_mw), o);
    double accepted = bid.quantity_mw;
    if (at_full != BidReason::kNone) {
      // The largest quantity that keeps every limit, by bisection on the AC
      // power flow (limits are monotone in the activated quantity here).
      double lo = 0, hi = bid.quantity_mw;
      if (LimitViolated(grid, flow_with(0), o) != BidReason::kNone) hi = 0;
      while (hi - lo > o.quantity_resolution_mw) {
        const double mid = (lo + hi) / 2;
        (LimitViolated(grid, flow_with(mid), o) == BidReason::kNone ? lo : hi) = mid;
      }
      accepted = lo;
      r.reason = at_full;
    }
    if (accepted >= bid.quantity_mw) {
      r.outcome = BidOutcome::kAccepted;
    } else if (bid.divisible && accepted > 0 && accepted >= bid.min_quantity_mw) {
      r.outcome = BidOutcome::kLimited;
    } else {
      r.outcome = BidOutcome::kRejected;
      accepted = 0;
      if (r.reason == BidReason::kNone) r.reason = BidReason::kMinimumNotMet;
    }
    r.accepted_mw = accepted;
    for (auto [bus, share] : spread) injections[bus].p += sign * accepted * share;
    out.push_back(r);
  }
  return out;
}

}  // namespace tsodso::core
