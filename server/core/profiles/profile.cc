#include "core/profiles/profile.h"

#include <cmath>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace tsodso::core {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool ParseUtc(const std::string& text, absl::Time* out) {
  std::string err;
  if (absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", text, out, &err)) return true;
  if (absl::ParseTime("%Y-%m-%dT%H:%MZ", text, out, &err)) return true;
  // PVGIS "YYYYMMDD:HHMM": %Y would swallow the whole date, so split it.
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  if (text.size() == 13 && text[8] == ':' && absl::SimpleAtoi(text.substr(0, 4), &y) &&
      absl::SimpleAtoi(text.substr(4, 2), &mo) && absl::SimpleAtoi(text.substr(6, 2), &d) &&
      absl::SimpleAtoi(text.substr(9, 2), &h) && absl::SimpleAtoi(text.substr(11, 2), &mi)) {
    const absl::CivilMinute c(y, mo, d, h, mi);
    if (c.year() != y || c.month() != mo || c.day() != d || c.hour() != h || c.minute() != mi) return false;
    *out = absl::FromCivil(c, absl::UTCTimeZone());
    return true;
  }
  return false;
}

YearProfile YearProfile::FromValues(int year, absl::Duration step, std::vector<double> values) {
  YearProfile p;
  p.year_ = year;
  p.step_ = step;
  p.values_ = std::move(values);
  return p;
}

absl::StatusOr<YearProfile> YearProfile::FromCsv(const std::string& text, const std::string& source, double min_value,
                                                 double max_value) {
  std::vector<std::string> lines = Lines(text);
  if (lines.size() < 3) return absl::InvalidArgumentError(absl::StrCat(source, ": fewer than two data rows"));
  std::vector<absl::Time> times;
  std::vector<double> values;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cols = absl::StrSplit(lines[i], ',');
    const size_t row = i + 1;  // 1-based, header is row 1
    if (cols.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": row ", row, ": expected utc_start,value"));
    }
    absl::Time t;
    if (!ParseUtc(cols[0], &t)) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": row ", row, ": '", cols[0], "' is not a UTC time"));
    }
    double v = 0;
    if (!absl::SimpleAtod(cols[1], &v) || !std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": row ", row, ": value '", cols[1], "' is not a number"));
    }
    if (v < min_value || v > max_value) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": row ", row, ": value ", v, " is outside [", min_value, ", ", max_value, "]"));
    }
    times.push_back(t);
    values.push_back(v);
  }
  const absl::Duration step = times[1] - times[0];
  if (step != absl::Minutes(15) && step != absl::Hours(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": step ", absl::FormatDuration(step), " is neither 15 minutes nor 1 hour"));
  }
  const absl::CivilSecond start = absl::ToCivilSecond(times[0], absl::UTCTimeZone());
  if (start.month() != 1 || start.day() != 1 || start.hour() != 0 || start.minute() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": row 2: the profile must start on 1 January 00:00 UTC"));
  }
  for (size_t i = 1; i < times.size(); ++i) {
    if (times[i] - times[i - 1] != step) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": row ", i + 2,
                       ": gap or overlap: ", absl::FormatTime("%Y-%m-%dT%H:%MZ", times[i], absl::UTCTimeZone()),
                       " follows ", absl::FormatTime("%Y-%m-%dT%H:%MZ", times[i - 1], absl::UTCTimeZone()),
                       " (step is ", absl::FormatDuration(step), ")"));
    }
  }
  const int year = static_cast<int>(start.year());
  const int64_t expected = (IsLeapYear(year) ? 366 : 365) * (absl::Hours(24) / step);
  if (static_cast<int64_t>(values.size()) != expected) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", values.size(), " rows for year ", year,
                                                   " at this step; a full year needs ", expected));
  }
  return FromValues(year, step, std::move(values));
}

double YearProfile::At(absl::Time t) const {
  if (values_.empty()) return 0;
  const absl::CivilSecond c = absl::ToCivilSecond(t, absl::UTCTimeZone());
  int month = c.month();
  int day = c.day();
  if (month == 2 && day == 29 && !IsLeapYear(year_)) day = 28;
  absl::CivilSecond same(year_, month, day, c.hour(), c.minute(), c.second());
  if (align_weekdays_ && c.year() != year_) {
    int shift = static_cast<int>(absl::GetWeekday(absl::CivilDay(c))) -
                static_cast<int>(absl::GetWeekday(absl::CivilDay(same)));
    shift = ((shift % 7) + 7) % 7;
    if (shift > 3) shift -= 7;
    const absl::CivilSecond moved = same + shift * 86400;
    if (moved.year() == year_) same = moved;
  }
  const absl::Duration offset = absl::Seconds(same - absl::CivilSecond(year_, 1, 1));
  int64_t index = offset / step_;
  if (index < 0) index = 0;
  if (index >= static_cast<int64_t>(values_.size())) index = static_cast<int64_t>(values_.size()) - 1;
  return values_[index];
}

std::string YearProfile::ToCsv(const std::string& value_column) const {
  std::string out = absl::StrCat("utc_start,", value_column, "\n");
  absl::Time t = absl::FromCivil(absl::CivilSecond(year_, 1, 1), absl::UTCTimeZone());
  for (double v : values_) {
    absl::StrAppend(&out, absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()), ",",
                    absl::StrFormat("%.5f", v), "\n");
    t += step_;
  }
  return out;
}

double WeeklyShape::At(absl::Time t, const absl::TimeZone& zone) const {
  const absl::CivilSecond local = absl::ToCivilSecond(t, zone);
  const absl::Weekday wd = absl::GetWeekday(local);
  const bool is_weekend = wd == absl::Weekday::saturday || wd == absl::Weekday::sunday;
  return (is_weekend ? weekend : weekday)[local.hour()];
}

absl::StatusOr<YearProfile> PvProfileFromTmy(const std::string& csv, const std::string& source, int year,
                                             const PvModel& model) {
  std::vector<std::string> lines = Lines(csv);
  if (lines.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": empty file"));
  std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  int col_t = -1, col_g = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "T2m") col_t = static_cast<int>(i);
    if (header[i] == "G(h)") col_g = static_cast<int>(i);
  }
  if (col_t < 0 || col_g < 0) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": header lacks T2m or G(h) (a PVGIS TMY file?)"));
  }
  const int hours = IsLeapYear(year) ? 8784 : 8760;
  std::vector<double> values(hours, 0.0);
  std::vector<bool> seen(hours, false);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cols = absl::StrSplit(lines[i], ',');
    absl::Time t;
    double temp = 0, ghi = 0;
    if (cols.size() <= static_cast<size_t>(std::max(col_t, col_g)) || !ParseUtc(cols[0], &t) ||
        !absl::SimpleAtod(cols[col_t], &temp) || !absl::SimpleAtod(cols[col_g], &ghi) || !std::isfinite(ghi) ||
        !std::isfinite(temp)) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": row ", i + 1, ": cannot read time, T2m and G(h)"));
    }
    // A TMY's months come from different years: place each row by month,
    // day and hour in the target year.
    const absl::CivilSecond c = absl::ToCivilSecond(t, absl::UTCTimeZone());
    if (c.month() == 2 && c.day() == 29) continue;
    const absl::CivilSecond at(year, c.month(), c.day(), c.hour());
    const int64_t h = (at - absl::CivilSecond(year, 1, 1)) / 3600;
    if (h < 0 || h >= hours) continue;
    const double g = std::max(0.0, ghi);
    const double t_cell = temp + g * (model.noct_c - 20) / 800;
    const double p = g / 1000 * (1 - model.system_losses) * (1 + model.gamma_per_k * (t_cell - 25));
    values[h] = std::clamp(p, 0.0, 1.0);
    seen[h] = true;
  }
  const std::vector<bool> in_source = seen;
  for (int h = 0; h < hours; ++h) {
    if (seen[h]) continue;
    // 29 February of a leap target year, or an hour the file lacks: the
    // same hour a day earlier (never more than a day: a larger gap is an
    // error in the source).
    if (h >= 24 && in_source[h - 24]) {
      values[h] = values[h - 24];
      seen[h] = true;
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat(source, ": no data for hour ", h, " of ", year));
  }
  return YearProfile::FromValues(year, absl::Hours(1), std::move(values));
}

}  // namespace tsodso::core
