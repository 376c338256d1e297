#include "app/forecast_commands.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "core/common/text_file.h"
#include "core/common/time.h"
#include "core/forecast/backtest.h"
#include "core/forecast/series.h"
#include "core/profiles/profile.h"

namespace tsodso::app {
namespace {

// The calendar the DSO's load follows: Italian days and clock changes.
constexpr char kLoadZone[] = "Europe/Rome";

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "forecast backtest: %s\n", message.c_str());
  return code;
}

std::string Row(const char* name, const core::ForecastScores& s) {
  const std::string coverage = std::isnan(s.coverage_pct) ? "n/a" : absl::StrFormat("%.1f %%", s.coverage_pct);
  return absl::StrFormat("%-22s %9.3f %7.2f %7.2f %9.3f %9.3f %9.3f %10s\n", name, s.mae, 100.0 * s.mae / s.mean_actual,
                         s.mape_pct, s.pinball_p10, s.pinball_p50, s.pinball_p90, coverage);
}

}  // namespace

int ForecastBacktest(const BacktestArgs& args) {
  absl::Time from, to;
  if (args.leave_one_month_out) {
    if (!args.from.empty() || !args.to.empty()) {
      return Fail(2, "--leave-one-month-out: scores the whole history; --from and --to do not apply");
    }
  } else {
    if (!core::ParseUtc(args.from, &from)) return Fail(2, "--from: '" + args.from + "' is not a UTC time");
    if (!core::ParseUtc(args.to, &to)) return Fail(2, "--to: '" + args.to + "' is not a UTC time");
    if (from >= to) return Fail(2, "--from: " + args.from + " is not before --to " + args.to);
  }
  core::BacktestOptions options;
  if (!core::ParseForecastKind(args.kind, &options.kind)) {
    return Fail(2, "--kind: '" + args.kind + "' is neither day-ahead nor intraday");
  }
  if (args.scale_peak_mw < 0 || !std::isfinite(args.scale_peak_mw)) {
    return Fail(2, absl::StrFormat("--scale-peak-mw: %g is not a positive number", args.scale_peak_mw));
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(kLoadZone, &zone)) return Fail(1, std::string("cannot load time zone ") + kLoadZone);
  auto text = core::ReadTextFile(args.history, "--history");
  if (!text.ok()) return Fail(2, std::string(text.status().message()));
  auto history = core::SeriesFromCsv(*text, args.history, args.column);
  if (!history.ok()) return Fail(1, std::string(history.status().message()));
  if (args.scale_peak_mw > 0) {
    if (auto st = core::ScaleToPeak(*history, args.scale_peak_mw); !st.ok()) return Fail(1, std::string(st.message()));
  }
  const std::vector<core::Gap> gaps = core::FindGaps(*history);
  const std::vector<core::Gap> unfilled = core::FillShortGaps(*history);

  std::printf(
      "history   %s (%s): %zu intervals, %s .. %s%s\n", args.history.c_str(), args.column.c_str(),
      history->values.size(), core::Rfc3339(history->start).c_str(), core::Rfc3339(history->end()).c_str(),
      args.scale_peak_mw > 0 ? absl::StrFormat(", shape scaled to a %g MW peak", args.scale_peak_mw).c_str() : "");
  std::printf("gaps      %zu, %zu filled (up to %s), %zu left missing\n", gaps.size(), gaps.size() - unfilled.size(),
              absl::FormatDuration(core::kDefaultMaxFillSpan).c_str(), unfilled.size());
  for (const core::Gap& gap : unfilled) {
    std::printf("          missing %s .. %s\n", core::Rfc3339(gap.start).c_str(), core::Rfc3339(gap.end).c_str());
  }

  const absl::Time started = absl::Now();
  auto result = args.leave_one_month_out ? core::RunLeaveOneMonthOut(*history, options, zone)
                                         : core::RunBacktest(*history, from, to, options, zone);
  if (!result.ok()) return Fail(1, std::string(result.status().message()));
  const std::string issued =
      options.kind == core::ForecastKind::kDayAhead
          ? absl::StrFormat("at %02d:%02d %s on the day before each local day",
                            absl::ToInt64Hours(options.gate_time_of_day),
                            absl::ToInt64Minutes(options.gate_time_of_day) % 60, kLoadZone)
          : absl::StrFormat("every %s for %s ahead", absl::FormatDuration(options.intraday_every),
                            absl::FormatDuration(options.intraday_horizon));
  const std::string scored = args.leave_one_month_out
                                 ? std::string("leave one month out, the band of each month fitted on the others")
                                 : args.from + " .. " + args.to;
  std::printf("backtest  %s, %s: %zu forecasts issued %s, %zu intervals scored (%.2f s)\n",
              std::string(core::ForecastKindName(options.kind)).c_str(), scored.c_str(), result->issues, issued.c_str(),
              result->method.points, absl::ToDoubleSeconds(absl::Now() - started));
  std::printf("mean load %.3f\n\n", result->method.mean_actual);
  std::printf("%-22s %9s %7s %7s %9s %9s %9s %10s\n", "forecaster", "MAE", "MAE %", "MAPE %", "pinball", "pinball",
              "pinball", "P10-P90");
  std::printf("%-22s %9s %7s %7s %9s %9s %9s %10s\n", "", "", "", "", "P10", "P50", "P90", "coverage");
  std::printf("%s", Row("similar-day", result->method).c_str());
  std::printf("%s", Row("seasonal naive (-1 wk)", result->seasonal_naive).c_str());
  std::printf("\n%-8s %8s %9s %9s %10s\n", "month", "points", "MAE", "MAE naive", "coverage");
  for (const core::MonthScores& m : result->months) {
    std::printf("%-8s %8zu %9.3f %9.3f %8.1f %%\n", absl::FormatCivilTime(m.month).c_str(), m.method.points,
                m.method.mae, m.seasonal_naive.mae, m.method.coverage_pct);
  }
  return 0;
}

}  // namespace tsodso::app
