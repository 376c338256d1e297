// Per-unit time series that drive DER operating points: one year at a
// fixed resolution, in UTC, used for any requested year.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tsodso::core {

// Values for one year from 1 January 00:00 UTC at a fixed step (15 or 60
// minutes). Any instant of any year maps to the same month, day and time
// of the profile's year; 29 February borrows 28 February.
class YearProfile {
 public:
  // Parse `utc_start,value` rows (header line first). Rows must start on
  // 1 January 00:00 UTC, be contiguous at one step of 15 or 60 minutes,
  // cover the whole year exactly, and hold finite values within
  // [min_value, max_value]. Errors name the source, row and value.
  static absl::StatusOr<YearProfile> FromCsv(const std::string& text, const std::string& source, double min_value = 0.0,
                                             double max_value = 1.0);
  static YearProfile FromValues(int year, absl::Duration step, std::vector<double> values);

  double At(absl::Time t) const;
  // Map instants of other years to the date of the same weekday nearest to
  // the same calendar date (for load shapes, which follow the week).
  void set_align_weekdays(bool align) { align_weekdays_ = align; }
  absl::Duration step() const { return step_; }
  int year() const { return year_; }
  const std::vector<double>& values() const { return values_; }
  // Write the profile back as CSV (the format FromCsv reads).
  std::string ToCsv(const std::string& value_column) const;

 private:
  int year_ = 2023;
  absl::Duration step_ = absl::Hours(1);
  std::vector<double> values_;
  bool align_weekdays_ = false;
};

// A daily shape in local time, one for weekdays and one for weekends,
// 24 hourly values each (e.g. EV charging at home, work, public).
struct WeeklyShape {
  std::array<double, 24> weekday{};
  std::array<double, 24> weekend{};
  double At(absl::Time t, const absl::TimeZone& zone) const;
};

// Derive a per-unit PV profile from a PVGIS typical meteorological year
// (hourly CSV with columns time(UTC), T2m, G(h), ...): output = G(h)/1000 *
// (1 - system_losses) * (1 + gamma * (T_cell - 25)), T_cell = T2m + G(h) *
// (NOCT - 20) / 800, clipped to [0, 1]. A horizontal-irradiance model:
// no plane-of-array transposition, so it understates a tilted array's
// output in winter and is the cautious choice for flexibility.
struct PvModel {
  double system_losses = 0.14;  // PVGIS default
  double gamma_per_k = -0.004;  // crystalline silicon
  double noct_c = 45.0;
};
absl::StatusOr<YearProfile> PvProfileFromTmy(const std::string& csv, const std::string& source, int year,
                                             const PvModel& model = {});

bool IsLeapYear(int year);

// Parse "YYYY-MM-DDTHH:MM[:SS]Z" or PVGIS "YYYYMMDD:HHMM" as UTC.
bool ParseUtc(const std::string& text, absl::Time* out);

}  // namespace tsodso::core
