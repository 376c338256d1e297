#include "lib/forecast_chart.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <sstream>

#include "lib/svg.h"

namespace tsodso::client {

std::string RenderForecastSvg(const ForecastChart& c) {
  const double W = 1000, H = 560, L = 80, R = 30, T = 60, B = 70;
  double tmin = 0, tmax = 1, ymin = 1e300, ymax = -1e300;
  if (!c.points.empty()) {
    tmin = c.points.front().t;
    tmax = c.points.back().t + c.step_s;
  }
  for (const ForecastPoint& p : c.points) {
    ymin = std::min({ymin, p.p10, p.measured.value_or(p.p10)});
    ymax = std::max({ymax, p.p90, p.measured.value_or(p.p90)});
  }
  if (c.points.empty()) ymin = 0, ymax = 1;
  if (ymax - ymin < 1) ymax = ymin + 1;
  const double pad = (ymax - ymin) * 0.08;
  ymin -= pad, ymax += pad;
  auto X = [&](double t) { return L + (t - tmin) / (tmax - tmin) * (W - L - R); };
  auto Y = [&](double y) { return H - B - (y - ymin) / (ymax - ymin) * (H - T - B); };

  std::ostringstream s;
  s << SvgOpen(W, H, c.title);
  const double sy = SvgTickStep(ymax - ymin);
  for (double y = std::ceil(ymin / sy) * sy; y <= ymax; y += sy) {
    s << "<line x1=\"" << L << "\" y1=\"" << Y(y) << "\" x2=\"" << W - R << "\" y2=\"" << Y(y)
      << "\" stroke=\"#e4e4e4\"/>\n";
    s << "<text x=\"" << L - 8 << "\" y=\"" << Y(y) + 4 << "\" text-anchor=\"end\">" << SvgNum(y) << "</text>\n";
  }
  // Time ticks on whole hours, about eight of them.
  const double hours = (tmax - tmin) / 3600;
  const double every_h = hours <= 8 ? 1 : hours <= 16 ? 2 : hours <= 32 ? 4 : 6;
  for (double t = std::ceil(tmin / (every_h * 3600)) * every_h * 3600; t <= tmax; t += every_h * 3600) {
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm utc{};
    gmtime_r(&tt, &utc);
    char label[32];
    std::strftime(label, sizeof label, utc.tm_hour == 0 ? "%d %b" : "%H:%M", &utc);
    s << "<line x1=\"" << X(t) << "\" y1=\"" << T << "\" x2=\"" << X(t) << "\" y2=\"" << H - B
      << "\" stroke=\"#e4e4e4\"/>\n";
    s << "<text x=\"" << X(t) << "\" y=\"" << H - B + 18 << "\" text-anchor=\"middle\">" << label << "</text>\n";
  }
  s << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << W - L - R << "\" height=\"" << H - T - B
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  s << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 20 << "\" text-anchor=\"middle\">time (UTC)</text>\n";
  s << "<text transform=\"translate(22," << (T + H - B) / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << SvgEscaped(c.y_label) << "</text>\n";
  if (!c.points.empty()) {
    // The band: P90 forward, P10 back, each interval drawn at its middle.
    s << "<polygon points=\"";
    for (const ForecastPoint& p : c.points) s << X(p.t + c.step_s / 2) << "," << Y(p.p90) << " ";
    for (auto it = c.points.rbegin(); it != c.points.rend(); ++it)
      s << X(it->t + c.step_s / 2) << "," << Y(it->p10) << " ";
    s << "\" fill=\"#dbe9f6\" stroke=\"none\"/>\n";
    s << "<polyline fill=\"none\" stroke=\"#1f5f99\" stroke-width=\"2\" points=\"";
    for (const ForecastPoint& p : c.points) s << X(p.t + c.step_s / 2) << "," << Y(p.p50) << " ";
    s << "\"/>\n";
    for (const ForecastPoint& p : c.points) {
      if (!p.measured) continue;
      s << "<circle cx=\"" << X(p.t + c.step_s / 2) << "\" cy=\"" << Y(*p.measured)
        << "\" r=\"2.5\" fill=\"#c00000\"/>\n";
    }
  }
  const double lx = L + 15, ly = T + 15;
  s << "<rect x=\"" << lx << "\" y=\"" << ly << "\" width=\"14\" height=\"10\" fill=\"#dbe9f6\"/>"
    << "<text x=\"" << lx + 20 << "\" y=\"" << ly + 10 << "\">P10-P90 band</text>\n";
  s << "<line x1=\"" << lx << "\" y1=\"" << ly + 25 << "\" x2=\"" << lx + 14 << "\" y2=\"" << ly + 25
    << "\" stroke=\"#1f5f99\" stroke-width=\"2\"/>"
    << "<text x=\"" << lx + 20 << "\" y=\"" << ly + 30 << "\">P50</text>\n";
  s << "<circle cx=\"" << lx + 7 << "\" cy=\"" << ly + 40 << "\" r=\"2.5\" fill=\"#c00000\"/>"
    << "<text x=\"" << lx + 20 << "\" y=\"" << ly + 45 << "\">measured</text>\n";
  s << "</svg>\n";
  return s.str();
}

}  // namespace tsodso::client
