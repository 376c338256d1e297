// The traffic light per PCC and ISP: green when the market is free, yellow
// when the DSO limits DER movement, red when it acts on DERs directly.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/validation/merit_order_list.h"

namespace tsodso::core {

enum class LightState : int { kGreen = 1, kYellow = 2, kRed = 3 };
enum class LightReason : int { kNone = 0, kThermalLimit = 1, kVoltageLimit = 2, kDirectIntervention = 3 };

const char* LightStateName(LightState state);

struct Light {
  LightState state = LightState::kGreen;
  LightReason reason = LightReason::kNone;
  bool operator==(const Light&) const = default;
};

// What the DSO has decided for one PCC and ISP.
struct IspLight {
  absl::Time isp_start;
  // From the latest MOL validation of each direction (green or yellow): a
  // TSO may have both directions checked before it knows which it needs.
  Light up;
  Light down;
  // Yellow while an aggregator's latest schedule for the ISP would take the
  // network beyond a limit.
  Light schedules;
  bool intervention = false;  // the operator declared direct intervention

  bool operator==(const IspLight&) const = default;

  Light& ForDirection(Direction d) { return d == Direction::kUp ? up : down; }
  // Red during an intervention, else yellow when either direction's latest
  // validation limited bids or a schedule breaches a limit, else green.
  Light Effective() const;
};

// Return the light a validation calls for at one PCC: yellow when a bid
// was limited or rejected for a grid limit (the first such reason in merit
// order), green otherwise. Registry rejections (unknown resource, not
// prequalified, ...) say nothing about the grid.
Light LightFromLines(const std::vector<MolLine>& lines, const std::string& pcc_id);

// A run of ISPs with one light.
struct LightPeriod {
  std::string pcc_id;
  absl::Time start;
  absl::Time end;
  Light light;
  LightState previous = LightState::kGreen;  // for changes: the state before
};

// Merge consecutive ISPs of equal effective light into periods.
std::vector<LightPeriod> MergePeriods(const std::string& pcc_id, const std::vector<IspLight>& isps);

// Return the periods whose effective light differs between `before` and
// `after` (same ISPs, same order), merged; `previous` is set when the whole
// period had one state before.
std::vector<LightPeriod> Changes(const std::string& pcc_id, const std::vector<IspLight>& before,
                                 const std::vector<IspLight>& after);

// Check an ISP window [from, to): both aligned to 15 minutes, from < to,
// at most 7 days. Errors name the fields.
absl::Status CheckIspWindow(absl::Time from, absl::Time to);

// The same, for a period the DSO is about to act on: it must not have
// ended at `now` (the past keeps its light).
absl::Status CheckUpcomingIspWindow(absl::Time from, absl::Time to, absl::Time now);

}  // namespace tsodso::core
