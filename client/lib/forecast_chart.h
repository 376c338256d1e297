// The picture of a PCC forecast: P50 over time with its P10-P90 band and,
// for the part that has passed, what was measured.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tsodso::client {

struct ForecastPoint {
  double t = 0;  // Unix seconds, interval start
  double p10 = 0, p50 = 0, p90 = 0;
  std::optional<double> measured;
};

struct ForecastChart {
  std::string title;
  std::string y_label;
  double step_s = 900;
  std::vector<ForecastPoint> points;  // in time order
};

// Render the chart as a standalone SVG document with labelled axes (time
// in UTC).
std::string RenderForecastSvg(const ForecastChart& chart);

}  // namespace tsodso::client
