// The P-Q picture a grid engineer expects of a PCC: the cloud of operating
// points, the boundary of the capability over the horizon, and the
// flexibility area of one interval around its operating point.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tsodso::client {

struct PqChart {
  std::string title;
  std::vector<std::pair<double, double>> operating_points;     // (P MW, Q Mvar)
  std::vector<std::pair<double, double>> capability_boundary;  // closed polygon
  std::vector<std::pair<double, double>> interval_area;        // closed polygon
  std::pair<double, double> interval_operating{0, 0};
  std::string interval_label;
};

// Render the chart as a standalone SVG document with labelled axes.
std::string RenderSvg(const PqChart& chart);

}  // namespace tsodso::client
