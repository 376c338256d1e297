#include "core/schedules/schedule.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/time.h"
#include "core/flexibility/engine.h"

namespace tsodso::core {
absl::Status CheckPortfolios(const std::vector<Portfolio>& portfolios, const PartyRegistry& registry,
                             const std::string& source) {
  std::set<std::string> ids;
  for (size_t i = 0; i < portfolios.size(); ++i) {
    const Portfolio& p = portfolios[i];
    const std::string where = absl::StrCat(source, ": portfolios[", i, "] (", p.id, ")");
    if (p.id.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ".id: must not be empty"));
    if (!ids.insert(p.id).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".id: '", p.id, "' appears twice"));
    }
    const Party* owner = registry.FindById(p.aggregator);
    if (owner == nullptr || owner->role != Role::kAggregator) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".aggregator: '", p.aggregator, "' is not a registered aggregator"));
    }
    if (registry.FindPcc(p.pcc_id) == nullptr || !owner->MaySeePcc(p.pcc_id)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".pcc: '", p.pcc_id, "' is not a PCC of aggregator '", p.aggregator, "'"));
    }
    if (!(p.p_min_mw <= p.p_max_mw) || !std::isfinite(p.p_min_mw) || !std::isfinite(p.p_max_mw)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".p_min_mw, p_max_mw: ", p.p_min_mw, " .. ", p.p_max_mw, " is not a range"));
    }
    if (!(p.q_min_mvar <= p.q_max_mvar) || !std::isfinite(p.q_min_mvar) || !std::isfinite(p.q_max_mvar)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".q_min_mvar, q_max_mvar: ", p.q_min_mvar, " .. ", p.q_max_mvar, " is not a range"));
    }
  }
  return absl::OkStatus();
}

const Portfolio* FindPortfolio(const std::vector<Portfolio>& portfolios, const std::string& id) {
  for (const Portfolio& p : portfolios) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

absl::Time HorizonEnd(absl::Time now, const ScheduleHorizon& horizon) {
  const absl::CivilDay today = absl::ToCivilDay(now, horizon.zone);
  return absl::FromCivil(today + horizon.days_ahead + 1, horizon.zone);
}

absl::StatusOr<Schedule> CheckSchedule(const ScheduleRequest& request, const std::vector<Portfolio>& portfolios,
                                       const Party& party, absl::Time now, const ScheduleHorizon& horizon,
                                       std::vector<IntervalProblem>* problems) {
  const Portfolio* portfolio = FindPortfolio(portfolios, request.portfolio_id);
  // Another aggregator's portfolio and one that does not exist look alike.
  if (portfolio == nullptr || portfolio->aggregator != party.id) {
    return absl::PermissionDeniedError(
        absl::StrCat("portfolio_id: '", request.portfolio_id, "' is not a portfolio of party '", party.id, "'"));
  }
  if (request.pcc_id != portfolio->pcc_id) {
    return absl::InvalidArgumentError(absl::StrCat("pcc_id: portfolio '", portfolio->id, "' is registered at PCC '",
                                                   portfolio->pcc_id, "', not '", request.pcc_id, "'"));
  }
  Schedule out;
  out.portfolio_id = portfolio->id;
  out.pcc_id = portfolio->pcc_id;
  out.submitted_by = party.id;
  const int minutes = request.resolution_minutes == 0 ? 15 : request.resolution_minutes;
  if (minutes != 5 && minutes != 15 && minutes != 30 && minutes != 60) {
    return absl::InvalidArgumentError(
        absl::StrCat("resolution_minutes: ", request.resolution_minutes, " is not 5, 15, 30 or 60"));
  }
  out.resolution = absl::Minutes(minutes);
  if (request.revision < 1) {
    return absl::InvalidArgumentError(absl::StrCat("revision: ", request.revision, " must be 1 or more"));
  }
  out.revision = request.revision;
  if (request.intervals.empty()) return absl::InvalidArgumentError("intervals: a schedule needs at least one");
  if (static_cast<int>(request.intervals.size()) > horizon.max_intervals) {
    return absl::InvalidArgumentError(
        absl::StrCat("intervals: ", request.intervals.size(), " is more than ", horizon.max_intervals));
  }

  const absl::Time earliest =
      absl::FromUnixSeconds(absl::ToUnixSeconds(now) - absl::ToUnixSeconds(now) % absl::ToInt64Seconds(out.resolution));
  const absl::Time latest = HorizonEnd(now, horizon);
  std::vector<IntervalProblem> found;
  auto problem = [&](size_t i, absl::Time start, const std::string& field, const std::string& reason) {
    found.push_back({i, start, field, reason});
  };
  for (size_t i = 0; i < request.intervals.size(); ++i) {
    const ScheduleValue& v = request.intervals[i];
    if (!IsAligned(v.start, out.resolution)) {
      problem(i, v.start, "start", absl::StrCat("not aligned to ", minutes, " minutes"));
    } else if (i > 0 && v.start != request.intervals[i - 1].start + out.resolution) {
      problem(
          i, v.start, "start",
          absl::StrCat("does not follow ", Rfc3339(request.intervals[i - 1].start), " (intervals must be contiguous)"));
    }
    if (v.start < earliest) problem(i, v.start, "start", "lies in the past");
    if (v.start + out.resolution > latest) {
      problem(i, v.start, "start", absl::StrCat("ends after the accepted horizon ", Rfc3339(latest)));
    }
    if (!std::isfinite(v.p_mw)) {
      problem(i, v.start, "p_mw", "is not a number");
    } else if (v.p_mw < portfolio->p_min_mw || v.p_mw > portfolio->p_max_mw) {
      problem(
          i, v.start, "p_mw",
          absl::StrCat(v.p_mw, " is outside the portfolio's range ", portfolio->p_min_mw, " .. ", portfolio->p_max_mw));
    }
    if (v.q_mvar.has_value()) {
      if (!std::isfinite(*v.q_mvar)) {
        problem(i, v.start, "q_mvar", "is not a number");
      } else if (*v.q_mvar < portfolio->q_min_mvar || *v.q_mvar > portfolio->q_max_mvar) {
        problem(i, v.start, "q_mvar",
                absl::StrCat(*v.q_mvar, " is outside the portfolio's range ", portfolio->q_min_mvar, " .. ",
                             portfolio->q_max_mvar));
      }
    }
  }
  if (!found.empty()) {
    constexpr size_t kNamedInMessage = 20;
    std::vector<std::string> named;
    for (size_t k = 0; k < found.size() && k < kNamedInMessage; ++k) {
      const IntervalProblem& p = found[k];
      named.push_back(absl::StrCat("intervals[", p.index, "] (", Rfc3339(p.start), ").", p.field, ": ", p.reason));
    }
    std::string message = absl::StrJoin(named, "; ");
    if (found.size() > named.size()) absl::StrAppend(&message, "; and ", found.size() - named.size(), " more");
    if (problems != nullptr) *problems = std::move(found);
    return absl::InvalidArgumentError(message);
  }
  out.intervals = request.intervals;
  return out;
}

std::vector<absl::Time> IspsOf(absl::Time start, absl::Duration resolution) {
  std::vector<absl::Time> out;
  for (absl::Time t = AlignDown(start, kIsp); t < start + resolution; t += kIsp) out.push_back(t);
  return out;
}

}  // namespace tsodso::core
