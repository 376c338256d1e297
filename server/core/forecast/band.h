// The P10-P90 band of the load forecast: empirical quantiles of the
// forecaster's relative errors, conditioned on the type of the target day,
// its season and the lead time (docs/FORECASTING.md).
#pragma once

#include <array>
#include <map>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/forecast/load_forecast.h"

namespace tsodso::core {

// Calendar classes of the band: holiday periods (InHolidayPeriod) are a
// class of their own, as their load departs from its similar days in ways
// ordinary weeks never show.
enum class BandDayType { kWorkday, kSaturday, kSundayOrHoliday, kHolidayPeriod };
inline constexpr int kBandDayTypes = 4;
enum class Season { kWinter, kSpring, kSummer, kAutumn };  // Dec-Feb, Mar-May, Jun-Aug, Sep-Nov
inline constexpr int kSeasons = 4;

BandDayType ClassifyBandDay(absl::CivilDay day);
Season SeasonOf(absl::CivilDay day);
// Return the lead-time class: one per hour up to 6 h, then one per 3 h up
// to 48 h.
int LeadBucket(absl::Duration lead);
inline constexpr int kLeadBuckets = 20;

// The recent size of the forecaster's errors: the mean absolute relative
// error of the intervals of the `days` local days before an issue's day
// (all of them measured by its start). The band scales with it, so that it
// widens when the errors grow (a holiday period, a change of season, a
// spell of weather) and narrows when they shrink.
class ErrorScale {
 public:
  static constexpr int kDefaultDays = 7;

  ErrorScale(const std::vector<ForecastError>& errors, const absl::TimeZone& zone, int days = kDefaultDays);
  // Return the scale for a forecast issued at `issued_at`; NaN without any
  // error in its window.
  double At(absl::Time issued_at) const;

 private:
  struct DaySum {
    double sum = 0;
    int count = 0;
  };
  absl::TimeZone zone_;
  int days_;
  std::map<absl::CivilDay, DaySum> by_day_;
};

class LoadBand {
 public:
  // A cell with fewer errors, fewer days or fewer months borrows those of
  // its day type over all seasons, then those of its lead time over all
  // day types. Errors of one day move together (a day's level is off as a
  // whole), and one or two months carry their own weather, so a cell's
  // quantiles need many days of several months to speak for a season.
  static constexpr size_t kMinCellErrors = 48;
  static constexpr size_t kMinCellDays = 20;
  static constexpr size_t kMinCellMonths = 3;

  // Fit P10 and P90 of the relative errors (actual - P50) / |P50|, each
  // divided by the error scale at its issue, per day type, season and lead
  // time, then widen them by a conformal calibration with the months as
  // folds. FAILED_PRECONDITION without any error.
  static absl::StatusOr<LoadBand> Fit(const std::vector<ForecastError>& errors, const ErrorScale& scale,
                                      const absl::TimeZone& zone, absl::Time issued_at);

  // Return the band around `p50` for the interval that starts at `start`,
  // forecast at `issued_at` with the error scale `scale` (NaN: the mean
  // scale of the fit).
  QuantilePoint At(absl::Time issued_at, absl::Time start, double p50, double scale) const;

 private:
  struct Offsets {
    double low = 0, high = 0;
  };
  // An error divided by its scale, with its cells and the indexes of its
  // local month (a fold of the calibration) and local day.
  struct Standardized {
    double z = 0;
    std::array<int, 4> cells{};
    int month = 0;
    int day = 0;
  };
  explicit LoadBand(absl::TimeZone zone) : zone_(zone) {}

  // Return the offsets of every cell with enough errors, leaving out the
  // month `left_out` (-1: none); `days` and `months` bound the indexes.
  static std::vector<std::optional<Offsets>> FitCells(const std::vector<Standardized>& errors, int left_out, int days,
                                                      int months);
  // Return the offsets of the most specific of `of` that has them.
  static Offsets Lookup(const std::vector<std::optional<Offsets>>& cells, const std::array<int, 4>& of);

  absl::TimeZone zone_;
  double mean_scale_ = 0;
  // Per (day type, season, lead), each also "any"; empty where too few
  // errors fell.
  std::vector<std::optional<Offsets>> cells_;
};

}  // namespace tsodso::core
