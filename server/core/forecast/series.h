// A measured time series on a regular UTC grid (the PCC's load history):
// missing quarter hours are NaN, reported as gaps and filled only when short.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tsodso::core {

// Values at a fixed step from `start`: values[i] covers
// [start + i * step, start + (i + 1) * step). NaN marks a missing value.
struct Series {
  absl::Time start = absl::UnixEpoch();
  absl::Duration step = absl::Minutes(15);
  std::vector<double> values;

  absl::Time end() const { return start + static_cast<int64_t>(values.size()) * step; }
  absl::Time TimeAt(size_t i) const { return start + static_cast<int64_t>(i) * step; }
  // Return the value of the interval that contains t; NaN outside or missing.
  double At(absl::Time t) const;
  // Return the intervals that lie within [from, to), on the same grid.
  Series Slice(absl::Time from, absl::Time to) const;
};

// A run of missing intervals [start, end).
struct Gap {
  absl::Time start;
  absl::Time end;
};

inline constexpr absl::Duration kDefaultMaxFillSpan = absl::Hours(1);
// The longest a series may span: a mistyped year in one row ("20240")
// would otherwise fill thousands of years with missing values.
inline constexpr absl::Duration kMaxSeriesSpan = absl::Hours(24 * 366 * 20);

// Parse CSV text with a `utc_start` column (start of each interval, UTC,
// ascending, on the `step` grid, within kMaxSeriesSpan of the first) and the
// value column `column`. Rows the text lacks and empty value cells become
// missing values. Errors name the source, the row and the field with its
// value.
absl::StatusOr<Series> SeriesFromCsv(const std::string& text, const std::string& source, const std::string& column,
                                     absl::Duration step = absl::Minutes(15));

// Return every run of missing values, in time order.
std::vector<Gap> FindGaps(const Series& series);

// Fill each gap of at most `max_span` that has known values on both sides
// by linear interpolation between them; return the gaps left missing.
std::vector<Gap> FillShortGaps(Series& series, absl::Duration max_span = kDefaultMaxFillSpan);

// Scale the series so that its largest known value is `peak`: a zonal load
// used as a PCC load keeps its shape, not its level.
absl::Status ScaleToPeak(Series& series, double peak);

}  // namespace tsodso::core
