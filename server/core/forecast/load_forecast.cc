#include "core/forecast/load_forecast.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/common/time.h"
#include "core/flexibility/engine.h"
#include "core/forecast/band.h"

namespace tsodso::core {
namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
// Sundays and holidays form one class; other days are matched by weekday.
constexpr int kSundayOrHolidayClass = 7;

int SimilarDayClass(absl::CivilDay day) {
  if (ClassifyDay(day) == DayType::kSundayOrHoliday) return kSundayOrHolidayClass;
  return static_cast<int>(absl::GetWeekday(day));  // Monday 0 .. Saturday 5
}

// Where an instant falls on the local calendar: the day (counted from the
// first day of the table) and the clock slot within it. Both quarter hours
// of the repeated autumn hour fall on the same slot.
struct LocalSlot {
  int day = 0;
  int slot = 0;
};

absl::Status ValidateWindow(const Series& history, absl::Time issued_at, absl::Time from, absl::Time to) {
  if (history.step < absl::Minutes(1) || absl::Hours(24) % history.step != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("history: step ", absl::FormatDuration(history.step), " does not divide a day"));
  }
  if (!IsAligned(from, history.step)) {
    return absl::InvalidArgumentError(
        absl::StrCat("from: ", Rfc3339(from), " is not on the ", absl::FormatDuration(history.step), " grid"));
  }
  if (!IsAligned(to, history.step)) {
    return absl::InvalidArgumentError(
        absl::StrCat("to: ", Rfc3339(to), " is not on the ", absl::FormatDuration(history.step), " grid"));
  }
  if (from >= to) {
    return absl::InvalidArgumentError(absl::StrCat("from: ", Rfc3339(from), " is not before to ", Rfc3339(to)));
  }
  if (from < AlignDown(issued_at, history.step)) {
    return absl::InvalidArgumentError(
        absl::StrCat("from: ", Rfc3339(from), " lies before issued_at ", Rfc3339(issued_at)));
  }
  return absl::OkStatus();
}

// A workday between a holiday and the weekend.
bool IsBridgeDay(absl::CivilDay day) {
  if (ClassifyDay(day) != DayType::kWorkday) return false;
  const absl::Weekday weekday = absl::GetWeekday(day);
  return (weekday == absl::Weekday::monday && IsItalianHoliday(day + 1)) ||
         (weekday == absl::Weekday::friday && IsItalianHoliday(day - 1));
}

}  // namespace

// The history by local day and clock slot, with the similar-day average of
// every slot and the running sum of its errors. A question "as known at T"
// reads only intervals that ended by T: `known` below is the number of
// such intervals, and a day's slot counts only once all of it is known.
class LoadForecaster::Table {
 public:
  Table(Series history, const ForecastMethod& method, const absl::TimeZone& zone)
      : series_(std::move(history)),
        method_(method),
        zone_(zone),
        first_day_(absl::ToCivilDay(series_.start, zone)),
        days_(series_.values.empty()
                  ? 0
                  : static_cast<int>(absl::ToCivilDay(series_.end() - series_.step, zone) - first_day_) + 1),
        slots_(static_cast<int>(absl::Hours(24) / series_.step)),
        lookback_days_(static_cast<int>(absl::ToInt64Hours(method.lookback) / 24)) {
    const size_t cells = static_cast<size_t>(days_) * slots_;
    std::vector<double> sum(cells, 0.0);
    std::vector<int> count(cells, 0);
    cell_end_.assign(cells, 0);
    where_.reserve(series_.values.size());
    for (size_t i = 0; i < series_.values.size(); ++i) {
      where_.push_back(Locate(series_.TimeAt(i)));
      const size_t cell = Cell(where_.back());
      cell_end_[cell] = i + 1;
      if (std::isnan(series_.values[i])) continue;
      sum[cell] += series_.values[i];
      ++count[cell];
    }
    by_slot_.resize(cells);
    for (size_t c = 0; c < cells; ++c) by_slot_[c] = count[c] > 0 ? sum[c] / count[c] : kMissing;
    day_class_.resize(days_);
    holiday_period_.resize(days_);
    for (int d = 0; d < days_; ++d) {
      day_class_[d] = SimilarDayClass(first_day_ + d);
      holiday_period_[d] = InHolidayPeriod(first_day_ + d);
    }
    // Every day's slots are known once the day is over: the average over
    // earlier days is the same whatever later issue asks for it.
    similar_.resize(cells);
    for (int d = 0; d < days_; ++d) {
      for (int s = 0; s < slots_; ++s) similar_[Cell({d, s})] = SimilarAsOf({d, s}, series_.values.size());
    }
    bias_sum_.assign(series_.values.size() + 1, 0.0);
    bias_count_.assign(series_.values.size() + 1, 0);
    next_known_.assign(series_.values.size() + 1, series_.values.size());
    for (size_t i = 0; i < series_.values.size(); ++i) {
      const double b = Bias(i);
      bias_sum_[i + 1] = bias_sum_[i] + (std::isnan(b) ? 0.0 : b);
      bias_count_[i + 1] = bias_count_[i] + (std::isnan(b) ? 0 : 1);
    }
    for (size_t i = series_.values.size(); i-- > 0;) {
      next_known_[i] = std::isnan(series_.values[i]) ? next_known_[i + 1] : i;
    }
  }

  const Series& series() const { return series_; }
  const ForecastMethod& method() const { return method_; }
  const absl::TimeZone& zone() const { return zone_; }

  LocalSlot Locate(absl::Time t) const {
    const absl::CivilMinute local = absl::ToCivilMinute(t, zone_);
    const int minute_of_day = local.hour() * 60 + local.minute();
    return {static_cast<int>(absl::CivilDay(local) - first_day_),
            static_cast<int>(absl::Minutes(minute_of_day) / series_.step)};
  }

  // Return the number of intervals that ended by t.
  size_t KnownAt(absl::Time t) const {
    if (t <= series_.start) return 0;
    return static_cast<size_t>(
        std::min<int64_t>((t - series_.start) / series_.step, static_cast<int64_t>(series_.values.size())));
  }
  size_t IndexAtOrAfter(absl::Time t) const {
    if (t <= series_.start) return 0;
    const int64_t steps = (t - series_.start + series_.step - absl::Nanoseconds(1)) / series_.step;
    return static_cast<size_t>(std::min<int64_t>(steps, static_cast<int64_t>(series_.values.size())));
  }
  // Return the first known interval at or after index i and before `known`.
  std::optional<size_t> FirstKnown(size_t i, size_t known) const {
    const size_t first = next_known_[std::min(i, series_.values.size())];
    if (first >= known) return std::nullopt;
    return first;
  }

  // Return the weighted average of the slot over the most recent earlier
  // days of the same class that have it, known by interval `known`, within
  // the lookback (a 92-quarter-hour day lacks 02:00-02:45 and is skipped
  // there); NaN without any. A day in a holiday period is no similar day
  // of a day outside one: the weeks after Epiphany or the August shutdown
  // would otherwise be forecast from the holidays.
  double SimilarAsOf(LocalSlot at, size_t known) const {
    if (at.day < 0 || at.slot < 0 || at.slot >= slots_) return kMissing;
    const absl::CivilDay target = first_day_ + at.day;
    const int target_class = at.day < days_ ? day_class_[at.day] : SimilarDayClass(target);
    const bool target_in_holidays = at.day < days_ ? holiday_period_[at.day] : InHolidayPeriod(target);
    double sum = 0, weights = 0, weight = 1;
    int found = 0;
    for (int e = std::min(at.day, days_) - 1; e >= 0 && e >= at.day - lookback_days_ && found < method_.similar_days;
         --e) {
      if (day_class_[e] != target_class || (holiday_period_[e] && !target_in_holidays)) continue;
      const size_t cell = Cell({e, at.slot});
      const double v = by_slot_[cell];
      if (std::isnan(v) || cell_end_[cell] > known) continue;
      sum += weight * v;
      weights += weight;
      weight *= method_.similar_day_decay;
      ++found;
    }
    return found > 0 ? sum / weights : kMissing;
  }

  // Return the value of the slot `days_back` days before t as known by
  // interval `known` (the mean of both quarter hours of the repeated
  // autumn hour); NaN when missing.
  double DaysBefore(absl::Time t, int days_back, size_t known) const {
    LocalSlot at = Locate(t);
    at.day -= days_back;
    if (at.day < 0 || at.day >= days_ || at.slot < 0 || at.slot >= slots_) return kMissing;
    const size_t cell = Cell(at);
    return cell_end_[cell] > known ? kMissing : by_slot_[cell];
  }

  // Return the mean error of the similar-day average over the intervals
  // within [from, to) known by interval `known`; 0 without any.
  double MeanBias(absl::Time from, absl::Time to, size_t known) const {
    const size_t first = IndexAtOrAfter(from);
    const size_t last = std::max(first, std::min(IndexAtOrAfter(to), known));
    const int count = bias_count_[last] - bias_count_[first];
    return count > 0 ? (bias_sum_[last] - bias_sum_[first]) / count : 0.0;
  }
  // The error of the similar-day average in interval i (NaN when either is
  // missing).
  double Bias(size_t i) const { return series_.values[i] - similar_[Cell(where_[i])]; }

 private:
  size_t Cell(LocalSlot at) const { return static_cast<size_t>(at.day) * slots_ + at.slot; }

  Series series_;
  ForecastMethod method_;
  absl::TimeZone zone_;
  absl::CivilDay first_day_;
  int days_;
  int slots_;
  int lookback_days_;
  std::vector<LocalSlot> where_;
  std::vector<double> by_slot_;
  // One past the last interval of each cell: the cell is known once that
  // many intervals are.
  std::vector<size_t> cell_end_;
  std::vector<int> day_class_;
  std::vector<bool> holiday_period_;
  std::vector<double> similar_;
  std::vector<double> bias_sum_;
  std::vector<int> bias_count_;
  std::vector<size_t> next_known_;
};

namespace {

using Table = LoadForecaster::Table;

// Return the similar-day average of the interval that starts at t.
absl::StatusOr<double> SimilarAt(const Table& table, absl::Time t, absl::Time issued_at, size_t known) {
  const double similar = table.SimilarAsOf(table.Locate(t), known);
  if (std::isnan(similar)) {
    return absl::FailedPreconditionError(
        absl::StrCat("history: no similar day of ", Rfc3339(t), " is known before issued_at ", Rfc3339(issued_at)));
  }
  return similar;
}

// Return the gain of the level correction for a day-ahead forecast: the
// least-squares coefficient, through the origin and clipped to [0, 1], of
// the similar-day average's errors on the same window one to
// `persistence_days` days earlier on the level correction of their own
// issue. A level measured against few similar days is mostly their noise,
// which the next day does not repeat; the gain falls accordingly.
double LevelGain(const Table& table, absl::Time issued_at, absl::Time from, absl::Time to, size_t known) {
  const ForecastMethod& method = table.method();
  const Series& series = table.series();
  double cross = 0, square = 0;
  for (int k = 1; k <= method.persistence_days; ++k) {
    const absl::Duration back = absl::Hours(24 * k);
    const absl::Time t = issued_at - back;
    if (t - method.level_window < series.start) break;
    const double level = table.MeanBias(t - method.level_window, t, known);
    for (size_t i = table.IndexAtOrAfter(from - back); i < known && series.TimeAt(i) < to - back; ++i) {
      const double residual = table.Bias(i);
      if (std::isnan(residual)) continue;
      cross += level * residual;
      square += level * level;
    }
  }
  return square > 0 ? std::clamp(cross / square, 0.0, 1.0) : 1.0;
}

// Day-ahead: the similar-day average plus the level correction times its
// gain.
absl::StatusOr<std::vector<double>> DayAhead(const Table& table, absl::Time issued_at, absl::Time from, absl::Time to,
                                             size_t known) {
  const ForecastMethod& method = table.method();
  const double level =
      table.MeanBias(issued_at - method.level_window, issued_at, known) * LevelGain(table, issued_at, from, to, known);
  std::vector<double> out;
  for (absl::Time t = from; t < to; t += table.series().step) {
    auto similar = SimilarAt(table, t, issued_at, known);
    if (!similar.ok()) return similar.status();
    out.push_back(*similar + level);
  }
  return out;
}

// Intraday: the day-ahead point plus the latest deviation times its
// persistence phi(lead), fitted by least squares over hourly issues of the
// recent past.
absl::StatusOr<std::vector<double>> Intraday(const Table& table, absl::Time issued_at, absl::Time from, absl::Time to,
                                             size_t known) {
  const ForecastMethod& method = table.method();
  const Series& series = table.series();
  const absl::Duration step = series.step;
  const absl::Time first_lead = AlignDown(issued_at, step);
  const auto leads = static_cast<size_t>((to - first_lead) / step);
  const absl::Time known_end = series.TimeAt(known);
  const absl::Time window_start = series.TimeAt(table.IndexAtOrAfter(issued_at - method.lookback));

  const auto level_at = [&](absl::Time t) { return table.MeanBias(t - method.level_window, t, known); };
  const auto deviation_at = [&](absl::Time t, double level) {
    return table.MeanBias(t - method.deviation_window, t, known) - level;
  };

  // Per lead, over hourly issues whose whole horizon is known: the sums
  // of deviation times residual and of deviation squared.
  std::vector<double> cross(leads, 0.0), square(leads, 0.0);
  int issues = 0;
  for (absl::Time t = AlignDown(known_end - static_cast<int64_t>(leads) * step, absl::Hours(1));
       t > window_start + method.level_window && issues < 24 * method.persistence_days; t -= absl::Hours(1)) {
    ++issues;
    const double level = level_at(t);
    const double deviation = deviation_at(t, level);
    const size_t base = table.IndexAtOrAfter(t);
    for (size_t k = 0; k < leads && base + k < known; ++k) {
      const double residual = table.Bias(base + k) - level;
      if (std::isnan(residual)) continue;
      cross[k] += deviation * residual;
      square[k] += deviation * deviation;
    }
  }
  const double level = level_at(issued_at);
  const double deviation = deviation_at(issued_at, level);
  std::vector<double> out;
  for (absl::Time t = from; t < to; t += step) {
    auto similar = SimilarAt(table, t, issued_at, known);
    if (!similar.ok()) return similar.status();
    const auto k = static_cast<size_t>((t - first_lead) / step);
    const double persistence = square[k] > 0 ? std::clamp(cross[k] / square[k], 0.0, 1.0) : 0.0;
    out.push_back(*similar + level + persistence * deviation);
  }
  return out;
}

}  // namespace

std::string ForecastKindName(ForecastKind kind) { return kind == ForecastKind::kDayAhead ? "day-ahead" : "intraday"; }

bool ParseForecastKind(const std::string& text, ForecastKind* kind) {
  if (text == "day-ahead") {
    *kind = ForecastKind::kDayAhead;
  } else if (text == "intraday") {
    *kind = ForecastKind::kIntraday;
  } else {
    return false;
  }
  return true;
}

absl::CivilDay EasterSunday(int year) {
  const int a = year % 19, b = year / 100, c = year % 100;
  const int d = b / 4, e = b % 4;
  const int f = (b + 8) / 25, g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4, k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return absl::CivilDay(year, month, day);
}

bool IsItalianHoliday(absl::CivilDay day) {
  static constexpr int kFixed[][2] = {{1, 1},  {1, 6},  {4, 25}, {5, 1},   {6, 2},
                                      {8, 15}, {11, 1}, {12, 8}, {12, 25}, {12, 26}};
  for (const auto& [month, dom] : kFixed) {
    if (day.month() == month && day.day() == dom) return true;
  }
  return day == EasterSunday(static_cast<int>(day.year())) + 1;
}

bool InHolidayPeriod(absl::CivilDay day) {
  const int month = day.month(), dom = day.day();
  if ((month == 12 && dom >= 24) || (month == 1 && dom <= 6)) return true;
  if (month == 8 && dom >= 8 && dom <= 25) return true;
  const absl::CivilDay easter = EasterSunday(static_cast<int>(day.year()));
  if (day >= easter - 3 && day <= easter + 2) return true;
  return IsBridgeDay(day);
}

DayType ClassifyDay(absl::CivilDay day) {
  const absl::Weekday weekday = absl::GetWeekday(day);
  if (weekday == absl::Weekday::sunday || IsItalianHoliday(day)) return DayType::kSundayOrHoliday;
  return weekday == absl::Weekday::saturday ? DayType::kSaturday : DayType::kWorkday;
}

absl::Time LocalDayStart(absl::CivilDay day, const absl::TimeZone& zone) {
  return absl::FromCivil(absl::CivilSecond(day), zone);
}

absl::Time DayAheadGate(absl::CivilDay delivery_day, absl::Duration gate_time_of_day, const absl::TimeZone& zone) {
  return absl::FromCivil(absl::CivilSecond(delivery_day - 1) + absl::ToInt64Seconds(gate_time_of_day), zone);
}

std::vector<ForecastIssue> DayAheadIssues(absl::CivilDay first, absl::CivilDay last, absl::Duration time_of_day,
                                          int days_ahead, const absl::TimeZone& zone) {
  std::vector<ForecastIssue> issues;
  for (absl::CivilDay day = first; day <= last; ++day) {
    issues.push_back({absl::FromCivil(absl::CivilSecond(day - days_ahead) + absl::ToInt64Seconds(time_of_day), zone),
                      LocalDayStart(day, zone), LocalDayStart(day + 1, zone)});
  }
  return issues;
}

std::vector<ForecastIssue> IntradayIssues(absl::Time from, absl::Time to, absl::Duration every,
                                          absl::Duration horizon) {
  std::vector<ForecastIssue> issues;
  for (absl::Time t = from; t < to; t += every) issues.push_back({t, t, t + horizon});
  return issues;
}

absl::Time BandKnownAt(absl::Time issued_at, const absl::TimeZone& zone) {
  return LocalDayStart(absl::ToCivilDay(issued_at, zone), zone);
}

LoadForecaster::LoadForecaster(Series history, const ForecastMethod& method, const absl::TimeZone& zone)
    : table_(std::make_unique<Table>(std::move(history), method, zone)) {}

LoadForecaster::~LoadForecaster() = default;

const Series& LoadForecaster::history() const { return table_->series(); }

absl::StatusOr<std::vector<double>> LoadForecaster::Median(absl::Time issued_at, absl::Time from, absl::Time to,
                                                           ForecastKind kind) const {
  const Table& table = *table_;
  const ForecastMethod& method = table.method();
  if (auto st = ValidateWindow(table.series(), issued_at, from, to); !st.ok()) return st;
  const absl::Duration horizon =
      kind == ForecastKind::kDayAhead ? method.max_day_ahead_horizon : method.max_intraday_horizon;
  if (to - issued_at > horizon) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to: ", Rfc3339(to), " is ", absl::FormatDuration(to - issued_at), " after issued_at ", Rfc3339(issued_at),
        "; the ", ForecastKindName(kind), " horizon is ", absl::FormatDuration(horizon)));
  }
  if (method.similar_days < 1) {
    return absl::InvalidArgumentError(absl::StrCat("similar_days: ", method.similar_days, " is below 1"));
  }
  // Only the intervals that ended by the issue time exist for this
  // forecast: it cannot depend on data after T.
  const size_t known = table.KnownAt(issued_at);
  const std::optional<size_t> first_known = table.FirstKnown(table.IndexAtOrAfter(issued_at - method.lookback), known);
  const absl::Duration span =
      first_known.has_value() ? issued_at - table.series().TimeAt(*first_known) : absl::ZeroDuration();
  if (span < method.min_history) {
    return absl::FailedPreconditionError(
        absl::StrFormat("history: %.1f days known before issued_at %s; the forecast needs at least %.0f days",
                        absl::FDivDuration(span, absl::Hours(24)), Rfc3339(issued_at),
                        absl::FDivDuration(method.min_history, absl::Hours(24))));
  }
  if (kind == ForecastKind::kDayAhead) return DayAhead(table, issued_at, from, to, known);
  return Intraday(table, issued_at, from, to, known);
}

std::vector<double> LoadForecaster::WeekBefore(absl::Time issued_at, absl::Time from, absl::Time to) const {
  const size_t known = table_->KnownAt(issued_at);
  std::vector<double> out;
  for (absl::Time t = from; t < to; t += table_->series().step) out.push_back(table_->DaysBefore(t, 7, known));
  return out;
}

std::vector<ForecastError> LoadForecaster::Errors(const std::vector<ForecastIssue>& issues, ForecastKind kind,
                                                  absl::Time known_at) const {
  const Series& series = table_->series();
  std::vector<ForecastError> errors;
  for (const ForecastIssue& issue : issues) {
    if (issue.from + series.step > known_at) continue;
    auto median = Median(issue.at, issue.from, issue.to, kind);
    if (!median.ok()) continue;
    for (size_t i = 0; i < median->size(); ++i) {
      const absl::Time t = issue.from + static_cast<int64_t>(i) * series.step;
      if (t + series.step > known_at) break;
      const double actual = series.At(t);
      if (!std::isnan(actual)) errors.push_back({issue.at, t, (*median)[i], actual});
    }
  }
  return errors;
}

std::vector<ForecastIssue> LoadForecaster::CalibrationIssues(absl::Time issued_at, absl::Time from, absl::Time to,
                                                             ForecastKind kind, absl::Time begin,
                                                             absl::Time end) const {
  const absl::TimeZone& zone = table_->zone();
  std::vector<ForecastIssue> issues;
  if (kind == ForecastKind::kDayAhead) {
    const absl::CivilSecond issue_local = absl::ToCivilSecond(issued_at, zone);
    const absl::CivilDay issue_day(issue_local);
    const auto days_ahead = static_cast<int>(absl::ToCivilDay(from, zone) - issue_day);
    issues = DayAheadIssues(absl::ToCivilDay(begin, zone) + days_ahead - 1, absl::ToCivilDay(end, zone) + days_ahead,
                            absl::Seconds(issue_local - absl::CivilSecond(issue_day)), days_ahead, zone);
  } else {
    // Whole hours covering the asked window.
    const int64_t asked_hours =
        absl::ToInt64Hours(to - AlignDown(issued_at, table_->series().step) + absl::Hours(1) - absl::Nanoseconds(1));
    const absl::Duration horizon = std::max(table_->method().intraday_band_horizon, absl::Hours(asked_hours));
    issues = IntradayIssues(AlignDown(begin, absl::Hours(1)), end, absl::Hours(1), horizon);
  }
  std::erase_if(issues, [&](const ForecastIssue& issue) { return issue.at <= begin || issue.at >= end; });
  // An issue for the rest of its own day starts at its quarter hour.
  for (ForecastIssue& issue : issues) issue.from = std::max(issue.from, AlignDown(issue.at, table_->series().step));
  return issues;
}

std::vector<ForecastError> ErrorsKnownAt(const std::vector<ForecastError>& errors, absl::Time known_at,
                                         absl::Duration lookback, absl::Duration step) {
  std::vector<ForecastError> out;
  for (const ForecastError& e : errors) {
    if (e.issued_at > known_at - lookback && e.issued_at < known_at && e.start + step <= known_at) out.push_back(e);
  }
  return out;
}

absl::Duration HistoryRead(const ForecastMethod& method) {
  return method.band_lookback + method.lookback + absl::Hours(25);
}

absl::StatusOr<std::vector<QuantilePoint>> ForecastLoad(const Series& history, absl::Time issued_at, absl::Time from,
                                                        absl::Time to, ForecastKind kind, const ForecastMethod& method,
                                                        const absl::TimeZone& zone) {
  if (auto st = ValidateWindow(history, issued_at, from, to); !st.ok()) return st;
  // From here on only the known part of the history exists: a forecast
  // issued at T cannot depend on data after T.
  const LoadForecaster forecaster(history.Slice(issued_at - HistoryRead(method), issued_at), method, zone);
  auto median = forecaster.Median(issued_at, from, to, kind);
  if (!median.ok()) return median.status();
  const absl::Time known_at = BandKnownAt(issued_at, zone);
  const std::vector<ForecastIssue> calibration =
      forecaster.CalibrationIssues(issued_at, from, to, kind, known_at - method.band_lookback, known_at);
  const std::vector<ForecastError> errors =
      ErrorsKnownAt(forecaster.Errors(calibration, kind, known_at), known_at, method.band_lookback, history.step);
  const ErrorScale scale(errors, zone);
  auto band = LoadBand::Fit(errors, scale, zone, issued_at);
  if (!band.ok()) return band.status();
  const double recent = scale.At(issued_at);
  std::vector<QuantilePoint> out;
  for (size_t i = 0; i < median->size(); ++i) {
    out.push_back(band->At(issued_at, from + static_cast<int64_t>(i) * history.step, (*median)[i], recent));
  }
  return out;
}

absl::StatusOr<std::vector<QuantilePoint>> SeasonalNaive(const Series& history, absl::Time issued_at, absl::Time from,
                                                         absl::Time to, const absl::TimeZone& zone) {
  if (auto st = ValidateWindow(history, issued_at, from, to); !st.ok()) return st;
  // One week back is all it reads.
  Series known = history.Slice(issued_at - absl::Hours(24 * 8) - (to - issued_at), issued_at);
  if (known.values.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("history: nothing known before issued_at ", Rfc3339(issued_at)));
  }
  const LoadForecaster forecaster(std::move(known), {}, zone);
  std::vector<QuantilePoint> out;
  const std::vector<double> naive = forecaster.WeekBefore(issued_at, from, to);
  for (size_t i = 0; i < naive.size(); ++i) {
    out.push_back({from + static_cast<int64_t>(i) * history.step, naive[i], naive[i], naive[i]});
  }
  return out;
}

}  // namespace tsodso::core
