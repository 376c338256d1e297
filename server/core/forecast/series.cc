#include "core/forecast/series.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/common/csv.h"
#include "core/common/time.h"
#include "core/profiles/profile.h"

namespace tsodso::core {
namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
constexpr char kTimeColumn[] = "utc_start";

// Return the number of whole steps from `from` to `t`, rounded towards
// minus infinity.
int64_t StepsFloor(absl::Time from, absl::Time t, absl::Duration step) {
  absl::Duration rem;
  const int64_t n = absl::IDivDuration(t - from, step, &rem);
  return rem < absl::ZeroDuration() ? n - 1 : n;
}

}  // namespace

double Series::At(absl::Time t) const {
  if (t < start || t >= end()) return kMissing;
  return values[static_cast<size_t>(StepsFloor(start, t, step))];
}

Series Series::Slice(absl::Time from, absl::Time to) const {
  Series out;
  out.step = step;
  // The first interval that starts at or after `from`, the last that ends
  // at or before `to`.
  int64_t first = std::max<int64_t>(0, StepsFloor(start, from - absl::Nanoseconds(1), step) + 1);
  int64_t last = std::min<int64_t>(static_cast<int64_t>(values.size()), StepsFloor(start, to, step));
  out.start = start + first * step;
  if (last > first) out.values.assign(values.begin() + first, values.begin() + last);
  return out;
}

absl::StatusOr<Series> SeriesFromCsv(const std::string& text, const std::string& source, const std::string& column,
                                     absl::Duration step) {
  const Csv csv = ParseCsv(text);
  if (csv.Column(kTimeColumn) < 0) return absl::InvalidArgumentError(absl::StrCat(source, ": no column 'utc_start'"));
  if (csv.Column(column) < 0) return absl::InvalidArgumentError(absl::StrCat(source, ": no column '", column, "'"));
  if (csv.rows.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": no data rows"));
  Series series;
  series.step = step;
  absl::Time previous = absl::InfinitePast();
  for (size_t row = 0; row < csv.rows.size(); ++row) {
    std::string cell;
    if (auto st = TextField(csv, row, kTimeColumn, true, &cell, source); !st.ok()) return st;
    const std::string where = absl::StrCat(source, ": row ", row + 2, ": utc_start: '", cell, "'");
    absl::Time t;
    if (!ParseUtc(cell, &t)) return absl::InvalidArgumentError(absl::StrCat(where, " is not a UTC time"));
    if (!IsAligned(t, step)) {
      return absl::InvalidArgumentError(absl::StrCat(where, " is not on the ", absl::FormatDuration(step), " grid"));
    }
    if (t <= previous) {
      return absl::InvalidArgumentError(absl::StrCat(where, " does not follow ", Rfc3339(previous)));
    }
    double value = kMissing;
    if (auto st = Field(csv, row, column, false, kMissing, &value, source); !st.ok()) return st;
    if (row == 0) series.start = t;
    if (t - series.start >= kMaxSeriesSpan) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " is ", absl::FormatDuration(kMaxSeriesSpan), " or more after the first row"));
    }
    // Rows the file skips stay missing.
    series.values.resize(static_cast<size_t>((t - series.start) / step), kMissing);
    series.values.push_back(value);
    previous = t;
  }
  return series;
}

std::vector<Gap> FindGaps(const Series& series) {
  std::vector<Gap> gaps;
  const size_t n = series.values.size();
  for (size_t i = 0; i < n;) {
    if (!std::isnan(series.values[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && std::isnan(series.values[j])) ++j;
    gaps.push_back({series.TimeAt(i), series.TimeAt(j)});
    i = j;
  }
  return gaps;
}

std::vector<Gap> FillShortGaps(Series& series, absl::Duration max_span) {
  std::vector<Gap> left;
  for (const Gap& gap : FindGaps(series)) {
    const auto first = static_cast<size_t>((gap.start - series.start) / series.step);
    const auto last = static_cast<size_t>((gap.end - series.start) / series.step);  // first known after the gap
    if (gap.end - gap.start > max_span || first == 0 || last == series.values.size()) {
      left.push_back(gap);
      continue;
    }
    const double before = series.values[first - 1];
    const double after = series.values[last];
    const double span = static_cast<double>(last - first + 1);
    for (size_t i = first; i < last; ++i) {
      series.values[i] = before + (after - before) * static_cast<double>(i - first + 1) / span;
    }
  }
  return left;
}

absl::Status ScaleToPeak(Series& series, double peak) {
  if (!(peak > 0) || !std::isfinite(peak)) {
    return absl::InvalidArgumentError(absl::StrCat("peak: ", peak, " MW is not a positive number"));
  }
  double largest = -std::numeric_limits<double>::infinity();
  for (double v : series.values) {
    if (!std::isnan(v)) largest = std::max(largest, v);
  }
  if (!(largest > 0)) return absl::InvalidArgumentError("series: no positive value to scale to a peak");
  const double factor = peak / largest;
  for (double& v : series.values) v *= factor;
  return absl::OkStatus();
}

}  // namespace tsodso::core
