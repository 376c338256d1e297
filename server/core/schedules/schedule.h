// Aggregators' portfolio schedules (baselines) per PCC: the checks a
// submission must pass before it is stored, and the horizon it may cover.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/registry/party_registry.h"

namespace tsodso::core {

// A portfolio an aggregator registered with the DSO at one PCC, with the
// range its exchange can take (load convention: consumption positive).
struct Portfolio {
  std::string id;
  std::string aggregator;  // party id
  std::string pcc_id;
  double p_min_mw = 0;
  double p_max_mw = 0;
  double q_min_mvar = 0;
  double q_max_mvar = 0;
};

// Check portfolios against the party registry: unique ids, a registered
// aggregator that may see the PCC, p_min <= p_max, q_min <= q_max. Errors
// name `source`, the index and the field.
absl::Status CheckPortfolios(const std::vector<Portfolio>& portfolios, const PartyRegistry& registry,
                             const std::string& source);

struct ScheduleValue {
  absl::Time start;
  double p_mw = 0;
  std::optional<double> q_mvar;
};

// As submitted.
struct ScheduleRequest {
  std::string portfolio_id;
  std::string pcc_id;
  int resolution_minutes = 0;  // 0: the default, 15
  int64_t revision = 0;
  std::vector<ScheduleValue> intervals;
};

struct Schedule {
  std::string portfolio_id;
  std::string pcc_id;
  absl::Duration resolution = absl::Minutes(15);
  int64_t revision = 0;
  std::string submitted_by;
  std::vector<ScheduleValue> intervals;  // contiguous, aligned, in time order
  absl::Time end() const { return intervals.back().start + resolution; }
};

// The most intervals one submission may carry.
inline constexpr int kMaxScheduleIntervals = 2000;

// Where schedules may lie: from the start of the current interval to the
// end of local day D + days_ahead (in `zone`, so that a day has 92, 96 or
// 100 quarter hours around the clock changes; everything stays in UTC).
struct ScheduleHorizon {
  int days_ahead = 2;
  absl::TimeZone zone;
  int max_intervals = kMaxScheduleIntervals;
};
absl::Time HorizonEnd(absl::Time now, const ScheduleHorizon& horizon);

// Check a submission by `party` at `now`: a portfolio of the caller at the
// PCC it names (PERMISSION_DENIED otherwise, also for one that does not
// exist), a resolution of 5, 15, 30 or 60 minutes, a revision >= 1, at
// least one interval, each aligned to the resolution and following the
// previous one, within the horizon, with finite P (and Q) within the
// portfolio's range. INVALID_ARGUMENT lists the offending intervals (the
// first 20 in its message, every one in `problems` when given) with start,
// field and reason.
struct IntervalProblem {
  size_t index = 0;
  absl::Time start;
  std::string field;  // "start", "p_mw" or "q_mvar"
  std::string reason;
};
absl::StatusOr<Schedule> CheckSchedule(const ScheduleRequest& request, const std::vector<Portfolio>& portfolios,
                                       const Party& party, absl::Time now, const ScheduleHorizon& horizon,
                                       std::vector<IntervalProblem>* problems = nullptr);

const Portfolio* FindPortfolio(const std::vector<Portfolio>& portfolios, const std::string& id);

// The ISPs (15-minute) an interval of `resolution` starting at `start`
// touches.
std::vector<absl::Time> IspsOf(absl::Time start, absl::Duration resolution);

}  // namespace tsodso::core
