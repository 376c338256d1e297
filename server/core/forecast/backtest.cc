#include "core/forecast/backtest.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/common/time.h"
#include "core/flexibility/engine.h"

namespace tsodso::core {
namespace {

// One forecast issue: when, and the window it covers.
struct Issue {
  absl::Time at;
  absl::Time from;
  absl::Time to;
};

absl::StatusOr<std::vector<Issue>> Issues(absl::Time from, absl::Time to, absl::Duration step,
                                          const BacktestOptions& options, const absl::TimeZone& zone) {
  std::vector<Issue> issues;
  if (options.kind == ForecastKind::kDayAhead) {
    for (absl::CivilDay day = absl::ToCivilDay(from, zone); day <= absl::ToCivilDay(to - step, zone); ++day) {
      issues.push_back(
          {DayAheadGate(day, options.gate_time_of_day, zone), LocalDayStart(day, zone), LocalDayStart(day + 1, zone)});
    }
    return issues;
  }
  if (options.intraday_every < step || options.intraday_every % step != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("intraday_every: ", absl::FormatDuration(options.intraday_every),
                                                   " is not a multiple of ", absl::FormatDuration(step)));
  }
  if (options.intraday_horizon < step || options.intraday_horizon % step != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("intraday_horizon: ", absl::FormatDuration(options.intraday_horizon),
                                                   " is not a multiple of ", absl::FormatDuration(step)));
  }
  for (absl::Time t = AlignDown(from, step); t < to; t += options.intraday_every) {
    issues.push_back({t, t, t + options.intraday_horizon});
  }
  return issues;
}

}  // namespace

double PinballLoss(double q, double actual, double forecast) {
  const double miss = actual - forecast;
  return miss >= 0 ? q * miss : (q - 1) * miss;
}

ForecastScores Score(const std::vector<double>& actuals, const std::vector<QuantilePoint>& forecasts, bool banded) {
  ForecastScores s;
  s.points = actuals.size();
  if (s.points == 0) return s;
  size_t nonzero = 0, covered = 0;
  for (size_t i = 0; i < actuals.size(); ++i) {
    const double y = actuals[i];
    const QuantilePoint& f = forecasts[i];
    s.mean_actual += y;
    s.mae += std::abs(y - f.p50);
    if (y != 0) {
      s.mape_pct += std::abs((y - f.p50) / y);
      ++nonzero;
    }
    s.pinball_p10 += PinballLoss(0.1, y, f.p10);
    s.pinball_p50 += PinballLoss(0.5, y, f.p50);
    s.pinball_p90 += PinballLoss(0.9, y, f.p90);
    if (f.p10 <= y && y <= f.p90) ++covered;
  }
  const auto n = static_cast<double>(s.points);
  s.mean_actual /= n;
  s.mae /= n;
  s.mape_pct = nonzero > 0 ? 100.0 * s.mape_pct / static_cast<double>(nonzero) : 0.0;
  s.pinball_p10 /= n;
  s.pinball_p50 /= n;
  s.pinball_p90 /= n;
  if (banded) s.coverage_pct = 100.0 * static_cast<double>(covered) / n;
  return s;
}

absl::StatusOr<BacktestResult> RunBacktest(const Series& history, absl::Time from, absl::Time to,
                                           const BacktestOptions& options, const absl::TimeZone& zone) {
  if (from >= to) {
    return absl::InvalidArgumentError(absl::StrCat("from: ", Rfc3339(from), " is not before to ", Rfc3339(to)));
  }
  auto issues = Issues(from, to, history.step, options, zone);
  if (!issues.ok()) return issues.status();
  BacktestResult result;
  result.kind = options.kind;
  std::vector<double> actuals;
  std::vector<QuantilePoint> method, naive;
  for (const Issue& issue : *issues) {
    auto forecast = ForecastLoad(history, issue.at, issue.from, issue.to, options.kind, options.method, zone);
    if (!forecast.ok()) {
      return absl::Status(forecast.status().code(),
                          absl::StrCat("forecast issued at ", Rfc3339(issue.at), ": ", forecast.status().message()));
    }
    auto baseline = SeasonalNaive(history, issue.at, issue.from, issue.to, zone);
    if (!baseline.ok()) return baseline.status();
    ++result.issues;
    for (size_t i = 0; i < forecast->size(); ++i) {
      const absl::Time t = (*forecast)[i].start;
      const double actual = history.At(t);
      if (t < from || t >= to || std::isnan(actual) || std::isnan((*baseline)[i].p50)) continue;
      actuals.push_back(actual);
      method.push_back((*forecast)[i]);
      naive.push_back((*baseline)[i]);
    }
  }
  if (actuals.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("from/to: no measured interval in [", Rfc3339(from), ", ", Rfc3339(to), ") to score"));
  }
  result.method = Score(actuals, method, true);
  result.seasonal_naive = Score(actuals, naive, false);
  return result;
}

}  // namespace tsodso::core
