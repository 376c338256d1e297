#include "core/profiles/synthetic.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tsodso::core {
namespace {

template <typename Fn>
YearProfile Hourly(int year, Fn fn) {
  const int hours = IsLeapYear(year) ? 8784 : 8760;
  std::vector<double> v(hours);
  for (int h = 0; h < hours; ++h) v[h] = std::clamp(fn(h / 24, h % 24), 0.0, 1.0);
  return YearProfile::FromValues(year, absl::Hours(1), std::move(v));
}

}  // namespace

YearProfile ChpProfile(int year) {
  return Hourly(year, [](int day, int hour) {
    const double seasonal = 0.55 + 0.35 * std::cos(2 * M_PI * (day - 15) / 365.0);
    return seasonal + ((hour >= 6 && hour < 22) ? 0.08 : -0.12);
  });
}

YearProfile RunOfRiverProfile(int year) {
  return Hourly(year, [](int day, int) { return 0.5 + 0.35 * std::cos(2 * M_PI * (day - 75) / 365.0); });
}

absl::StatusOr<YearProfile> LoadShapeFromMeasured(const std::string& csv, const std::string& source,
                                                  const std::string& column) {
  std::istringstream in(csv);
  std::string line;
  if (!std::getline(in, line)) return absl::InvalidArgumentError(absl::StrCat(source, ": empty file"));
  std::vector<std::string> header = absl::StrSplit(line, ',');
  int col = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == column) col = static_cast<int>(i);
  }
  if (col < 0) return absl::InvalidArgumentError(absl::StrCat(source, ": no column '", column, "'"));
  std::vector<std::pair<absl::Time, double>> rows;
  size_t row = 1;
  while (std::getline(in, line)) {
    ++row;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cols = absl::StrSplit(line, ',');
    absl::Time t;
    double v = 0;
    if (cols.size() <= static_cast<size_t>(col) || !ParseUtc(cols[0], &t) || !absl::SimpleAtod(cols[col], &v) ||
        !std::isfinite(v) || v < 0) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": row ", row, ": cannot read time and a load >= 0"));
    }
    rows.emplace_back(t, v);
  }
  if (rows.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": no data rows"));
  // The year most rows fall in (the first row may be 23:00 UTC of the
  // previous year, as local midnight).
  const int year = static_cast<int>(absl::ToCivilYear(rows[rows.size() / 2].first, absl::UTCTimeZone()).year());
  const absl::Time start = absl::FromCivil(absl::CivilYear(year), absl::UTCTimeZone());
  const int64_t n = (IsLeapYear(year) ? 366 : 365) * 96;
  std::vector<double> values(n, -1);
  double peak = 0;
  for (const auto& [t, v] : rows) {
    const int64_t i = (t - start) / absl::Minutes(15);
    if (i < 0 || i >= n) continue;
    values[i] = v;
    peak = std::max(peak, v);
  }
  if (peak <= 0) return absl::InvalidArgumentError(absl::StrCat(source, ": no positive load in ", year));
  const int64_t shift = 40 * 7 * 96;
  for (int64_t i = 0; i < n; ++i) {
    if (values[i] >= 0) continue;
    for (int64_t j : {i - shift, i + shift, i - 2 * shift, i + 2 * shift}) {
      if (j >= 0 && j < n && values[j] >= 0) {
        values[i] = values[j];
        break;
      }
    }
    if (values[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": quarter hour ", i, " of ", year, " cannot be filled"));
    }
  }
  for (double& v : values) v /= peak;
  return YearProfile::FromValues(year, absl::Minutes(15), std::move(values));
}

}  // namespace tsodso::core
