#include "core/validation/merit_order_list.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/common/time.h"
#include "core/notices/notice.h"

namespace tsodso::core {
namespace {

// Sort bids into merit order: up, cheapest first; down, dearest first (the
// TSO activates the dearest downward bid first: it pays the most for it).
void SortByMerit(std::vector<Bid>& bids, Direction direction) {
  std::stable_sort(bids.begin(), bids.end(), [direction](const Bid& a, const Bid& b) {
    return direction == Direction::kUp ? a.price < b.price : a.price > b.price;
  });
}

}  // namespace

absl::StatusOr<CheckedMol> CheckMeritOrderList(const MeritOrderList& list, const PartyRegistry& registry,
                                               const Party& tso, absl::Time now) {
  CheckedMol out;
  if (auto st = ValidateClientKey("validation_id", list.validation_id); !st.ok()) return st;
  out.validation_id = list.validation_id;
  if (list.direction != 1 && list.direction != 2) {
    return absl::InvalidArgumentError(absl::StrCat("direction: ", list.direction, " is not UP (1) or DOWN (2)"));
  }
  out.direction = list.direction == 1 ? Direction::kUp : Direction::kDown;
  for (const MolBid& b : list.bids) out.bids.push_back(b.bid);
  if (auto st = CheckMeritOrder(out.bids); !st.ok()) return st;

  out.isp_start = list.bids.front().isp_start;
  for (size_t i = 0; i < list.bids.size(); ++i) {
    const MolBid& b = list.bids[i];
    const std::string where = absl::StrCat("bids[", i, "] (", b.bid.bid_id, ")");
    if (b.isp_start != out.isp_start) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".isp_start: ", Rfc3339(b.isp_start),
                                                     " differs from the list's ISP ", Rfc3339(out.isp_start),
                                                     "; a MOL is for one ISP"));
    }
    if (registry.FindPcc(b.bid.pcc_id) == nullptr || !tso.MaySeePcc(b.bid.pcc_id)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".pcc_id: unknown PCC '", b.bid.pcc_id, "'"));
    }
    const Party* bsp = registry.FindById(b.bid.bsp_party_id);
    if (bsp == nullptr || bsp->role != Role::kAggregator) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".bsp_party_id: '", b.bid.bsp_party_id, "' is not a BSP registered with the DSO"));
    }
  }
  if (!IsAligned(out.isp_start, kIsp)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bids[0].isp_start: ", Rfc3339(out.isp_start), " is not the start of a 15-minute ISP"));
  }
  if (out.isp_start + kIsp <= now) {
    return absl::InvalidArgumentError(
        absl::StrCat("bids[0].isp_start: the ISP starting ", Rfc3339(out.isp_start), " has ended"));
  }
  if (out.isp_start > now + kMaxMolLookahead) {
    return absl::InvalidArgumentError(
        absl::StrCat("bids[0].isp_start: ", Rfc3339(out.isp_start), " is more than 7 days ahead"));
  }
  return out;
}

std::vector<MolLine> ValidateList(const CheckedMol& mol, const ResourceBook& resources,
                                  const std::map<std::string, PccValidationInput>& pccs,
                                  const ValidationOptions& options) {
  std::map<std::string, std::vector<Bid>> by_pcc;
  for (const Bid& b : mol.bids) by_pcc[b.pcc_id].push_back(b);
  ResourceRegistry locations;
  for (const auto& [id, r] : resources) locations[id] = r.location;

  std::vector<MolLine> out;
  for (auto& [pcc, bids] : by_pcc) {
    SortByMerit(bids, mol.direction);
    std::map<std::string, BidResult> decided;
    std::vector<Bid> to_activate;
    std::set<std::string> capped;
    for (const Bid& b : bids) {
      BidReason reason = BidReason::kNone;
      for (const std::string& rid : b.resource_ids) {
        auto it = resources.find(rid);
        // A resource of another portfolio is, for this BSP, unknown; one in
        // no portfolio is not prequalified (decided below).
        if (it == resources.end() || (!it->second.aggregator.empty() && it->second.aggregator != b.bsp_party_id)) {
          reason = BidReason::kUnknownResource;
          break;
        }
        if (it->second.location.prequalified && it->second.prequalified_until < mol.isp_start + kIsp) {
          reason = BidReason::kOutsideValidity;
          break;
        }
      }
      // Spread equally, the bid moves each resource by quantity / n: at
      // most what the narrowest qualified range allows.
      Bid activated = b;
      if (reason == BidReason::kNone) {
        double narrowest = std::numeric_limits<double>::infinity();
        for (const std::string& rid : b.resource_ids) {
          narrowest = std::min(narrowest, resources.at(rid).qualified_swing_mw);
        }
        const double allowed = narrowest * static_cast<double>(b.resource_ids.size());
        if (allowed < b.quantity_mw) {
          if (!b.divisible || allowed < std::max(b.min_quantity_mw, options.quantity_resolution_mw)) {
            reason = BidReason::kBeyondQualifiedRange;
          } else {
            activated.quantity_mw = allowed;
            capped.insert(b.bid_id);
          }
        }
      }
      if (reason != BidReason::kNone) {
        decided[b.bid_id] = BidResult{b.bid_id, BidOutcome::kRejected, 0, reason};
      } else {
        to_activate.push_back(activated);
      }
    }
    if (!to_activate.empty()) {
      const PccValidationInput& in = pccs.at(pcc);
      for (BidResult& r : ValidateMeritOrder(*in.grid, in.base, locations, mol.direction, to_activate, options)) {
        // What the grid allowed of a capped bid is still less than asked.
        if (capped.count(r.bid_id) && r.outcome == BidOutcome::kAccepted) {
          r.outcome = BidOutcome::kLimited;
          r.reason = BidReason::kBeyondQualifiedRange;
        }
        decided[r.bid_id] = r;
      }
    }
    int position = 0;
    for (const Bid& b : bids) {
      MolLine line;
      line.result = decided.at(b.bid_id);
      line.bsp_party_id = b.bsp_party_id;
      line.pcc_id = pcc;
      line.requested_mw = b.quantity_mw;
      line.position = ++position;
      out.push_back(std::move(line));
    }
  }
  return out;
}

std::vector<LineShare> ShareLines(const std::vector<MolLine>& lines, const std::string& requester,
                                  const PartyRegistry& registry) {
  std::map<std::string, std::vector<size_t>> whole;
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> own;
  for (size_t i = 0; i < lines.size(); ++i) {
    whole[lines[i].pcc_id].push_back(i);
    own[{lines[i].pcc_id, lines[i].bsp_party_id}].push_back(i);
  }
  std::vector<LineShare> out;
  for (auto& [pcc, indices] : whole) out.push_back({pcc, requester, std::move(indices), true});
  for (auto& [where, indices] : own) {
    const Party* bsp = registry.FindById(where.second);
    out.push_back({where.first, where.second, std::move(indices), bsp != nullptr && bsp->MaySeePcc(where.first)});
  }
  return out;
}

}  // namespace tsodso::core
