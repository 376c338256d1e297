#include "core/forecast/band.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/common/time.h"

namespace tsodso::core {
namespace {

constexpr double kLowQuantile = 0.1;
constexpr double kHighQuantile = 0.9;
// A series the forecaster has met exactly has no error to scale by.
constexpr double kMinScale = 1e-6;

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

// Cells are indexed by day type, season and lead, each with one more
// value for "any".
constexpr int kCells = (kBandDayTypes + 1) * (kSeasons + 1) * (kLeadBuckets + 1);

int CellIndex(int type, int season, int lead) { return (type * (kSeasons + 1) + season) * (kLeadBuckets + 1) + lead; }

// Return the cells that hold an error of this issue and interval, most
// specific first: its day type, season and lead; its day type and lead;
// its lead; everything.
std::array<int, 4> CellsOf(absl::Time issued_at, absl::Time start, const absl::TimeZone& zone) {
  const absl::CivilDay day = absl::ToCivilDay(start, zone);
  const int type = static_cast<int>(ClassifyBandDay(day));
  const int lead = LeadBucket(start - issued_at);
  return {CellIndex(type, static_cast<int>(SeasonOf(day)), lead), CellIndex(type, kSeasons, lead),
          CellIndex(kBandDayTypes, kSeasons, lead), CellIndex(kBandDayTypes, kSeasons, kLeadBuckets)};
}

}  // namespace

BandDayType ClassifyBandDay(absl::CivilDay day) {
  if (InHolidayPeriod(day)) return BandDayType::kHolidayPeriod;
  switch (ClassifyDay(day)) {
    case DayType::kWorkday:
      return BandDayType::kWorkday;
    case DayType::kSaturday:
      return BandDayType::kSaturday;
    case DayType::kSundayOrHoliday:
      break;
  }
  return BandDayType::kSundayOrHoliday;
}

Season SeasonOf(absl::CivilDay day) { return static_cast<Season>((day.month() % 12) / 3); }

int LeadBucket(absl::Duration lead) {
  const int64_t hours = std::max<int64_t>(0, absl::ToInt64Hours(lead));
  return static_cast<int>(std::min<int64_t>(hours < 6 ? hours : 6 + (hours - 6) / 3, kLeadBuckets - 1));
}

double RelativeError(const ForecastError& e) {
  if (std::isnan(e.actual) || std::isnan(e.p50) || e.p50 == 0) return std::numeric_limits<double>::quiet_NaN();
  return (e.actual - e.p50) / std::abs(e.p50);
}

ErrorScale::ErrorScale(const std::vector<ForecastError>& errors, const absl::TimeZone& zone, int days)
    : zone_(zone), days_(days) {
  for (const ForecastError& e : errors) {
    const double r = RelativeError(e);
    if (std::isnan(r)) continue;
    DaySum& day = by_day_[absl::ToCivilDay(e.start, zone)];
    day.sum += std::abs(r);
    ++day.count;
  }
}

double ErrorScale::At(absl::Time issued_at) const {
  const absl::CivilDay today = absl::ToCivilDay(issued_at, zone_);
  double sum = 0;
  int count = 0;
  for (auto it = by_day_.lower_bound(today - days_); it != by_day_.end() && it->first < today; ++it) {
    sum += it->second.sum;
    count += it->second.count;
  }
  return count > 0 ? sum / count : std::numeric_limits<double>::quiet_NaN();
}

absl::StatusOr<LoadBand> LoadBand::Fit(const std::vector<ForecastError>& errors, const ErrorScale& scale,
                                       const absl::TimeZone& zone, absl::Time issued_at) {
  std::vector<std::vector<double>> standardized(kCells);
  double scale_sum = 0;
  size_t scaled = 0;
  for (const ForecastError& e : errors) {
    const double r = RelativeError(e);
    const double s = std::max(scale.At(e.issued_at), kMinScale);
    if (std::isnan(r) || std::isnan(s)) continue;
    scale_sum += s;
    ++scaled;
    for (int cell : CellsOf(e.issued_at, e.start, zone)) standardized[cell].push_back(r / s);
  }
  std::vector<double>& everything = standardized[CellIndex(kBandDayTypes, kSeasons, kLeadBuckets)];
  if (everything.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "history: no past forecast error can be measured before issued_at ", Rfc3339(issued_at), " (too few days)"));
  }
  LoadBand band(zone);
  band.mean_scale_ = scale_sum / static_cast<double>(scaled);
  band.cells_.resize(kCells);
  for (int cell = 0; cell < kCells; ++cell) {
    std::vector<double>& values = standardized[cell];
    if (values.size() < kMinCellErrors && &values != &everything) continue;
    band.cells_[cell] = Offsets{Quantile(values, kLowQuantile), Quantile(values, kHighQuantile)};
  }
  return band;
}

QuantilePoint LoadBand::At(absl::Time issued_at, absl::Time start, double p50, double scale) const {
  Offsets offsets;
  for (int cell : CellsOf(issued_at, start, zone_)) {
    if (cells_[cell].has_value()) {
      offsets = *cells_[cell];
      break;
    }
  }
  const double size = std::abs(p50) * (std::isnan(scale) ? mean_scale_ : std::max(scale, kMinScale));
  // A median outside its own band would contradict itself; widen the band.
  return {start, std::min(p50 + offsets.low * size, p50), p50, std::max(p50 + offsets.high * size, p50)};
}

}  // namespace tsodso::core
