// Demand forecast of a PCC from its own measured history, by similar-day
// averaging with a level correction and empirical quantiles of the
// method's own past errors (docs/FORECASTING.md).
#pragma once

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
  // Past days (day-ahead) or days of hourly issues (intraday) whose
  // forecast errors give the quantiles.
  int calibration_days = 28;
  // History older than this before the issue time is not read.
  absl::Duration lookback = absl::Hours(24 * 7 * 14);
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

// Return the instant the local day begins.
absl::Time LocalDayStart(absl::CivilDay day, const absl::TimeZone& zone);
// Return when the day-ahead forecast for `delivery_day` is issued: local
// clock time `gate_time_of_day` on the day before.
absl::Time DayAheadGate(absl::CivilDay delivery_day, absl::Duration gate_time_of_day, const absl::TimeZone& zone);

// Forecast every interval of [from, to) (on the history's grid) as issued at
// `issued_at`, from history values of intervals that ended by then only.
// Day-ahead: the similar-day average (same weekday, Sundays and holidays
// pooled; matched by local clock time in `zone`) plus the level
// correction. Intraday adds the latest measured deviation, times its
// persistence at each lead time as estimated on the history. P10/P90 add
// empirical quantiles of past errors per local hour (day-ahead) or lead
// hour (intraday). Errors name the field and its value.
absl::StatusOr<std::vector<QuantilePoint>> ForecastLoad(const Series& history, absl::Time issued_at, absl::Time from,
                                                        absl::Time to, ForecastKind kind, const ForecastMethod& method,
                                                        const absl::TimeZone& zone);

// Forecast [from, to) as the same local clock time one week earlier (the
// seasonal-naive baseline), as known at `issued_at`; all three quantiles
// carry that value, NaN where it is missing.
absl::StatusOr<std::vector<QuantilePoint>> SeasonalNaive(const Series& history, absl::Time issued_at, absl::Time from,
                                                         absl::Time to, const absl::TimeZone& zone);

}  // namespace tsodso::core
