#include "core/forecast/load_forecast.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/common/time.h"
#include "core/flexibility/engine.h"

namespace tsodso::core {
namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
constexpr double kLowQuantile = 0.1;
constexpr double kHighQuantile = 0.9;
// Sundays and holidays form one class; other days are matched by weekday.
constexpr int kSundayOrHolidayClass = 7;
// An error bucket with fewer samples borrows the errors of all buckets.
constexpr size_t kMinBucketSamples = 8;

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

// The history known at the issue time, arranged by local day and clock
// slot, with the similar-day average of every slot. Everything the method
// reads comes from here, and this holds only the truncated series.
class KnownHistory {
 public:
  // Compute the similar-day average from `similar_from` on (the days the
  // method reads it for), over `similar_days` days weighted by `decay`.
  KnownHistory(Series known, absl::CivilDay last_day, absl::CivilDay similar_from, int similar_days, double decay,
               const absl::TimeZone& zone)
      : known_(std::move(known)),
        zone_(zone),
        first_day_(absl::ToCivilDay(known_.start, zone)),
        days_(static_cast<int>(last_day - first_day_) + 1),
        slots_(static_cast<int>(absl::Hours(24) / known_.step)) {
    std::vector<double> sum(static_cast<size_t>(days_) * slots_, 0.0);
    std::vector<int> count(sum.size(), 0);
    where_.reserve(known_.values.size());
    for (size_t i = 0; i < known_.values.size(); ++i) {
      where_.push_back(Locate(known_.TimeAt(i)));
      if (std::isnan(known_.values[i])) continue;
      const size_t cell = Cell(where_.back());
      sum[cell] += known_.values[i];
      ++count[cell];
    }
    by_slot_.resize(sum.size());
    for (size_t c = 0; c < sum.size(); ++c) by_slot_[c] = count[c] > 0 ? sum[c] / count[c] : kMissing;
    if (similar_days > 0) ComputeSimilar(static_cast<int>(similar_from - first_day_), similar_days, decay);
  }

  const Series& series() const { return known_; }
  absl::Duration step() const { return known_.step; }
  absl::CivilDay first_day() const { return first_day_; }

  LocalSlot Locate(absl::Time t) const {
    const absl::CivilMinute local = absl::ToCivilMinute(t, zone_);
    const int minute_of_day = local.hour() * 60 + local.minute();
    return {static_cast<int>(absl::CivilDay(local) - first_day_),
            static_cast<int>(absl::Minutes(minute_of_day) / known_.step)};
  }
  int HourOf(int slot) const { return static_cast<int>(slot * known_.step / absl::Hours(1)); }

  // The measured value of a local day and slot (the mean of both quarter
  // hours of the repeated autumn hour).
  double Value(LocalSlot at) const { return InTable(at) ? by_slot_[Cell(at)] : kMissing; }
  double Similar(LocalSlot at) const { return InTable(at) ? similar_[Cell(at)] : kMissing; }

  // Return the mean error of the similar-day average over the known
  // intervals within [from, to); 0 without any.
  double MeanBias(absl::Time from, absl::Time to) const {
    const size_t first = IndexAtOrAfter(from);
    const size_t last = std::max(first, IndexAtOrAfter(to));
    const int count = bias_count_[last] - bias_count_[first];
    return count > 0 ? (bias_sum_[last] - bias_sum_[first]) / count : 0.0;
  }
  // The error of the similar-day average in known interval i (NaN when
  // either is missing).
  double Bias(size_t i) const { return known_.values[i] - similar_[Cell(where_[i])]; }
  size_t IndexAtOrAfter(absl::Time t) const {
    if (t <= known_.start) return 0;
    const int64_t steps = (t - known_.start + known_.step - absl::Nanoseconds(1)) / known_.step;
    return static_cast<size_t>(std::min<int64_t>(steps, static_cast<int64_t>(known_.values.size())));
  }

 private:
  bool InTable(LocalSlot at) const { return at.day >= 0 && at.day < days_ && at.slot >= 0 && at.slot < slots_; }
  size_t Cell(LocalSlot at) const { return static_cast<size_t>(at.day) * slots_ + at.slot; }

  // Average each slot over the most recent earlier days of the same class
  // that have it (a 92-quarter-hour day lacks 02:00-02:45 and is skipped
  // there).
  void ComputeSimilar(int from_day, int similar_days, double decay) {
    std::vector<int> day_class(days_);
    for (int d = 0; d < days_; ++d) day_class[d] = SimilarDayClass(first_day_ + d);
    similar_.assign(by_slot_.size(), kMissing);
    for (int d = std::max(from_day, 0); d < days_; ++d) {
      for (int s = 0; s < slots_; ++s) {
        double sum = 0, weights = 0, weight = 1;
        int found = 0;
        for (int e = d - 1; e >= 0 && found < similar_days; --e) {
          if (day_class[e] != day_class[d]) continue;
          const double v = by_slot_[Cell({e, s})];
          if (std::isnan(v)) continue;
          sum += weight * v;
          weights += weight;
          weight *= decay;
          ++found;
        }
        if (found > 0) similar_[Cell({d, s})] = sum / weights;
      }
    }
    bias_sum_.assign(known_.values.size() + 1, 0.0);
    bias_count_.assign(known_.values.size() + 1, 0);
    for (size_t i = 0; i < known_.values.size(); ++i) {
      const double b = Bias(i);
      bias_sum_[i + 1] = bias_sum_[i] + (std::isnan(b) ? 0.0 : b);
      bias_count_[i + 1] = bias_count_[i] + (std::isnan(b) ? 0 : 1);
    }
  }

  Series known_;
  absl::TimeZone zone_;
  absl::CivilDay first_day_;
  int days_;
  int slots_;
  std::vector<LocalSlot> where_;
  std::vector<double> by_slot_;
  std::vector<double> similar_;
  std::vector<double> bias_sum_;
  std::vector<int> bias_count_;
};

// Return the q-quantile of `values` (linear between order statistics);
// reorders them.
double Quantile(std::vector<double>& values, double q) {
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  std::nth_element(values.begin(), values.begin() + lo, values.end());
  const double low = values[lo];
  const double high = lo + 1 < values.size() ? *std::min_element(values.begin() + lo + 1, values.end()) : low;
  return low + (high - low) * (pos - static_cast<double>(lo));
}

// The P10 and P90 offsets from the point forecast, per bucket.
struct ErrorBands {
  std::vector<double> low, high;
};

absl::StatusOr<ErrorBands> BandsFromErrors(std::vector<std::vector<double>> errors, absl::Time issued_at) {
  std::vector<double> pooled;
  for (const auto& bucket : errors) pooled.insert(pooled.end(), bucket.begin(), bucket.end());
  if (pooled.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("history: no past forecast error can be measured before issued_at ", Rfc3339(issued_at),
                     " (too few complete days)"));
  }
  const double pooled_low = Quantile(pooled, kLowQuantile);
  const double pooled_high = Quantile(pooled, kHighQuantile);
  ErrorBands bands;
  for (auto& bucket : errors) {
    const bool enough = bucket.size() >= kMinBucketSamples;
    bands.low.push_back(enough ? Quantile(bucket, kLowQuantile) : pooled_low);
    bands.high.push_back(enough ? Quantile(bucket, kHighQuantile) : pooled_high);
  }
  return bands;
}

QuantilePoint Banded(absl::Time start, double p50, double low, double high) {
  // A median outside its own band would contradict itself; widen the band.
  return {start, std::min(p50 + low, p50), p50, std::max(p50 + high, p50)};
}

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

// Return the similar-day average for the interval that starts at t.
absl::StatusOr<double> SimilarAt(const KnownHistory& known, absl::Time t, absl::Time issued_at) {
  const double similar = known.Similar(known.Locate(t));
  if (std::isnan(similar)) {
    return absl::FailedPreconditionError(
        absl::StrCat("history: no similar day of ", Rfc3339(t), " is known before issued_at ", Rfc3339(issued_at)));
  }
  return similar;
}

// Return the history a forecast issued at `issued_at` may read: intervals
// that ended by then, at most `lookback` old.
Series KnownAt(const Series& history, absl::Time issued_at, absl::Duration lookback) {
  return history.Slice(issued_at - lookback, issued_at);
}

// Day-ahead: emulate the same issue (same local clock time, same number of
// days ahead) for each recent complete day and collect its errors per
// local hour.
absl::StatusOr<std::vector<QuantilePoint>> DayAhead(const KnownHistory& known, absl::Time issued_at, absl::Time from,
                                                    absl::Time to, const ForecastMethod& method,
                                                    const absl::TimeZone& zone) {
  const Series& series = known.series();
  const absl::CivilSecond issue_local = absl::ToCivilSecond(issued_at, zone);
  const absl::CivilDay issue_day(issue_local);
  const auto issue_second_of_day = issue_local - absl::CivilSecond(issue_day);
  const auto days_ahead = absl::ToCivilDay(from, zone) - issue_day;

  std::vector<std::vector<double>> errors(24);
  int calibrated = 0;
  for (absl::CivilDay d = absl::ToCivilDay(series.end(), zone) - 1;
       d > known.first_day() && calibrated < method.calibration_days; --d) {
    const absl::Time day_start = LocalDayStart(d, zone);
    const absl::Time day_end = LocalDayStart(d + 1, zone);
    if (day_end > series.end() || day_start < series.start) continue;
    const absl::Time issue = absl::FromCivil(absl::CivilSecond(d - days_ahead) + issue_second_of_day, zone);
    const double level = known.MeanBias(issue - method.level_window, issue);
    bool any = false;
    for (size_t i = known.IndexAtOrAfter(day_start); i < known.IndexAtOrAfter(day_end); ++i) {
      const double e = known.Bias(i) - level;
      if (std::isnan(e)) continue;
      errors[known.HourOf(known.Locate(series.TimeAt(i)).slot)].push_back(e);
      any = true;
    }
    if (any) ++calibrated;
  }
  auto bands = BandsFromErrors(std::move(errors), issued_at);
  if (!bands.ok()) return bands.status();

  const double level = known.MeanBias(issued_at - method.level_window, issued_at);
  std::vector<QuantilePoint> out;
  for (absl::Time t = from; t < to; t += series.step) {
    auto similar = SimilarAt(known, t, issued_at);
    if (!similar.ok()) return similar.status();
    const int hour = known.HourOf(known.Locate(t).slot);
    out.push_back(Banded(t, *similar + level, bands->low[hour], bands->high[hour]));
  }
  return out;
}

// Intraday: the day-ahead point plus the latest deviation times its
// persistence phi(lead), fitted by least squares over hourly issues of the
// recent past; errors per lead hour.
absl::StatusOr<std::vector<QuantilePoint>> Intraday(const KnownHistory& known, absl::Time issued_at, absl::Time from,
                                                    absl::Time to, const ForecastMethod& method) {
  const Series& series = known.series();
  const absl::Duration step = series.step;
  const absl::Time first_lead = AlignDown(issued_at, step);
  const auto leads = static_cast<size_t>((to - first_lead) / step);

  const auto level_at = [&](absl::Time t) { return known.MeanBias(t - method.level_window, t); };
  const auto deviation_at = [&](absl::Time t, double level) {
    return known.MeanBias(t - method.deviation_window, t) - level;
  };

  // Hourly issues whose whole horizon is known.
  std::vector<absl::Time> issues;
  for (absl::Time t = AlignDown(series.end() - static_cast<int64_t>(leads) * step, absl::Hours(1));
       t > series.start + method.level_window && issues.size() < 24u * method.calibration_days; t -= absl::Hours(1)) {
    issues.push_back(t);
  }
  // Per lead: (deviation at the issue, residual at the lead) of each issue.
  std::vector<std::vector<std::pair<double, double>>> samples(leads);
  for (absl::Time t : issues) {
    const double level = level_at(t);
    const double deviation = deviation_at(t, level);
    const size_t base = known.IndexAtOrAfter(t);
    for (size_t k = 0; k < leads && base + k < series.values.size(); ++k) {
      const double residual = known.Bias(base + k) - level;
      if (!std::isnan(residual)) samples[k].emplace_back(deviation, residual);
    }
  }
  const auto lead_hour = [&](size_t k) { return static_cast<size_t>(static_cast<int64_t>(k) * step / absl::Hours(1)); };
  std::vector<double> persistence(leads, 0.0);
  std::vector<std::vector<double>> errors(lead_hour(leads - 1) + 1);
  for (size_t k = 0; k < leads; ++k) {
    double cross = 0, square = 0;
    for (const auto& [deviation, residual] : samples[k]) {
      cross += deviation * residual;
      square += deviation * deviation;
    }
    if (square > 0) persistence[k] = std::clamp(cross / square, 0.0, 1.0);
    for (const auto& [deviation, residual] : samples[k]) {
      errors[lead_hour(k)].push_back(residual - persistence[k] * deviation);
    }
  }
  auto bands = BandsFromErrors(std::move(errors), issued_at);
  if (!bands.ok()) return bands.status();

  const double level = level_at(issued_at);
  const double deviation = deviation_at(issued_at, level);
  std::vector<QuantilePoint> out;
  for (absl::Time t = from; t < to; t += step) {
    auto similar = SimilarAt(known, t, issued_at);
    if (!similar.ok()) return similar.status();
    const auto k = static_cast<size_t>((t - first_lead) / step);
    const size_t bucket = lead_hour(k);
    out.push_back(Banded(t, *similar + level + persistence[k] * deviation, bands->low[bucket], bands->high[bucket]));
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

absl::StatusOr<std::vector<QuantilePoint>> ForecastLoad(const Series& history, absl::Time issued_at, absl::Time from,
                                                        absl::Time to, ForecastKind kind, const ForecastMethod& method,
                                                        const absl::TimeZone& zone) {
  if (auto st = ValidateWindow(history, issued_at, from, to); !st.ok()) return st;
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
  // From here on only the known part of the history exists: a forecast
  // issued at T cannot depend on data after T.
  Series known = KnownAt(history, issued_at, method.lookback);
  const auto first_known =
      std::find_if(known.values.begin(), known.values.end(), [](double v) { return !std::isnan(v); });
  const absl::Duration span = first_known == known.values.end()
                                  ? absl::ZeroDuration()
                                  : issued_at - known.TimeAt(first_known - known.values.begin());
  if (span < method.min_history) {
    return absl::FailedPreconditionError(
        absl::StrFormat("history: %.1f days known before issued_at %s; the forecast needs at least %.0f days",
                        absl::FDivDuration(span, absl::Hours(24)), Rfc3339(issued_at),
                        absl::FDivDuration(method.min_history, absl::Hours(24))));
  }
  // The calibration reads the similar-day average of its days and of the
  // level windows before them.
  const absl::CivilDay similar_from =
      absl::ToCivilDay(issued_at, zone) - method.calibration_days - absl::ToInt64Hours(method.level_window) / 24 - 3;
  const KnownHistory table(std::move(known), absl::ToCivilDay(to - history.step, zone), similar_from,
                           method.similar_days, method.similar_day_decay, zone);
  if (kind == ForecastKind::kDayAhead) return DayAhead(table, issued_at, from, to, method, zone);
  return Intraday(table, issued_at, from, to, method);
}

absl::StatusOr<std::vector<QuantilePoint>> SeasonalNaive(const Series& history, absl::Time issued_at, absl::Time from,
                                                         absl::Time to, const absl::TimeZone& zone) {
  if (auto st = ValidateWindow(history, issued_at, from, to); !st.ok()) return st;
  // One week back is all it reads.
  Series known = KnownAt(history, issued_at, absl::Hours(24 * 7) + (to - issued_at) + absl::Hours(24));
  if (known.values.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("history: nothing known before issued_at ", Rfc3339(issued_at)));
  }
  const KnownHistory table(std::move(known), absl::ToCivilDay(to - history.step, zone), absl::ToCivilDay(to, zone), 0,
                           1.0, zone);
  std::vector<QuantilePoint> out;
  for (absl::Time t = from; t < to; t += history.step) {
    LocalSlot at = table.Locate(t);
    at.day -= 7;
    const double v = table.Value(at);
    out.push_back({t, v, v, v});
  }
  return out;
}

}  // namespace tsodso::core
