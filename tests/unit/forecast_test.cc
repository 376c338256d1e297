// The load forecaster: series parsing and gaps, the Italian calendar,
// known answers (a weekly pattern, a constant), no leakage from after the
// issue time, clock-change days, backtest scores computed by hand, and the
// backtest on the real Terna zonal load.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "app/forecast_commands.h"
#include "core/common/text_file.h"
#include "core/forecast/backtest.h"
#include "core/forecast/load_forecast.h"
#include "core/forecast/series.h"
#include "support/status_testing.h"

namespace tsodso::core {
namespace {

using ::tsodso::testing::StatusIs;

const std::string kTernaLoad = std::string(TSODSO_SOURCE_DIR) + "/data/load/terna_north_zone_2024_jan-oct_15min.csv";
const std::string kPccLoad = std::string(TSODSO_SOURCE_DIR) + "/config/profiles/pcc-load.csv";

absl::TimeZone Rome() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Rome", &zone));
  return zone;
}

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

// A load that depends only on the local weekday and clock time.
double WeeklyValue(absl::Time t, const absl::TimeZone& zone) {
  const absl::CivilMinute local = absl::ToCivilMinute(t, zone);
  const int weekday = static_cast<int>(absl::GetWeekday(absl::CivilDay(local)));
  const double minute = local.hour() * 60 + local.minute();
  return 100.0 + 7.0 * weekday + 30.0 * std::sin(2 * M_PI * minute / 1440.0) + (weekday >= 5 ? -25.0 : 0.0);
}

// Deterministic noise in [-1, 1).
double Noise(uint64_t i) {
  uint64_t x = i * 6364136223846793005ULL + 1442695040888963407ULL;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return static_cast<double>(x % 2000) / 1000.0 - 1.0;
}

// A 15-minute series over [from, to) whose value is value(t, i).
template <typename ValueFn>
Series MakeSeries(absl::Time from, absl::Time to, ValueFn value) {
  Series s;
  s.start = from;
  for (absl::Time t = from; t < to; t += s.step) s.values.push_back(value(t, s.values.size()));
  return s;
}

Series WeeklySeries(absl::Time from, absl::Time to) {
  const absl::TimeZone zone = Rome();
  return MakeSeries(from, to, [&](absl::Time t, size_t) { return WeeklyValue(t, zone); });
}

// The Terna North zone load, as the backtest reads it (empty on failure).
Series ReadTernaLoad() {
  auto text = core::ReadTextFile(kTernaLoad);
  EXPECT_TRUE(text.ok()) << text.status();
  auto series = SeriesFromCsv(text.ok() ? *text : "", kTernaLoad, "total_load_mw");
  EXPECT_TRUE(series.ok()) << series.status();
  return series.ok() ? *std::move(series) : Series{};
}

// ----------------------------------------------------------------- series

TEST(ForecastSeries, ReadsTheTernaLoadAndThePccProfile) {
  const Series terna = ReadTernaLoad();
  EXPECT_EQ(terna.values.size(), 29284u);
  EXPECT_EQ(terna.start, Utc(2023, 12, 31, 23));
  EXPECT_TRUE(FindGaps(terna).empty());
  EXPECT_DOUBLE_EQ(terna.At(Utc(2023, 12, 31, 23, 14)), 11254.19);

  auto pcc_text = core::ReadTextFile(kPccLoad);
  ASSERT_TRUE(pcc_text.ok()) << pcc_text.status();
  auto pcc = SeriesFromCsv(*pcc_text, kPccLoad, "load_pu");
  ASSERT_TRUE(pcc.ok()) << pcc.status();
  EXPECT_GT(pcc->values.size(), 35000u);
  EXPECT_TRUE(FindGaps(*pcc).empty());
}

TEST(ForecastSeries, CsvErrorsNameRowAndField) {
  const std::string head = "utc_start,load_pu\n2024-01-01T00:00:00Z,0.5\n";
  EXPECT_TRUE(StatusIs(SeriesFromCsv(head + "2024-01-01T00:15:00Z,abc\n", "f.csv", "load_pu"),
                       absl::StatusCode::kInvalidArgument, {"f.csv", "row 3", "load_pu", "'abc'"}));
  EXPECT_TRUE(StatusIs(SeriesFromCsv(head + "yesterday,0.5\n", "f.csv", "load_pu"), absl::StatusCode::kInvalidArgument,
                       {"f.csv", "row 3", "utc_start", "'yesterday'"}));
  EXPECT_TRUE(StatusIs(SeriesFromCsv(head + "2024-01-01T00:20:00Z,0.5\n", "f.csv", "load_pu"),
                       absl::StatusCode::kInvalidArgument, {"row 3", "utc_start", "2024-01-01T00:20:00Z", "grid"}));
  EXPECT_TRUE(StatusIs(SeriesFromCsv(head + "2024-01-01T00:00:00Z,0.5\n", "f.csv", "load_pu"),
                       absl::StatusCode::kInvalidArgument, {"row 3", "utc_start", "does not follow"}));
  EXPECT_TRUE(StatusIs(SeriesFromCsv(head, "f.csv", "total_load_mw"), absl::StatusCode::kInvalidArgument,
                       {"f.csv", "total_load_mw"}));
  // A mistyped year is refused, not filled with missing values up to it.
  EXPECT_TRUE(StatusIs(SeriesFromCsv(head + "20240-1-01T00:15:00Z,0.5\n", "f.csv", "load_pu"),
                       absl::StatusCode::kInvalidArgument, {"row 3", "utc_start", "'20240-1-01T00:15:00Z'", "after"}));
}

TEST(ForecastSeries, GapsAreReportedAndOnlyShortOnesFilled) {
  // Rows 00:15 (one quarter hour) and 01:30..01:45 are absent, the cells of
  // 02:00..03:00 are empty (with 01:30: six quarter hours, 1.5 h).
  std::string text = "utc_start,mw\n";
  const double values[] = {10, 0, 30, 40, 50, 60, 0, 0, 0, 0, 0, 0, 0, 140, 150};
  for (int i = 0; i < 15; ++i) {
    const std::string t =
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", Utc(2024, 1, 1) + absl::Minutes(15 * i), absl::UTCTimeZone());
    if (i == 1 || i == 6 || i == 7) continue;
    text += t + "," + (values[i] > 0 ? absl::StrCat(values[i]) : "") + "\n";
  }
  auto series = SeriesFromCsv(text, "gaps.csv", "mw");
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->values.size(), 15u);
  const std::vector<Gap> gaps = FindGaps(*series);
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].start, Utc(2024, 1, 1, 0, 15));
  EXPECT_EQ(gaps[0].end, Utc(2024, 1, 1, 0, 30));
  EXPECT_EQ(gaps[1].start, Utc(2024, 1, 1, 1, 30));
  EXPECT_EQ(gaps[1].end, Utc(2024, 1, 1, 3, 15));

  const std::vector<Gap> left = FillShortGaps(*series, absl::Hours(1));
  EXPECT_DOUBLE_EQ(series->values[1], 20.0);  // halfway between 10 and 30
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].start, Utc(2024, 1, 1, 1, 30));
  for (int i = 6; i < 13; ++i) EXPECT_TRUE(std::isnan(series->values[i])) << i;

  // A wider span fills the long gap too, on a straight line.
  FillShortGaps(*series, absl::Hours(2));
  EXPECT_DOUBLE_EQ(series->values[6], 60.0 + 80.0 / 8.0);
}

// --------------------------------------------------------------- calendar

TEST(ForecastCalendar, ItalianHolidaysAndEaster) {
  EXPECT_EQ(EasterSunday(2024), absl::CivilDay(2024, 3, 31));
  EXPECT_EQ(EasterSunday(2025), absl::CivilDay(2025, 4, 20));
  EXPECT_EQ(EasterSunday(2019), absl::CivilDay(2019, 4, 21));
  EXPECT_EQ(ClassifyDay(absl::CivilDay(2024, 4, 1)), DayType::kSundayOrHoliday);  // Easter Monday
  EXPECT_EQ(ClassifyDay(absl::CivilDay(2024, 8, 15)), DayType::kSundayOrHoliday);
  EXPECT_EQ(ClassifyDay(absl::CivilDay(2024, 11, 1)), DayType::kSundayOrHoliday);
  EXPECT_EQ(ClassifyDay(absl::CivilDay(2024, 4, 2)), DayType::kWorkday);
  EXPECT_EQ(ClassifyDay(absl::CivilDay(2024, 3, 30)), DayType::kSaturday);
  EXPECT_EQ(ClassifyDay(absl::CivilDay(2024, 3, 31)), DayType::kSundayOrHoliday);
  EXPECT_FALSE(IsItalianHoliday(absl::CivilDay(2024, 3, 31)));  // a Sunday, not a holiday of its own
  EXPECT_EQ(DayAheadGate(absl::CivilDay(2024, 3, 31), absl::Hours(12), Rome()), Utc(2024, 3, 30, 11));
  EXPECT_EQ(DayAheadGate(absl::CivilDay(2024, 4, 1), absl::Hours(12), Rome()), Utc(2024, 3, 31, 10));
}

// ----------------------------------------------------------- known answers

TEST(ForecastLoad, WeeklyPatternIsForecastExactly) {
  const absl::TimeZone zone = Rome();
  // 8 January to 6 March 2024: no holiday on the way.
  const Series history = WeeklySeries(Utc(2024, 1, 7, 23), Utc(2024, 3, 6, 23));
  const absl::CivilDay day(2024, 3, 5);
  auto day_ahead = ForecastLoad(history, DayAheadGate(day, absl::Hours(12), zone), LocalDayStart(day, zone),
                                LocalDayStart(day + 1, zone), ForecastKind::kDayAhead, {}, zone);
  ASSERT_TRUE(day_ahead.ok()) << day_ahead.status();
  ASSERT_EQ(day_ahead->size(), 96u);
  auto intraday = ForecastLoad(history, Utc(2024, 3, 5, 10), Utc(2024, 3, 5, 10), Utc(2024, 3, 5, 16),
                               ForecastKind::kIntraday, {}, zone);
  ASSERT_TRUE(intraday.ok()) << intraday.status();
  ASSERT_EQ(intraday->size(), 24u);
  for (const auto* forecast : {&*day_ahead, &*intraday}) {
    for (const QuantilePoint& p : *forecast) {
      EXPECT_NEAR(p.p50, WeeklyValue(p.start, zone), 1e-9) << absl::FormatTime(p.start);
      EXPECT_NEAR(p.p10, p.p50, 1e-9);
      EXPECT_NEAR(p.p90, p.p50, 1e-9);
    }
  }
}

TEST(ForecastLoad, ConstantIsForecastAsConstantWithANarrowBand) {
  const absl::TimeZone zone = Rome();
  const absl::CivilDay day(2024, 5, 14);
  const absl::Time issued = DayAheadGate(day, absl::Hours(12), zone);
  const Series exact = MakeSeries(Utc(2024, 3, 1), issued, [](absl::Time, size_t) { return 250.0; });
  auto forecast = ForecastLoad(exact, issued, LocalDayStart(day, zone), LocalDayStart(day + 1, zone),
                               ForecastKind::kDayAhead, {}, zone);
  ASSERT_TRUE(forecast.ok()) << forecast.status();
  for (const QuantilePoint& p : *forecast) {
    EXPECT_NEAR(p.p50, 250.0, 1e-9);
    EXPECT_NEAR(p.p90 - p.p10, 0.0, 1e-9);
  }
  // With noise of +-1 around the constant the band stays within the noise.
  const Series noisy = MakeSeries(Utc(2024, 3, 1), issued, [](absl::Time, size_t i) { return 250.0 + Noise(i); });
  forecast = ForecastLoad(noisy, issued, LocalDayStart(day, zone), LocalDayStart(day + 1, zone),
                          ForecastKind::kDayAhead, {}, zone);
  ASSERT_TRUE(forecast.ok()) << forecast.status();
  for (const QuantilePoint& p : *forecast) {
    EXPECT_NEAR(p.p50, 250.0, 1.0);
    EXPECT_LE(p.p10, p.p50);
    EXPECT_GE(p.p90, p.p50);
    EXPECT_LT(p.p90 - p.p10, 3.0);  // the noise alone spans 1.6 from its P10 to its P90
    EXPECT_GT(p.p90 - p.p10, 0.5);
  }
}

// ---------------------------------------------------------------- leakage

TEST(ForecastLoad, DataAfterTheIssueIsNeverRead) {
  const absl::TimeZone zone = Rome();
  const Series history = MakeSeries(Utc(2024, 1, 8), Utc(2024, 6, 1), [&](absl::Time t, size_t i) {
    return WeeklyValue(t, zone) * (1.0 + 0.0005 * static_cast<double>(i) / 96.0) + 5.0 * Noise(i);
  });
  const absl::CivilDay day(2024, 4, 17);
  const absl::Time gate = DayAheadGate(day, absl::Hours(12), zone);
  const absl::Time intraday_issue = Utc(2024, 4, 17, 9, 15);
  for (const auto& [kind, issued, from, to] :
       {std::tuple{ForecastKind::kDayAhead, gate, LocalDayStart(day, zone), LocalDayStart(day + 1, zone)},
        std::tuple{ForecastKind::kIntraday, intraday_issue, intraday_issue, intraday_issue + absl::Hours(6)}}) {
    SCOPED_TRACE(ForecastKindName(kind));
    auto original = ForecastLoad(history, issued, from, to, kind, {}, zone);
    ASSERT_TRUE(original.ok()) << original.status();

    Series altered_after = history;
    for (size_t i = 0; i < altered_after.values.size(); ++i) {
      // The interval that straddles the issue has not ended: it is unknown.
      if (altered_after.TimeAt(i) + altered_after.step > issued) {
        altered_after.values[i] = i % 7 == 0 ? std::nan("") : altered_after.values[i] * 3 + 1000;
      }
    }
    auto after = ForecastLoad(altered_after, issued, from, to, kind, {}, zone);
    ASSERT_TRUE(after.ok()) << after.status();
    ASSERT_EQ(after->size(), original->size());
    for (size_t i = 0; i < original->size(); ++i) {
      EXPECT_EQ((*after)[i].p10, (*original)[i].p10);
      EXPECT_EQ((*after)[i].p50, (*original)[i].p50);
      EXPECT_EQ((*after)[i].p90, (*original)[i].p90);
    }

    // The last hour before the issue does count.
    Series altered_before = history;
    for (size_t i = 0; i < altered_before.values.size(); ++i) {
      const absl::Time end = altered_before.TimeAt(i) + altered_before.step;
      if (end <= issued && end > issued - absl::Hours(1)) altered_before.values[i] += 200;
    }
    auto before = ForecastLoad(altered_before, issued, from, to, kind, {}, zone);
    ASSERT_TRUE(before.ok()) << before.status();
    EXPECT_NE((*before)[0].p50, (*original)[0].p50);
  }
}

// ------------------------------------------------------ clock-change days

TEST(ForecastLoad, ClockChangeDaysHave92And100QuarterHours) {
  const absl::TimeZone zone = Rome();
  const Series history = WeeklySeries(Utc(2024, 1, 7, 23), Utc(2024, 10, 31, 23));
  for (const auto& [day, quarter_hours] :
       {std::pair{absl::CivilDay(2024, 3, 31), 92u}, std::pair{absl::CivilDay(2024, 10, 27), 100u}}) {
    auto forecast = ForecastLoad(history, DayAheadGate(day, absl::Hours(12), zone), LocalDayStart(day, zone),
                                 LocalDayStart(day + 1, zone), ForecastKind::kDayAhead, {}, zone);
    ASSERT_TRUE(forecast.ok()) << forecast.status();
    EXPECT_EQ(forecast->size(), quarter_hours) << day;
    // Matched by local clock time, both 02:xx hours of 27 October included.
    for (const QuantilePoint& p : *forecast) {
      EXPECT_NEAR(p.p50, WeeklyValue(p.start, zone), 1e-9) << absl::FormatTime(p.start);
    }
    auto naive = SeasonalNaive(history, DayAheadGate(day, absl::Hours(12), zone), LocalDayStart(day, zone),
                               LocalDayStart(day + 1, zone), zone);
    ASSERT_TRUE(naive.ok()) << naive.status();
    EXPECT_EQ(naive->size(), quarter_hours);
    for (const QuantilePoint& p : *naive) EXPECT_NEAR(p.p50, WeeklyValue(p.start, zone), 1e-9);
  }
}

// ----------------------------------------------------------------- errors

TEST(ForecastLoad, RejectsShortHistoryAndWindowsBeyondTheHorizon) {
  const absl::TimeZone zone = Rome();
  const Series history = WeeklySeries(Utc(2024, 3, 1), Utc(2024, 3, 20));
  EXPECT_TRUE(StatusIs(ForecastLoad(history, Utc(2024, 3, 10, 11), Utc(2024, 3, 10, 23), Utc(2024, 3, 11, 23),
                                    ForecastKind::kDayAhead, {}, zone),
                       absl::StatusCode::kFailedPrecondition, {"history", "9.5 days", "14 days"}));
  EXPECT_TRUE(StatusIs(ForecastLoad(history, Utc(2024, 3, 18, 11), Utc(2024, 3, 18, 23), Utc(2024, 3, 20, 23),
                                    ForecastKind::kDayAhead, {}, zone),
                       absl::StatusCode::kInvalidArgument, {"to: 2024-03-20T23:00:00Z", "horizon is 48h"}));
  EXPECT_TRUE(StatusIs(ForecastLoad(history, Utc(2024, 3, 18, 11), Utc(2024, 3, 18, 12), Utc(2024, 3, 19, 13),
                                    ForecastKind::kIntraday, {}, zone),
                       absl::StatusCode::kInvalidArgument, {"to:", "intraday horizon is 24h"}));
  EXPECT_TRUE(StatusIs(ForecastLoad(history, Utc(2024, 3, 18, 11), Utc(2024, 3, 18, 14), Utc(2024, 3, 18, 12),
                                    ForecastKind::kIntraday, {}, zone),
                       absl::StatusCode::kInvalidArgument, {"from: 2024-03-18T14:00:00Z", "not before"}));
  EXPECT_TRUE(StatusIs(ForecastLoad(history, Utc(2024, 3, 18, 11), Utc(2024, 3, 18, 12, 5), Utc(2024, 3, 18, 14),
                                    ForecastKind::kIntraday, {}, zone),
                       absl::StatusCode::kInvalidArgument, {"from: 2024-03-18T12:05:00Z", "grid"}));
}

// --------------------------------------------------------------- backtest

TEST(ForecastBacktest, ScoresOfATinyCaseMatchTheHandComputation) {
  const absl::TimeZone zone = Rome();
  const absl::CivilDay day(2024, 2, 14);
  const absl::Time day_start = LocalDayStart(day, zone);
  // 100 MW throughout; on the scored day 108 MW for the first 24 quarter
  // hours. Both forecasters say 100 with no band.
  const Series history = MakeSeries(Utc(2024, 1, 1), LocalDayStart(day + 1, zone), [&](absl::Time t, size_t) {
    return t >= day_start && t < day_start + absl::Hours(6) ? 108.0 : 100.0;
  });
  auto result = RunBacktest(history, day_start, LocalDayStart(day + 1, zone), {}, zone);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->issues, 1u);
  for (const ForecastScores* s : {&result->method, &result->seasonal_naive}) {
    EXPECT_EQ(s->points, 96u);
    EXPECT_NEAR(s->mae, 8.0 * 24 / 96, 1e-12);                         // 2 MW
    EXPECT_NEAR(s->mape_pct, 100.0 * (8.0 / 108.0) * 24 / 96, 1e-12);  // 1.85 %
    EXPECT_NEAR(s->pinball_p10, 0.1 * 8.0 * 24 / 96, 1e-12);
    EXPECT_NEAR(s->pinball_p50, 0.5 * 8.0 * 24 / 96, 1e-12);
    EXPECT_NEAR(s->pinball_p90, 0.9 * 8.0 * 24 / 96, 1e-12);
  }
  EXPECT_NEAR(result->method.coverage_pct, 75.0, 1e-12);
  EXPECT_TRUE(std::isnan(result->seasonal_naive.coverage_pct));
}

// The figures of docs/FORECASTING.md: September and October 2024 of the
// Terna North zone, with January to August as history.
TEST(ForecastBacktest, BeatsSeasonalNaiveOnTheTernaLoad) {
  Series history = ReadTernaLoad();
  ASSERT_TRUE(ScaleToPeak(history, 180).ok());
  const absl::TimeZone zone = Rome();
  for (ForecastKind kind : {ForecastKind::kDayAhead, ForecastKind::kIntraday}) {
    SCOPED_TRACE(ForecastKindName(kind));
    BacktestOptions options;
    options.kind = kind;
    auto result = RunBacktest(history, Utc(2024, 9, 1), Utc(2024, 11, 1), options, zone);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_LT(result->method.mae, result->seasonal_naive.mae);
    EXPECT_GE(result->method.coverage_pct, 70.0);
    EXPECT_LE(result->method.coverage_pct, 90.0);
  }
}

// Every held-out month of the Terna North zone, each scored with the band
// fitted on the other months: P10-P90 coverage within 70-90 % and MAE
// below seasonal naive, day-ahead and intraday.
TEST(ForecastBacktest, BandHoldsOnEveryHeldOutMonth) {
  Series history = ReadTernaLoad();
  ASSERT_TRUE(ScaleToPeak(history, 180).ok());
  const absl::TimeZone zone = Rome();
  for (ForecastKind kind : {ForecastKind::kDayAhead, ForecastKind::kIntraday}) {
    SCOPED_TRACE(ForecastKindName(kind));
    BacktestOptions options;
    options.kind = kind;
    auto result = RunLeaveOneMonthOut(history, options, zone);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->months.size(), 10u);  // January to October
    for (const MonthScores& m : result->months) {
      SCOPED_TRACE(absl::FormatCivilTime(m.month));
      EXPECT_GE(m.method.coverage_pct, 70.0);
      EXPECT_LE(m.method.coverage_pct, 90.0);
      EXPECT_LT(m.method.mae, m.seasonal_naive.mae);
    }
  }
}

TEST(ForecastBacktest, CommandRejectsBadArgumentsWithExitCode2) {
  app::BacktestArgs args;
  args.history = kTernaLoad;
  args.from = "2024-09-01T00:00:00Z";
  args.to = "2024-11-01T00:00:00Z";
  args.kind = "weekly";
  EXPECT_EQ(app::ForecastBacktest(args), 2);
  args.kind = "day-ahead";
  args.from = "September";
  EXPECT_EQ(app::ForecastBacktest(args), 2);
  args.from = "2024-11-02T00:00:00Z";
  EXPECT_EQ(app::ForecastBacktest(args), 2);
  args.from = "2024-09-01T00:00:00Z";
  args.leave_one_month_out = true;
  EXPECT_EQ(app::ForecastBacktest(args), 2);  // the whole history, no window
  args.leave_one_month_out = false;
  args.history = "/nonexistent/load.csv";
  EXPECT_EQ(app::ForecastBacktest(args), 2);
}

}  // namespace
}  // namespace tsodso::core
