// Year profiles: CSV parsing and its errors, mapping any year onto the
// profile's year, the PVGIS TMY conversion on the real file, and weekly
// shapes in local time.
#include "core/profiles/profile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "support/status_testing.h"

namespace tsodso::core {
namespace {

using ::tsodso::testing::StatusIs;

const std::string kTmyPath = std::string(TSODSO_SOURCE_DIR) + "/data/weather/pvgis_tmy_45.0N_8.0E.csv";

absl::Time Utc(int y, int mo, int d, int h, int mi = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

// A distinct, exactly representable value per row (k / 100 for k in 0..100).
double ValueAt(size_t i) { return static_cast<double>((i * 37) % 101) / 100.0; }

std::vector<double> YearValues(int year, absl::Duration step) {
  const int64_t n = (Utc(year + 1, 1, 1, 0) - Utc(year, 1, 1, 0)) / step;
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = ValueAt(i);
  return v;
}

// Rows of `utc_start,value` with a header; `edit` may change a row's text
// (return false to drop it).
template <typename Edit>
std::string Csv(int year, absl::Duration step, Edit edit, absl::Time start = absl::InfinitePast()) {
  if (start == absl::InfinitePast()) start = Utc(year, 1, 1, 0);
  const std::vector<double> values = YearValues(year, step);
  std::string out = "utc_start,pu\n";
  for (size_t i = 0; i < values.size(); ++i) {
    std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", start + i * step, absl::UTCTimeZone());
    std::string value = absl::StrCat(values[i]);
    if (!edit(i, &ts, &value)) continue;
    out += ts + "," + value + "\n";
  }
  return out;
}

std::string Csv(int year, absl::Duration step) {
  return Csv(year, step, [](size_t, std::string*, std::string*) { return true; });
}

TEST(FlexProfileTest, HourlyCsvParsesAndMapsAnyYear) {
  absl::StatusOr<YearProfile> p = YearProfile::FromCsv(Csv(2023, absl::Hours(1)), "pv.csv");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->year(), 2023);
  EXPECT_EQ(p->step(), absl::Hours(1));
  ASSERT_EQ(p->values().size(), 8760u);
  EXPECT_EQ(p->values(), YearValues(2023, absl::Hours(1)));

  // 15 March 13:00 is hour (31 + 28 + 14) * 24 + 13.
  const size_t i_mar15 = (31 + 28 + 14) * 24 + 13;
  EXPECT_DOUBLE_EQ(p->At(Utc(2023, 3, 15, 13)), ValueAt(i_mar15));
  EXPECT_DOUBLE_EQ(p->At(Utc(2023, 3, 15, 13, 59)), ValueAt(i_mar15));  // within the hour
  EXPECT_DOUBLE_EQ(p->At(Utc(2030, 3, 15, 13)), ValueAt(i_mar15));      // another year
  EXPECT_DOUBLE_EQ(p->At(Utc(2019, 3, 15, 13, 30)), ValueAt(i_mar15));
  EXPECT_DOUBLE_EQ(p->At(Utc(2023, 1, 1, 0)), ValueAt(0));
  EXPECT_DOUBLE_EQ(p->At(Utc(2031, 12, 31, 23, 45)), ValueAt(8759));
  // 2028 is a leap year: 15 March maps on 15 March, not on 14 March.
  EXPECT_DOUBLE_EQ(p->At(Utc(2028, 3, 15, 13)), ValueAt(i_mar15));
  // 29 February borrows 28 February (and differs from 1 March).
  const size_t i_feb28 = (31 + 27) * 24 + 12;
  const size_t i_mar1 = (31 + 28) * 24 + 12;
  ASSERT_NE(ValueAt(i_feb28), ValueAt(i_mar1));
  EXPECT_DOUBLE_EQ(p->At(Utc(2028, 2, 29, 12)), ValueAt(i_feb28));
  EXPECT_DOUBLE_EQ(p->At(Utc(2028, 3, 1, 12)), ValueAt(i_mar1));
}

TEST(FlexProfileTest, QuarterHourAndLeapYearProfiles) {
  absl::StatusOr<YearProfile> q = YearProfile::FromCsv(Csv(2023, absl::Minutes(15)), "ev.csv");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->step(), absl::Minutes(15));
  ASSERT_EQ(q->values().size(), 35040u);
  // 1 June 10:45: day 151 of the year (0-based), quarter 43.
  const size_t i_jun1 = 151 * 96 + 43;
  EXPECT_DOUBLE_EQ(q->At(Utc(2023, 6, 1, 10, 45)), ValueAt(i_jun1));
  EXPECT_DOUBLE_EQ(q->At(Utc(2023, 6, 1, 10, 59)), ValueAt(i_jun1));
  EXPECT_DOUBLE_EQ(q->At(Utc(2026, 6, 1, 11, 0)), ValueAt(i_jun1 + 1));

  absl::StatusOr<YearProfile> leap = YearProfile::FromCsv(Csv(2024, absl::Hours(1)), "leap.csv");
  ASSERT_TRUE(leap.ok()) << leap.status();
  EXPECT_EQ(leap->year(), 2024);
  ASSERT_EQ(leap->values().size(), 8784u);
  const size_t i_feb29 = (31 + 28) * 24 + 6;
  EXPECT_DOUBLE_EQ(leap->At(Utc(2024, 2, 29, 6)), ValueAt(i_feb29));
  // A non-leap year's 1 March is the leap profile's 1 March.
  EXPECT_DOUBLE_EQ(leap->At(Utc(2023, 3, 1, 6)), ValueAt(i_feb29 + 24));
}

TEST(FlexProfileTest, CsvWithCrLfAndPvgisTimestampsParses) {
  std::string text = "utc_start,pu\r\n";
  for (int i = 0; i < 8760; ++i) {
    absl::StrAppend(&text, absl::FormatTime("%Y%m%d:%H%M", Utc(2023, 1, 1, 0) + absl::Hours(i), absl::UTCTimeZone()),
                    ",", ValueAt(i), "\r\n");
  }
  absl::StatusOr<YearProfile> p = YearProfile::FromCsv(text, "crlf.csv");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->values(), YearValues(2023, absl::Hours(1)));
}

TEST(FlexProfileTest, BadCsvIsRejectedNamingSourceAndRow) {
  const absl::Duration h = absl::Hours(1);
  // Row numbers are 1-based with the header as row 1: data index i is row i + 2.
  // A missing hour: index 100 dropped, index 101 (now row 102) follows index 99.
  EXPECT_TRUE(StatusIs(
      YearProfile::FromCsv(Csv(2023, h, [](size_t i, std::string*, std::string*) { return i != 100; }), "gap.csv"),
      absl::StatusCode::kInvalidArgument, {"gap.csv", "row 102", "2023-01-05T05:00Z", "gap"}));
  // NaN.
  EXPECT_TRUE(StatusIs(YearProfile::FromCsv(Csv(2023, h,
                                                [](size_t i, std::string*, std::string* v) {
                                                  if (i == 500) *v = "nan";
                                                  return true;
                                                }),
                                            "nan.csv"),
                       absl::StatusCode::kInvalidArgument, {"nan.csv", "row 502", "nan", "not a number"}));
  // Not a number at all.
  EXPECT_TRUE(StatusIs(YearProfile::FromCsv(Csv(2023, h,
                                                [](size_t i, std::string*, std::string* v) {
                                                  if (i == 7) *v = "0.5x";
                                                  return true;
                                                }),
                                            "text.csv"),
                       absl::StatusCode::kInvalidArgument, {"text.csv", "row 9"}));
  // A value above 1 (and below 0).
  EXPECT_TRUE(StatusIs(YearProfile::FromCsv(Csv(2023, h,
                                                [](size_t i, std::string*, std::string* v) {
                                                  if (i == 4000) *v = "1.5";
                                                  return true;
                                                }),
                                            "big.csv"),
                       absl::StatusCode::kInvalidArgument, {"big.csv", "row 4002", "1.5", "outside"}));
  EXPECT_TRUE(StatusIs(YearProfile::FromCsv(Csv(2023, h,
                                                [](size_t i, std::string*, std::string* v) {
                                                  if (i == 3) *v = "-0.01";
                                                  return true;
                                                }),
                                            "neg.csv"),
                       absl::StatusCode::kInvalidArgument, {"neg.csv", "row 5", "-0.01"}));
  // Wrong length: 8759 rows (the last hour missing).
  EXPECT_TRUE(StatusIs(
      YearProfile::FromCsv(Csv(2023, h, [](size_t i, std::string*, std::string*) { return i != 8759; }), "short.csv"),
      absl::StatusCode::kInvalidArgument, {"short.csv", "8759", "8760"}));
  // Not starting on 1 January.
  EXPECT_TRUE(StatusIs(
      YearProfile::FromCsv(Csv(
                               2023, h, [](size_t, std::string*, std::string*) { return true; }, Utc(2023, 1, 2, 0)),
                           "late.csv"),
      absl::StatusCode::kInvalidArgument, {"late.csv", "row 2", "1 January"}));
  EXPECT_TRUE(StatusIs(
      YearProfile::FromCsv(Csv(
                               2023, h, [](size_t, std::string*, std::string*) { return true; }, Utc(2023, 1, 1, 1)),
                           "shifted.csv"),
      absl::StatusCode::kInvalidArgument, {"shifted.csv", "row 2", "1 January"}));
  // A bad timestamp.
  EXPECT_TRUE(StatusIs(YearProfile::FromCsv(Csv(2023, h,
                                                [](size_t i, std::string* ts, std::string*) {
                                                  if (i == 42) *ts = "2023/01/02 18:00";
                                                  return true;
                                                }),
                                            "ts.csv"),
                       absl::StatusCode::kInvalidArgument, {"ts.csv", "row 44", "2023/01/02 18:00", "UTC"}));
  // A step that is neither 15 nor 60 minutes.
  EXPECT_TRUE(StatusIs(YearProfile::FromCsv(Csv(2023, absl::Minutes(30)), "half.csv"),
                       absl::StatusCode::kInvalidArgument, {"half.csv", "step"}));
  // A duplicated row (overlap).
  EXPECT_TRUE(StatusIs(YearProfile::FromCsv(Csv(2023, h,
                                                [](size_t i, std::string* ts, std::string*) {
                                                  if (i == 10) *ts = "2023-01-01T09:00:00Z";
                                                  return true;
                                                }),
                                            "dup.csv"),
                       absl::StatusCode::kInvalidArgument, {"dup.csv", "row 12"}));
  // A missing column, and a file with no data.
  EXPECT_TRUE(StatusIs(YearProfile::FromCsv(Csv(2023, h,
                                                [](size_t i, std::string* ts, std::string* v) {
                                                  if (i == 1) {
                                                    *ts += ";";
                                                    *v = "";
                                                  }
                                                  return true;
                                                }),
                                            "cols.csv"),
                       absl::StatusCode::kInvalidArgument, {"cols.csv", "row 3"}));
  EXPECT_TRUE(
      StatusIs(YearProfile::FromCsv("utc_start,pu\n", "empty.csv"), absl::StatusCode::kInvalidArgument, {"empty.csv"}));
}

TEST(FlexProfileTest, ToCsvRoundTrips) {
  for (const absl::Duration step : {absl::Hours(1), absl::Minutes(15)}) {
    const YearProfile original = YearProfile::FromValues(2023, step, YearValues(2023, step));
    const std::string csv = original.ToCsv("pv_pu");
    EXPECT_EQ(csv.substr(0, csv.find('\n')), "utc_start,pv_pu");
    absl::StatusOr<YearProfile> back = YearProfile::FromCsv(csv, "roundtrip.csv");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->year(), 2023);
    EXPECT_EQ(back->step(), step);
    EXPECT_EQ(back->values(), original.values());
  }
  // Values are written with 5 decimals.
  const YearProfile leap = YearProfile::FromValues(2024, absl::Hours(1), std::vector<double>(8784, 1.0 / 3));
  absl::StatusOr<YearProfile> back = YearProfile::FromCsv(leap.ToCsv("x"), "leap.csv");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->values().size(), 8784u);
  for (double v : back->values()) ASSERT_NEAR(v, 1.0 / 3, 5e-6);
}

TEST(FlexProfileTest, ParseUtcAcceptsIsoAndPvgisForms) {
  absl::Time t;
  ASSERT_TRUE(ParseUtc("2023-07-01T12:30:00Z", &t));
  EXPECT_EQ(t, Utc(2023, 7, 1, 12, 30));
  ASSERT_TRUE(ParseUtc("2023-07-01T12:30Z", &t));
  EXPECT_EQ(t, Utc(2023, 7, 1, 12, 30));
  ASSERT_TRUE(ParseUtc("20180101:0100", &t));
  EXPECT_EQ(t, Utc(2018, 1, 1, 1));
  EXPECT_FALSE(ParseUtc("2023-07-01 12:30", &t));
  EXPECT_FALSE(ParseUtc("yesterday", &t));
  EXPECT_FALSE(ParseUtc("", &t));
}

std::string ReadTmy() {
  std::ifstream in(kTmyPath);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(FlexProfileTest, PvProfileFromTheRealPvgisTmy) {
  const std::string csv = ReadTmy();
  ASSERT_GT(csv.size(), 100000u) << kTmyPath << " is missing or truncated";
  absl::StatusOr<YearProfile> pv = PvProfileFromTmy(csv, kTmyPath, 2023);
  ASSERT_TRUE(pv.ok()) << pv.status();
  EXPECT_EQ(pv->year(), 2023);
  EXPECT_EQ(pv->step(), absl::Hours(1));
  const std::vector<double>& v = pv->values();
  ASSERT_EQ(v.size(), 8760u);
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_GE(v[i], 0.0) << i;
    ASSERT_LE(v[i], 1.0) << i;
  }
  // Midnight UTC is 00:32 solar time at 8 E: dark every day of the year.
  for (int day = 0; day < 365; ++day) EXPECT_EQ(v[day * 24], 0.0) << "day " << day;
  // Summer noon beats winter noon (11 UTC, solar noon ~11:28).
  double june = 0, december = 0;
  for (int d = 1; d <= 30; ++d) june += pv->At(Utc(2023, 6, d, 11));
  for (int d = 1; d <= 31; ++d) december += pv->At(Utc(2023, 12, d, 11));
  june /= 30;
  december /= 31;
  EXPECT_GT(june, december) << "June noon mean " << june << ", December " << december;
  EXPECT_GT(june, 0.4);
  EXPECT_GT(december, 0.0);
  // Yearly capacity factor of a horizontal array in northern Italy.
  const double cf = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  EXPECT_GT(cf, 0.09);
  EXPECT_LT(cf, 0.17);
  // Values follow the model on a known row: 1 January 12:00, T2m 7.8,
  // G(h) 133 -> 0.133 * 0.86 * (1 - 0.004 * (7.8 + 133 * 25 / 800 - 25)).
  const double t_cell = 7.8 + 133.0 * 25 / 800;
  EXPECT_NEAR(pv->At(Utc(2023, 1, 1, 12)), 0.133 * 0.86 * (1 - 0.004 * (t_cell - 25)), 1e-9);

  // A leap target year: 29 February repeats 28 February.
  absl::StatusOr<YearProfile> leap = PvProfileFromTmy(csv, kTmyPath, 2024);
  ASSERT_TRUE(leap.ok()) << leap.status();
  ASSERT_EQ(leap->values().size(), 8784u);
  for (int h = 0; h < 24; ++h) EXPECT_EQ(leap->At(Utc(2024, 2, 29, h)), leap->At(Utc(2024, 2, 28, h))) << h;
  EXPECT_EQ(leap->At(Utc(2024, 7, 1, 11)), pv->At(Utc(2023, 7, 1, 11)));
}

TEST(FlexProfileTest, PvProfileFromTmyRejectsBadInput) {
  EXPECT_TRUE(StatusIs(PvProfileFromTmy("", "x.csv", 2023), absl::StatusCode::kInvalidArgument, {"x.csv"}));
  EXPECT_TRUE(StatusIs(PvProfileFromTmy("time(UTC),RH\n20180101:0000,50\n", "nocols.csv", 2023),
                       absl::StatusCode::kInvalidArgument, {"nocols.csv", "G(h)"}));
  EXPECT_TRUE(StatusIs(PvProfileFromTmy("time(UTC),T2m,G(h)\n20180101:0000,abc,0\n", "bad.csv", 2023),
                       absl::StatusCode::kInvalidArgument, {"bad.csv", "row 2"}));
  // One day only: the rest of the year is missing.
  std::string one_day = "time(UTC),T2m,G(h)\n";
  for (int h = 0; h < 24; ++h) absl::StrAppend(&one_day, absl::StrFormat("20180101:%02d00,5,0\n", h));
  EXPECT_TRUE(
      StatusIs(PvProfileFromTmy(one_day, "day.csv", 2023), absl::StatusCode::kInvalidArgument, {"day.csv", "no data"}));
}

TEST(FlexProfileTest, WeeklyShapeUsesLocalWeekdayAndHour) {
  absl::TimeZone rome;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Rome", &rome));
  WeeklyShape shape;
  for (int h = 0; h < 24; ++h) {
    shape.weekday[h] = h / 100.0;
    shape.weekend[h] = 0.5 + h / 100.0;
  }
  // Friday 9 June 2023 22:30 UTC is Saturday 00:30 CEST: weekend, hour 0.
  EXPECT_DOUBLE_EQ(shape.At(Utc(2023, 6, 9, 22, 30), rome), 0.5);
  // Friday 21:30 UTC is Friday 23:30 CEST.
  EXPECT_DOUBLE_EQ(shape.At(Utc(2023, 6, 9, 21, 30), rome), 0.23);
  // Sunday 11 June 21:59 UTC is Sunday 23:59; 22:00 UTC is Monday 00:00.
  EXPECT_DOUBLE_EQ(shape.At(Utc(2023, 6, 11, 21, 59), rome), 0.73);
  EXPECT_DOUBLE_EQ(shape.At(Utc(2023, 6, 11, 22, 0), rome), 0.0);
  // Monday 12 June 10:00 UTC is 12:00 CEST.
  EXPECT_DOUBLE_EQ(shape.At(Utc(2023, 6, 12, 10), rome), 0.12);
  // Winter (CET, UTC+1): Friday 13 January 23:30 UTC is Saturday 00:30.
  EXPECT_DOUBLE_EQ(shape.At(Utc(2023, 1, 13, 23, 30), rome), 0.5);
  EXPECT_DOUBLE_EQ(shape.At(Utc(2023, 1, 13, 22, 30), rome), 0.23);
  // Wednesday 18 January 07:15 UTC is 08:15 CET.
  EXPECT_DOUBLE_EQ(shape.At(Utc(2023, 1, 18, 7, 15), rome), 0.08);
  // In UTC the same instant as the first case is still Friday 22:00.
  EXPECT_DOUBLE_EQ(shape.At(Utc(2023, 6, 9, 22, 30), absl::UTCTimeZone()), 0.22);
}

}  // namespace
}  // namespace tsodso::core
