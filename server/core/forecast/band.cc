#include "core/forecast/band.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

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

constexpr int CellIndex(int type, int season, int lead) {
  return (type * (kSeasons + 1) + season) * (kLeadBuckets + 1) + lead;
}
constexpr int kEverything = CellIndex(kBandDayTypes, kSeasons, kLeadBuckets);
constexpr int kNoFold = -1;

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
  std::vector<Standardized> all;
  std::map<absl::CivilMonth, int> months;
  std::map<absl::CivilDay, int> days;
  double scale_sum = 0;
  for (const ForecastError& e : errors) {
    const double r = RelativeError(e);
    const double s = std::max(scale.At(e.issued_at), kMinScale);
    if (std::isnan(r) || std::isnan(s)) continue;
    scale_sum += s;
    const absl::CivilDay day = absl::ToCivilDay(e.start, zone);
    const auto month = months.emplace(absl::CivilMonth(day), static_cast<int>(months.size())).first;
    const auto day_index = days.emplace(day, static_cast<int>(days.size())).first;
    all.push_back({r / s, CellsOf(e.issued_at, e.start, zone), month->second, day_index->second});
  }
  if (all.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "history: no past forecast error can be measured before issued_at ", Rfc3339(issued_at), " (too few days)"));
  }
  const auto fit_cells = [&](int left_out) {
    return FitCells(all, left_out, static_cast<int>(days.size()), static_cast<int>(months.size()));
  };
  LoadBand band(zone);
  band.mean_scale_ = scale_sum / static_cast<double>(all.size());
  band.cells_ = fit_cells(kNoFold);
  if (months.size() < 2) return band;
  // Conformalized quantile regression (Y. Romano, E. Patterson and
  // E. Candes, "Conformalized Quantile Regression", NeurIPS 2019) with the
  // months as folds: how far each error fell beyond the band fitted
  // without its own month, per tail. The 90 % quantile of that distance
  // widens (or narrows) every cell, so that a month the band has not seen
  // is covered as the months it has seen were when left out in turn.
  std::vector<double> below, above;
  below.reserve(all.size());
  above.reserve(all.size());
  for (int fold = 0; fold < static_cast<int>(months.size()); ++fold) {
    const std::vector<std::optional<Offsets>> cells = fit_cells(fold);
    for (const Standardized& x : all) {
      if (x.month != fold) continue;
      const Offsets o = Lookup(cells, x.cells);
      below.push_back(o.low - x.z);
      above.push_back(x.z - o.high);
    }
  }
  const double widen_low = Quantile(below, kHighQuantile);
  const double widen_high = Quantile(above, kHighQuantile);
  for (std::optional<Offsets>& cell : band.cells_) {
    if (!cell.has_value()) continue;
    cell->low -= widen_low;
    cell->high += widen_high;
  }
  return band;
}

std::vector<std::optional<LoadBand::Offsets>> LoadBand::FitCells(const std::vector<Standardized>& errors, int left_out,
                                                                 int days, int months) {
  std::vector<std::vector<double>> values(kCells);
  // Whether a cell holds an error of a day, of a month; how many of each.
  std::vector<char> has_day(static_cast<size_t>(kCells) * days, 0), has_month(static_cast<size_t>(kCells) * months, 0);
  std::vector<size_t> day_count(kCells, 0), month_count(kCells, 0);
  for (const Standardized& x : errors) {
    if (x.month == left_out) continue;
    for (int cell : x.cells) {
      values[cell].push_back(x.z);
      char& day = has_day[static_cast<size_t>(cell) * days + x.day];
      day_count[cell] += day == 0;
      day = 1;
      char& month = has_month[static_cast<size_t>(cell) * months + x.month];
      month_count[cell] += month == 0;
      month = 1;
    }
  }
  std::vector<std::optional<Offsets>> cells(kCells);
  for (int cell = 0; cell < kCells; ++cell) {
    const bool enough =
        values[cell].size() >= kMinCellErrors && day_count[cell] >= kMinCellDays && month_count[cell] >= kMinCellMonths;
    if (values[cell].empty() || (!enough && cell != kEverything)) continue;
    cells[cell] = Offsets{Quantile(values[cell], kLowQuantile), Quantile(values[cell], kHighQuantile)};
  }
  return cells;
}

LoadBand::Offsets LoadBand::Lookup(const std::vector<std::optional<Offsets>>& cells, const std::array<int, 4>& of) {
  for (int cell : of) {
    if (cells[cell].has_value()) return *cells[cell];
  }
  return {};
}

QuantilePoint LoadBand::At(absl::Time issued_at, absl::Time start, double p50, double scale) const {
  const Offsets offsets = Lookup(cells_, CellsOf(issued_at, start, zone_));
  const double size = std::abs(p50) * (std::isnan(scale) ? mean_scale_ : std::max(scale, kMinScale));
  // A median outside its own band would contradict itself; widen the band.
  return {start, std::min(p50 + offsets.low * size, p50), p50, std::max(p50 + offsets.high * size, p50)};
}

}  // namespace tsodso::core
