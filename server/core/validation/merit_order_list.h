// A merit order list as the TSO sends it: request checks, the DSO's
// resource registry applied, and the cumulative validation per PCC.
#pragma once

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/common/time.h"
#include "core/registry/party_registry.h"
#include "core/validation/merit_order.h"

namespace tsodso::core {

// A resource an aggregator registered with the DSO: where it sits (private)
// and who may bid it until when.
struct RegisteredResource {
  ResourceLocation location;
  std::string aggregator;  // party id
  absl::Time prequalified_until = absl::InfiniteFuture();
  // The range the qualification allows (MW, generator convention); a bid
  // may move the resource across at most its width.
  double qualified_swing_mw = std::numeric_limits<double>::infinity();
};
using ResourceBook = std::map<std::string, RegisteredResource>;

// How far ahead a MOL may be validated.
inline constexpr absl::Duration kMaxMolLookahead = absl::Hours(24 * 7);

struct MolBid {
  Bid bid;
  absl::Time isp_start;
};

// As received; direction 1 = up, 2 = down (anything else is refused).
struct MeritOrderList {
  std::string validation_id;
  int direction = 0;
  std::vector<MolBid> bids;
};

struct CheckedMol {
  std::string validation_id;
  Direction direction = Direction::kUp;
  absl::Time isp_start;
  std::vector<Bid> bids;
};

// Check the list: a validation id of 1 to 128 printable ASCII characters, a
// direction, the bids (CheckMeritOrder), one ISP for all bids, aligned to
// 15 minutes, not ended at `now` and at most 7 days ahead, PCCs that exist
// and the TSO may see, BSPs that are registered aggregators. Errors
// (INVALID_ARGUMENT) name the field and the value.
absl::StatusOr<CheckedMol> CheckMeritOrderList(const MeritOrderList& list, const PartyRegistry& registry,
                                               const Party& tso, absl::Time now);

// One answered bid.
struct MolLine {
  BidResult result;
  std::string bsp_party_id;
  std::string pcc_id;
  double requested_mw = 0;
  int position = 0;  // 1-based, in the merit order of the bid's PCC
};

// What the validation of one PCC needs: its network and the bus
// injections at the ISP's forecast operating point.
struct PccValidationInput {
  const RadialGrid* grid = nullptr;
  std::vector<PqPoint> base;
};

// Validate the list PCC by PCC: bids whose resources the registry does not
// know or gives to another BSP are rejected (UNKNOWN_RESOURCE), those in no
// portfolio (NOT_PREQUALIFIED), as are bids whose
// prequalification ends before the ISP does (OUTSIDE_VALIDITY); the others
// are activated cumulatively in merit order (ValidateMeritOrder). Every PCC
// of the list must be in `pccs`. Lines come in merit order per PCC, PCCs in
// id order.
std::vector<MolLine> ValidateList(const CheckedMol& mol, const ResourceBook& resources,
                                  const std::map<std::string, PccValidationInput>& pccs,
                                  const ValidationOptions& options = {});

// Who may read which lines of a validation, per PCC: the TSO that asked
// every line, each BSP only its own, with the PCC's traffic light only for
// a BSP that has assets there (may see the PCC).
struct LineShare {
  std::string pcc_id;
  std::string recipient;      // party id
  std::vector<size_t> lines;  // indices into the validated lines
  bool with_light = true;
};
std::vector<LineShare> ShareLines(const std::vector<MolLine>& lines, const std::string& requester,
                                  const PartyRegistry& registry);

}  // namespace tsodso::core
