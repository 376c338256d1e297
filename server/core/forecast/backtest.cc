#include "core/forecast/backtest.h"

#include <cmath>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/common/time.h"
#include "core/flexibility/engine.h"
#include "core/forecast/band.h"

namespace tsodso::core {
namespace {

absl::StatusOr<std::vector<ForecastIssue>> Issues(absl::Time from, absl::Time to, absl::Duration step,
                                                  const BacktestOptions& options, const absl::TimeZone& zone) {
  if (options.kind == ForecastKind::kDayAhead) {
    return DayAheadIssues(absl::ToCivilDay(from, zone), absl::ToCivilDay(to - step, zone), options.gate_time_of_day, 1,
                          zone);
  }
  if (options.intraday_every < step || options.intraday_every % step != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("intraday_every: ", absl::FormatDuration(options.intraday_every),
                                                   " is not a multiple of ", absl::FormatDuration(step)));
  }
  if (options.intraday_horizon < step || options.intraday_horizon % step != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("intraday_horizon: ", absl::FormatDuration(options.intraday_horizon),
                                                   " is not a multiple of ", absl::FormatDuration(step)));
  }
  return IntradayIssues(AlignDown(from, step), to, options.intraday_every, options.intraday_horizon);
}

// A scored interval: the method's error and the baseline's point.
struct Scored {
  ForecastError error;
  double naive = 0;
};

// Replay `issues` and keep their intervals within [from, to) that have a
// measurement and a baseline value. An issue the history cannot serve is
// an error, or skipped when `skip_unserved`.
absl::StatusOr<std::vector<Scored>> Replay(const LoadForecaster& forecaster, const std::vector<ForecastIssue>& issues,
                                           ForecastKind kind, absl::Time from, absl::Time to, bool skip_unserved,
                                           size_t* served) {
  const Series& history = forecaster.history();
  std::vector<Scored> scored;
  for (const ForecastIssue& issue : issues) {
    auto median = forecaster.Median(issue.at, issue.from, issue.to, kind);
    if (!median.ok()) {
      if (skip_unserved) continue;
      return absl::Status(median.status().code(),
                          absl::StrCat("forecast issued at ", Rfc3339(issue.at), ": ", median.status().message()));
    }
    const std::vector<double> naive = forecaster.WeekBefore(issue.at, issue.from, issue.to);
    ++*served;
    for (size_t i = 0; i < median->size(); ++i) {
      const absl::Time t = issue.from + static_cast<int64_t>(i) * history.step;
      const double actual = history.At(t);
      if (t < from || t >= to || std::isnan(actual) || std::isnan(naive[i])) continue;
      scored.push_back({{issue.at, t, (*median)[i], actual}, naive[i]});
    }
  }
  if (scored.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("from/to: no measured interval in [", Rfc3339(from), ", ", Rfc3339(to), ") to score"));
  }
  return scored;
}

// Return the errors of the band's schedule for the issues of `options` over
// the whole history, to be filtered by what each band may learn from.
std::vector<ForecastError> CalibrationErrors(const LoadForecaster& forecaster, const BacktestOptions& options,
                                             const absl::TimeZone& zone) {
  const Series& history = forecaster.history();
  // Any one issue of the schedule defines it: day-ahead at the gate for
  // the next day, intraday over the backtest's horizon.
  const absl::CivilDay day = absl::ToCivilDay(history.start, zone) + 1;
  const absl::Time gate = DayAheadGate(day, options.gate_time_of_day, zone);
  const ForecastIssue like =
      options.kind == ForecastKind::kDayAhead
          ? ForecastIssue{gate, LocalDayStart(day, zone), LocalDayStart(day + 1, zone)}
          : ForecastIssue{history.start, history.start, history.start + options.intraday_horizon};
  const std::vector<ForecastIssue> issues = forecaster.CalibrationIssues(
      like.at, like.from, like.to, options.kind, history.start - absl::Hours(24 * 2), history.end());
  return forecaster.Errors(issues, options.kind, history.end());
}

// Score every interval with the band `banded` gives it, in total and per
// local month.
BacktestResult Summarize(ForecastKind kind, size_t issues, const std::vector<Scored>& scored,
                         const std::function<QuantilePoint(const ForecastError&)>& banded, const absl::TimeZone& zone) {
  struct Columns {
    std::vector<double> actuals;
    std::vector<QuantilePoint> method, naive;
  };
  Columns all;
  std::map<absl::CivilMonth, Columns> by_month;
  for (const Scored& s : scored) {
    const ForecastError& e = s.error;
    const QuantilePoint band = banded(e);
    const QuantilePoint naive{e.start, s.naive, s.naive, s.naive};
    for (Columns* c : {&all, &by_month[absl::CivilMonth(absl::ToCivilDay(e.start, zone))]}) {
      c->actuals.push_back(e.actual);
      c->method.push_back(band);
      c->naive.push_back(naive);
    }
  }
  BacktestResult result;
  result.kind = kind;
  result.issues = issues;
  result.method = Score(all.actuals, all.method, true);
  result.seasonal_naive = Score(all.actuals, all.naive, false);
  for (const auto& [month, c] : by_month) {
    result.months.push_back({month, Score(c.actuals, c.method, true), Score(c.actuals, c.naive, false)});
  }
  return result;
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
  const LoadForecaster forecaster(history, options.method, zone);
  size_t served = 0;
  auto scored = Replay(forecaster, *issues, options.kind, from, to, false, &served);
  if (!scored.ok()) return scored.status();
  // Each local day's band, from the errors known at its start.
  const std::vector<ForecastError> calibration = CalibrationErrors(forecaster, options, zone);
  // The scale at a day's start reads only errors measured before it.
  const ErrorScale scale(calibration, zone);
  std::map<absl::Time, LoadBand> bands;
  for (const Scored& s : *scored) {
    const absl::Time known_at = BandKnownAt(s.error.issued_at, zone);
    if (bands.contains(known_at)) continue;
    auto band = LoadBand::Fit(ErrorsKnownAt(calibration, known_at, options.method.band_lookback, history.step), scale,
                              zone, s.error.issued_at);
    if (!band.ok()) return band.status();
    bands.emplace(known_at, *std::move(band));
  }
  return Summarize(
      options.kind, served, *scored,
      [&](const ForecastError& e) {
        return bands.at(BandKnownAt(e.issued_at, zone)).At(e.issued_at, e.start, e.p50, scale.At(e.issued_at));
      },
      zone);
}

absl::StatusOr<BacktestResult> RunLeaveOneMonthOut(const Series& history, const BacktestOptions& options,
                                                   const absl::TimeZone& zone) {
  if (history.values.empty()) return absl::InvalidArgumentError("history: no interval");
  // Whole local days only: a month is not scored on a stray hour.
  absl::CivilDay first = absl::ToCivilDay(history.start, zone);
  if (LocalDayStart(first, zone) < history.start) ++first;
  const absl::Time from = LocalDayStart(first, zone);
  const absl::Time to = LocalDayStart(absl::ToCivilDay(history.end(), zone), zone);
  if (from >= to) return absl::InvalidArgumentError("history: not one whole local day");
  auto issues = Issues(from, to, history.step, options, zone);
  if (!issues.ok()) return issues.status();
  const LoadForecaster forecaster(history, options.method, zone);
  size_t served = 0;
  auto scored = Replay(forecaster, *issues, options.kind, from, to, true, &served);
  if (!scored.ok()) return scored.status();
  const std::vector<ForecastError> calibration = CalibrationErrors(forecaster, options, zone);
  // A forecast of the held-out month scales its band by the errors known
  // at its issue, as in operation; the quantiles come from the other
  // months only, each error scaled by what those months alone tell.
  const ErrorScale scale(calibration, zone);
  const auto month_of = [&](const ForecastError& e) { return absl::CivilMonth(absl::ToCivilDay(e.start, zone)); };
  std::map<absl::CivilMonth, LoadBand> bands;
  for (const Scored& s : *scored) {
    const absl::CivilMonth held_out = month_of(s.error);
    if (bands.contains(held_out)) continue;
    std::vector<ForecastError> others;
    for (const ForecastError& e : calibration) {
      if (month_of(e) != held_out) others.push_back(e);
    }
    auto band = LoadBand::Fit(others, ErrorScale(others, zone), zone, s.error.issued_at);
    if (!band.ok()) return band.status();
    bands.emplace(held_out, *std::move(band));
  }
  return Summarize(
      options.kind, served, *scored,
      [&](const ForecastError& e) {
        return bands.at(month_of(e)).At(e.issued_at, e.start, e.p50, scale.At(e.issued_at));
      },
      zone);
}

}  // namespace tsodso::core
