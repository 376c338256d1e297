// `tsodso-gatewayd forecast ...`: offline forecast tools for the DSO
// engineer.
#pragma once

#include <string>

namespace tsodso::app {

// What `forecast backtest` is asked, as typed on the command line.
struct BacktestArgs {
  std::string history;  // CSV with utc_start and the value column
  std::string column = "total_load_mw";
  std::string from, to;              // UTC, e.g. 2024-09-01T00:00:00Z; not with the next
  bool leave_one_month_out = false;  // every month, its band fitted on the others
  std::string kind = "day-ahead";    // or "intraday"
  double scale_peak_mw = 0;          // 0: keep the history's level
};

// Replay the load forecaster over [from, to) with the earlier history, or
// over every month of the history leaving that month out of the band's
// fit, and print its scores beside the seasonal-naive baseline, in total
// and per month. Return 0, 1 when the
// history cannot be read or forecast, 2 on a bad argument.
int ForecastBacktest(const BacktestArgs& args);

}  // namespace tsodso::app
