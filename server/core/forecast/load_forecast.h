// Demand forecast of a PCC from its own measured history, by similar-day
// averaging with a level correction and empirical quantiles of the
// method's own past errors (docs/FORECASTING.md).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/forecast/series.h"

namespace tsodso::core {

enum class ForecastKind { kDayAhead, kIntraday };

// Return "day-ahead" or "intraday".
std::string ForecastKindName(ForecastKind kind);
// Read "day-ahead" or "intraday".
bool ParseForecastKind(const std::string& text, ForecastKind* kind);

// One forecast interval [start, start + step): the median and the 10 % and
// 90 % quantiles, in the history's unit.
struct QuantilePoint {
  absl::Time start;
  double p10 = 0, p50 = 0, p90 = 0;
};

struct ForecastMethod {
  // Similar days averaged per quarter hour (the most recent ones known).
  int similar_days = 6;
  // Weight of each similar day relative to the next more recent one (1: a
  // plain mean).
  double similar_day_decay = 0.6;
  // The level correction is the mean error of the similar-day average over
  // this window before the issue time.
  absl::Duration level_window = absl::Hours(24);
  // Intraday: the latest deviation is measured over this window.
  absl::Duration deviation_window = absl::Hours(1);
  // Intraday: days of hourly issues whose errors give the persistence of
  // the latest deviation.
  int persistence_days = 28;
  // History older than this before the issue time is not read by the
  // median.
  absl::Duration lookback = absl::Hours(24 * 7 * 14);
  // Past errors within this span before the issue's local day form the
  // band: a year holds every season and holiday period once.
  absl::Duration band_lookback = absl::Hours(24 * 366);
  // Intraday: the band is calibrated on hourly issues of at least this
  // horizon.
  absl::Duration intraday_band_horizon = absl::Hours(6);
  absl::Duration min_history = absl::Hours(24 * 14);
  absl::Duration max_day_ahead_horizon = absl::Hours(48);
  absl::Duration max_intraday_horizon = absl::Hours(24);
};

// Calendar classes of a local day: days of one class share a load shape.
enum class DayType { kWorkday, kSaturday, kSundayOrHoliday };

// Return Easter Sunday of the Gregorian calendar (anonymous algorithm,
// Meeus/Jones/Butcher).
absl::CivilDay EasterSunday(int year);
// Whether the day is an Italian national holiday: 1 and 6 January, Easter
// Monday, 25 April, 1 May, 2 June, 15 August, 1 November, 8, 25 and
// 26 December.
bool IsItalianHoliday(absl::CivilDay day);
DayType ClassifyDay(absl::CivilDay day);
// Whether the day lies in a holiday period: the Christmas-Epiphany
// fortnight (24 December to 6 January), Easter week (Thursday before to
// Tuesday after Easter Sunday), the mid-August shutdown of northern
// industry (8 to 25 August) or a bridge day (a Monday before a Tuesday
// holiday, a Friday after a Thursday holiday).
bool InHolidayPeriod(absl::CivilDay day);

// Return the instant the local day begins.
absl::Time LocalDayStart(absl::CivilDay day, const absl::TimeZone& zone);
// Return when the day-ahead forecast for `delivery_day` is issued: local
// clock time `gate_time_of_day` on the day before.
absl::Time DayAheadGate(absl::CivilDay delivery_day, absl::Duration gate_time_of_day, const absl::TimeZone& zone);

// One forecast issue: when, and the window it covers.
struct ForecastIssue {
  absl::Time at;
  absl::Time from;
  absl::Time to;
};

// Return a day-ahead issue for each local day of [first, last]: at local
// clock time `time_of_day`, `days_ahead` days before, for the whole day.
std::vector<ForecastIssue> DayAheadIssues(absl::CivilDay first, absl::CivilDay last, absl::Duration time_of_day,
                                          int days_ahead, const absl::TimeZone& zone);
// Return an issue every `every` in [from, to), each for `horizon` ahead.
std::vector<ForecastIssue> IntradayIssues(absl::Time from, absl::Time to, absl::Duration every, absl::Duration horizon);

// One forecast interval of a past issue beside what was measured.
struct ForecastError {
  absl::Time issued_at;
  absl::Time start;
  double p50 = 0;
  double actual = 0;
};

// The history arranged by local day and clock slot, built once and asked
// for forecasts as issued at any time: each reads only the intervals that
// ended by its issue time.
class LoadForecaster {
 public:
  LoadForecaster(Series history, const ForecastMethod& method, const absl::TimeZone& zone);
  LoadForecaster(const LoadForecaster&) = delete;
  LoadForecaster& operator=(const LoadForecaster&) = delete;
  ~LoadForecaster();

  const Series& history() const;

  // Return the median (P50) of every interval of [from, to) as issued at
  // `issued_at`. Day-ahead: the similar-day average (same weekday, Sundays
  // and holidays pooled; matched by local clock time) plus the level
  // correction. Intraday adds the latest measured deviation, times its
  // persistence at each lead time as estimated on the history. Errors name
  // the field and its value.
  absl::StatusOr<std::vector<double>> Median(absl::Time issued_at, absl::Time from, absl::Time to,
                                             ForecastKind kind) const;
  // Return the same local clock time one week earlier, as known at
  // `issued_at`; NaN where it is missing.
  std::vector<double> WeekBefore(absl::Time issued_at, absl::Time from, absl::Time to) const;

  // Return the errors of `issues` on the intervals measured by `known_at`
  // (issues the history cannot serve are left out).
  std::vector<ForecastError> Errors(const std::vector<ForecastIssue>& issues, ForecastKind kind,
                                    absl::Time known_at) const;
  // Return the issues of the band's schedule for a forecast issued at
  // `issued_at` for [from, to) that are issued within (begin, end):
  // day-ahead the same local clock time and days ahead, intraday hourly
  // over the same horizon (at least the band's intraday horizon).
  std::vector<ForecastIssue> CalibrationIssues(absl::Time issued_at, absl::Time from, absl::Time to, ForecastKind kind,
                                               absl::Time begin, absl::Time end) const;

  // The arrangement of the history (internal).
  class Table;

 private:
  std::unique_ptr<Table> table_;
};

// Return the instant up to which the band of a forecast issued at
// `issued_at` learns from errors: the start of its local day, so that every
// issue of a day shares one band.
absl::Time BandKnownAt(absl::Time issued_at, const absl::TimeZone& zone);
// Return the errors the band learns from at `known_at`: issues of the
// `lookback` before it, on intervals measured by then.
std::vector<ForecastError> ErrorsKnownAt(const std::vector<ForecastError>& errors, absl::Time known_at,
                                         absl::Duration lookback, absl::Duration step);

// Return how much history before the issue time a forecast reads: the
// band's lookback before the issue's local day, and the median's lookback
// before that.
absl::Duration HistoryRead(const ForecastMethod& method);

// Forecast every interval of [from, to) (on the history's grid) as issued at
// `issued_at`, from history values of intervals that ended by then only:
// the median of LoadForecaster, with P10 and P90 from the band fitted on
// the forecaster's own errors known at the start of the issue's local day
// (same schedule, within the band's lookback). Errors name the field and
// its value.
absl::StatusOr<std::vector<QuantilePoint>> ForecastLoad(const Series& history, absl::Time issued_at, absl::Time from,
                                                        absl::Time to, ForecastKind kind, const ForecastMethod& method,
                                                        const absl::TimeZone& zone);

// Forecast [from, to) as the same local clock time one week earlier (the
// seasonal-naive baseline), as known at `issued_at`; all three quantiles
// carry that value, NaN where it is missing.
absl::StatusOr<std::vector<QuantilePoint>> SeasonalNaive(const Series& history, absl::Time issued_at, absl::Time from,
                                                         absl::Time to, const absl::TimeZone& zone);

}  // namespace tsodso::core
