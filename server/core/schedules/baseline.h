// The aggregated baseline of all aggregators' schedules at a PCC: what the
// flexibility engine and the forecasts take as the portfolios' exchange.
#pragma once

#include <vector>

#include "core/flexibility/engine.h"
#include "core/schedules/schedule.h"

namespace tsodso::core {

// Sum the portfolios' schedules per ISP (15 minutes) of [from, to).
// `revisions` holds, for any number of portfolios, the revisions known at
// the time of interest with (at least) their intervals inside the window.
// For each portfolio and ISP the highest revision that covers the ISP
// counts (a revision supersedes earlier ones where it says something, and
// leaves them standing elsewhere); its intervals are averaged over the ISP
// by overlap. A missing Q counts as no change. ISPs no portfolio covers
// are absent.
PccBaseline AggregateBaseline(const std::vector<Schedule>& revisions, absl::Time from, absl::Time to);

}  // namespace tsodso::core
