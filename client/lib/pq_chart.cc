#include "lib/pq_chart.h"

#include "lib/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace tsodso::client {

std::string RenderSvg(const PqChart& c) {
  double pmin = 1e300, pmax = -1e300, qmin = 1e300, qmax = -1e300;
  auto extend = [&](const std::pair<double, double>& x) {
    pmin = std::min(pmin, x.first);
    pmax = std::max(pmax, x.first);
    qmin = std::min(qmin, x.second);
    qmax = std::max(qmax, x.second);
  };
  for (const auto& x : c.operating_points) extend(x);
  for (const auto& x : c.capability_boundary) extend(x);
  for (const auto& x : c.interval_area) extend(x);
  extend(c.interval_operating);
  if (pmax - pmin < 1) pmax = pmin + 1;
  if (qmax - qmin < 1) qmax = qmin + 1;
  const double pad_p = (pmax - pmin) * 0.05, pad_q = (qmax - qmin) * 0.05;
  pmin -= pad_p, pmax += pad_p, qmin -= pad_q, qmax += pad_q;

  const double W = 900, H = 700, L = 90, R = 30, T = 60, B = 70;
  auto X = [&](double p) { return L + (p - pmin) / (pmax - pmin) * (W - L - R); };
  auto Y = [&](double q) { return H - B - (q - qmin) / (qmax - qmin) * (H - T - B); };
  std::ostringstream s;
  s << SvgOpen(W, H, c.title);
  // Grid and ticks.
  const double sp = SvgTickStep(pmax - pmin), sq = SvgTickStep(qmax - qmin);
  for (double p = std::ceil(pmin / sp) * sp; p <= pmax; p += sp) {
    s << "<line x1=\"" << X(p) << "\" y1=\"" << T << "\" x2=\"" << X(p) << "\" y2=\"" << H - B
      << "\" stroke=\"#e4e4e4\"/>\n";
    s << "<text x=\"" << X(p) << "\" y=\"" << H - B + 18 << "\" text-anchor=\"middle\">" << SvgNum(p) << "</text>\n";
  }
  for (double q = std::ceil(qmin / sq) * sq; q <= qmax; q += sq) {
    s << "<line x1=\"" << L << "\" y1=\"" << Y(q) << "\" x2=\"" << W - R << "\" y2=\"" << Y(q)
      << "\" stroke=\"#e4e4e4\"/>\n";
    s << "<text x=\"" << L - 8 << "\" y=\"" << Y(q) + 4 << "\" text-anchor=\"end\">" << SvgNum(q) << "</text>\n";
  }
  s << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << W - L - R << "\" height=\"" << H - T - B
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  s << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 20
    << "\" text-anchor=\"middle\">P at the PCC (MW, import from the TSO grid positive)</text>\n";
  s << "<text transform=\"translate(25," << (T + H - B) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">Q at the PCC (Mvar, import positive)</text>\n";
  auto poly = [&](const std::vector<std::pair<double, double>>& v, const char* style) {
    if (v.empty()) return;
    s << "<polygon points=\"";
    for (const auto& x : v) s << X(x.first) << "," << Y(x.second) << " ";
    s << "\" " << style << "/>\n";
  };
  poly(c.capability_boundary, "fill=\"#dbe9f6\" fill-opacity=\"0.6\" stroke=\"#1f5f99\" stroke-width=\"1.5\"");
  for (const auto& x : c.operating_points) {
    s << "<circle cx=\"" << X(x.first) << "\" cy=\"" << Y(x.second)
      << "\" r=\"1.2\" fill=\"#555\" fill-opacity=\"0.35\"/>\n";
  }
  poly(c.interval_area, "fill=\"#f4b183\" fill-opacity=\"0.55\" stroke=\"#c55a11\" stroke-width=\"2\"");
  if (!c.interval_area.empty()) {
    s << "<circle cx=\"" << X(c.interval_operating.first) << "\" cy=\"" << Y(c.interval_operating.second)
      << "\" r=\"4\" fill=\"#c00000\"/>\n";
  }
  // Legend.
  const double lx = L + 15, ly = T + 15;
  s << "<rect x=\"" << lx << "\" y=\"" << ly << "\" width=\"14\" height=\"10\" fill=\"#dbe9f6\" stroke=\"#1f5f99\"/>"
    << "<text x=\"" << lx + 20 << "\" y=\"" << ly + 10 << "\">capability over the horizon</text>\n";
  s << "<circle cx=\"" << lx + 7 << "\" cy=\"" << ly + 25 << "\" r=\"2\" fill=\"#555\"/>"
    << "<text x=\"" << lx + 20 << "\" y=\"" << ly + 30 << "\">operating points</text>\n";
  if (!c.interval_area.empty()) {
    s << "<rect x=\"" << lx << "\" y=\"" << ly + 38
      << "\" width=\"14\" height=\"10\" fill=\"#f4b183\" stroke=\"#c55a11\"/>"
      << "<text x=\"" << lx + 20 << "\" y=\"" << ly + 48 << "\">flexibility area, " << SvgEscaped(c.interval_label)
      << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace tsodso::client
