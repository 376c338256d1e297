// The aggregated baseline of all aggregators' schedules at a PCC: what the
// flexibility engine and the forecasts take as the portfolios' exchange.
#pragma once

#include <utility>
#include <vector>

#include "core/flexibility/engine.h"
#include "core/schedules/schedule.h"

namespace tsodso::core {

// Sum the portfolios' schedules per ISP (15 minutes) of [from, to).
// `revisions` holds, for any number of portfolios, revisions known at the
// time of interest with (at least) their intervals inside the window. A
// portfolio's latest revision is its schedule: it supersedes the earlier
// ones wholly, as it does for the traffic light (an ISP it leaves out has
// no schedule of that portfolio). Its intervals are averaged over each ISP
// by overlap; a missing Q counts as no change. ISPs no portfolio covers
// are absent.
PccBaseline AggregateBaseline(const std::vector<Schedule>& revisions, absl::Time from, absl::Time to);

// A portfolio's schedules placed on the DSO's network: its baseline spread
// equally over the buses of its qualified assets (no buses: not placeable).
struct PlacedBaseline {
  std::vector<int> buses;
  PccBaseline baseline;
};

// Return the PCC's baseline: the portfolios' summed.
PccBaseline SumBaselines(const std::vector<PlacedBaseline>& portfolios);

// Return the injections (bus, MW / Mvar, generator convention: scheduled
// consumption is negative) the placed schedules make over
// [start, start + step), a portfolio's shared equally among its buses.
std::vector<std::pair<int, PqPoint>> ScheduledInjections(const std::vector<PlacedBaseline>& placed, absl::Time start,
                                                         absl::Duration step);

}  // namespace tsodso::core
