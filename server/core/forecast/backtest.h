// Replay of the load forecaster over a past period, issuing each forecast
// as it would have been issued then, beside the seasonal-naive baseline.
#pragma once

#include <limits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/forecast/load_forecast.h"
#include "core/forecast/series.h"

namespace tsodso::core {

struct BacktestOptions {
  ForecastKind kind = ForecastKind::kDayAhead;
  ForecastMethod method;
  // Day-ahead: the gate, as local clock time on the day before delivery.
  absl::Duration gate_time_of_day = absl::Hours(12);
  // Intraday: a forecast of `intraday_horizon` every `intraday_every`.
  absl::Duration intraday_every = absl::Minutes(15);
  absl::Duration intraday_horizon = absl::Hours(6);
};

// How far one forecaster was from the measurements, over every scored
// (issue, interval) pair, in the history's unit.
struct ForecastScores {
  size_t points = 0;
  double mean_actual = 0;
  double mae = 0;       // of P50
  double mape_pct = 0;  // of P50, over intervals with a non-zero actual
  double pinball_p10 = 0, pinball_p50 = 0, pinball_p90 = 0;
  // Share of actuals within [P10, P90]; NaN for a point forecast.
  double coverage_pct = std::numeric_limits<double>::quiet_NaN();
};

// The scores of the intervals of one local calendar month.
struct MonthScores {
  absl::CivilMonth month;
  ForecastScores method;
  ForecastScores seasonal_naive;
};

struct BacktestResult {
  ForecastKind kind = ForecastKind::kDayAhead;
  size_t issues = 0;
  ForecastScores method;
  ForecastScores seasonal_naive;
  std::vector<MonthScores> months;
};

// Return the pinball (quantile) loss of `forecast` as quantile q of `actual`.
double PinballLoss(double q, double actual, double forecast);

// Score forecasts against actuals (same length); `banded` says whether
// P10/P90 are a band (else coverage stays NaN).
ForecastScores Score(const std::vector<double>& actuals, const std::vector<QuantilePoint>& forecasts, bool banded);

// Replay [from, to): day-ahead issues at the gate before each local day
// that meets the window and forecasts that whole day; intraday issues every
// `intraday_every` from `from`. Every forecast reads only the history known
// at its issue, and its band the errors known at the start of its local
// day, as ForecastLoad does; intervals within [from, to) with a
// measurement and a baseline value are scored, for the method and the
// seasonal-naive baseline alike.
absl::StatusOr<BacktestResult> RunBacktest(const Series& history, absl::Time from, absl::Time to,
                                           const BacktestOptions& options, const absl::TimeZone& zone);

// Leave one month out: replay every issue the history can serve (the
// median reads only the history known at its issue), and score each local
// calendar month with the band fitted on the errors of all the other
// months. `months` holds one entry per month; the totals pool them.
absl::StatusOr<BacktestResult> RunLeaveOneMonthOut(const Series& history, const BacktestOptions& options,
                                                   const absl::TimeZone& zone);

}  // namespace tsodso::core
