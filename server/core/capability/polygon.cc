#include "core/capability/polygon.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tsodso::core {
namespace {

double Cross(PqPoint o, PqPoint a, PqPoint b) { return (a.p - o.p) * (b.q - o.q) - (a.q - o.q) * (b.p - o.p); }

// Vertices closer than this (in the polygon's unit) are one vertex.
constexpr double kEps = 1e-12;

// Index of the lowest vertex (smallest q, then smallest p): where the
// angular order of a counter-clockwise polygon's edges starts.
size_t Lowest(const std::vector<PqPoint>& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i].q < v[best].q || (v[i].q == v[best].q && v[i].p < v[best].p)) best = i;
  }
  return best;
}

}  // namespace

ConvexPolygon ConvexPolygon::Hull(std::vector<PqPoint> pts) {
  std::sort(pts.begin(), pts.end(), [](PqPoint a, PqPoint b) { return a.p < b.p || (a.p == b.p && a.q < b.q); });
  pts.erase(
      std::unique(pts.begin(), pts.end(),
                  [](PqPoint a, PqPoint b) { return std::abs(a.p - b.p) <= kEps && std::abs(a.q - b.q) <= kEps; }),
      pts.end());
  if (pts.size() <= 1) return ConvexPolygon(pts);
  std::vector<PqPoint> h(2 * pts.size());
  size_t k = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    while (k >= 2 && Cross(h[k - 2], h[k - 1], pts[i]) <= kEps) --k;
    h[k++] = pts[i];
  }
  for (size_t i = pts.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && Cross(h[k - 2], h[k - 1], pts[i]) <= kEps) --k;
    h[k++] = pts[i];
  }
  h.resize(k - 1);
  return ConvexPolygon(std::move(h));
}

ConvexPolygon ConvexPolygon::InscribedCircle(double r, int n) {
  // Unit circles are computed once per vertex count (thread-safe statics
  // per count would need a lock; a small fixed table of the common counts
  // avoids it).
  static const std::vector<PqPoint> k64 = [] {
    std::vector<PqPoint> v;
    for (int i = 0; i < 64; ++i) v.push_back({std::cos(2 * M_PI * i / 64), std::sin(2 * M_PI * i / 64)});
    return v;
  }();
  std::vector<PqPoint> v;
  v.reserve(n);
  if (n == 64) {
    for (const PqPoint& u : k64) v.push_back({r * u.p, r * u.q});
  } else {
    for (int i = 0; i < n; ++i) {
      const double a = 2 * M_PI * i / n;
      v.push_back({r * std::cos(a), r * std::sin(a)});
    }
  }
  if (r <= 0) return ConvexPolygon({{0, 0}});
  return ConvexPolygon(std::move(v));
}

ConvexPolygon ConvexPolygon::InscribedCircle(double r, int n, double through_p) {
  ConvexPolygon circle = InscribedCircle(r, n);
  const double q = std::sqrt(std::max(0.0, r * r - through_p * through_p));
  if (r <= 0 || !(q > kEps * r)) return circle;
  // The two points sit at angles a and 2 pi - a; each goes in before the
  // first vertex beyond its angle, unless a vertex is there already.
  const double a = std::atan2(q, through_p);
  const PqPoint extra[2] = {{through_p, q}, {through_p, -q}};
  const double at[2] = {a, 2 * M_PI - a};
  std::vector<PqPoint> v;
  v.reserve(n + 2);
  int next = 0;
  for (int i = 0; i <= n; ++i) {
    const double vertex_angle = 2 * M_PI * i / n;
    while (next < 2 && at[next] <= vertex_angle) {
      const PqPoint& x = extra[next];
      const PqPoint& nearest = circle.v_[i % n];
      const bool apart = std::abs(x.p - nearest.p) > kEps * r || std::abs(x.q - nearest.q) > kEps * r;
      const bool after_last =
          v.empty() || std::abs(x.p - v.back().p) > kEps * r || std::abs(x.q - v.back().q) > kEps * r;
      if (apart && after_last) v.push_back(x);
      ++next;
    }
    if (i < n) v.push_back(circle.v_[i]);
  }
  return ConvexPolygon(std::move(v));
}

ConvexPolygon ConvexPolygon::Rectangle(double p_min, double p_max, double q_min, double q_max) {
  return Hull({{p_min, q_min}, {p_max, q_min}, {p_max, q_max}, {p_min, q_max}});
}

double ConvexPolygon::Support(double dp, double dq) const {
  double best = -std::numeric_limits<double>::infinity();
  for (const PqPoint& x : v_) best = std::max(best, dp * x.p + dq * x.q);
  return best;
}

double ConvexPolygon::Area() const {
  double a = 0;
  for (size_t i = 0; i < v_.size(); ++i) {
    const PqPoint& x = v_[i];
    const PqPoint& y = v_[(i + 1) % v_.size()];
    a += x.p * y.q - y.p * x.q;
  }
  return a / 2;
}

bool ConvexPolygon::Contains(PqPoint x, double tolerance) const {
  if (v_.empty()) return false;
  if (v_.size() == 1) return std::hypot(x.p - v_[0].p, x.q - v_[0].q) <= tolerance;
  for (size_t i = 0; i < v_.size(); ++i) {
    const PqPoint& a = v_[i];
    const PqPoint& b = v_[(i + 1) % v_.size()];
    const double len = std::hypot(b.p - a.p, b.q - a.q);
    if (Cross(a, b, x) < -tolerance * std::max(len, 1e-300)) return false;
  }
  if (v_.size() == 2) {  // a segment: also within its ends
    const double t = ((x.p - v_[0].p) * (v_[1].p - v_[0].p) + (x.q - v_[0].q) * (v_[1].q - v_[0].q)) /
                     (std::pow(v_[1].p - v_[0].p, 2) + std::pow(v_[1].q - v_[0].q, 2));
    return t >= -tolerance && t <= 1 + tolerance;
  }
  return true;
}

ConvexPolygon ConvexPolygon::Translated(double dp, double dq) const {
  std::vector<PqPoint> v = v_;
  for (PqPoint& x : v) {
    x.p += dp;
    x.q += dq;
  }
  return ConvexPolygon(std::move(v));
}

ConvexPolygon ConvexPolygon::ShiftedAndScaled(double dp, double dq, double k) const {
  if (k <= 0) return v_.empty() ? ConvexPolygon() : ConvexPolygon({{0, 0}});
  std::vector<PqPoint> v = v_;
  for (PqPoint& x : v) {
    x.p = k * (x.p + dp);
    x.q = k * (x.q + dq);
  }
  return ConvexPolygon(std::move(v));
}

ConvexPolygon ConvexPolygon::Scaled(double k) const {
  if (k <= 0) return v_.empty() ? ConvexPolygon() : ConvexPolygon({{0, 0}});
  std::vector<PqPoint> v = v_;
  for (PqPoint& x : v) {
    x.p *= k;
    x.q *= k;
  }
  return ConvexPolygon(std::move(v));
}

ConvexPolygon ConvexPolygon::Negated() const {
  std::vector<PqPoint> v = v_;
  for (PqPoint& x : v) {
    x.p = -x.p;
    x.q = -x.q;
  }
  return ConvexPolygon(std::move(v));
}

ConvexPolygon ConvexPolygon::ClippedBy(const ConvexPolygon& clip) const {
  if (clip.v_.size() < 3) {
    std::vector<PqPoint> inside;
    for (const PqPoint& x : v_) {
      if (clip.Contains(x, 1e-9)) inside.push_back(x);
    }
    return Hull(std::move(inside));
  }
  if (v_.size() == 1) return clip.Contains(v_[0], 1e-9) ? *this : ConvexPolygon();
  if (v_.size() == 2) {
    // Cyrus-Beck: keep the parameter range of the segment inside every edge.
    const PqPoint a = v_[0];
    const PqPoint d{v_[1].p - a.p, v_[1].q - a.q};
    double t0 = 0, t1 = 1;
    for (size_t i = 0; i < clip.v_.size(); ++i) {
      const PqPoint e0 = clip.v_[i];
      const PqPoint e1 = clip.v_[(i + 1) % clip.v_.size()];
      // Inside is left of e0->e1: cross(e1 - e0, x - e0) >= 0.
      const double ex = e1.p - e0.p, ey = e1.q - e0.q;
      const double num = ex * (a.q - e0.q) - ey * (a.p - e0.p);
      const double den = ex * d.q - ey * d.p;
      if (std::abs(den) < 1e-15) {
        if (num < 0) return ConvexPolygon();
        continue;
      }
      const double t = -num / den;
      if (den > 0) {
        t0 = std::max(t0, t);
      } else {
        t1 = std::min(t1, t);
      }
      if (t0 > t1) return ConvexPolygon();
    }
    return Hull({{a.p + t0 * d.p, a.q + t0 * d.q}, {a.p + t1 * d.p, a.q + t1 * d.q}});
  }
  std::vector<PqPoint> out = v_;
  for (size_t i = 0; i < clip.v_.size() && !out.empty(); ++i) {
    const PqPoint a = clip.v_[i];
    const PqPoint b = clip.v_[(i + 1) % clip.v_.size()];
    std::vector<PqPoint> in = std::move(out);
    out.clear();
    for (size_t j = 0; j < in.size(); ++j) {
      const PqPoint cur = in[j];
      const PqPoint prev = in[(j + in.size() - 1) % in.size()];
      const double c_cur = Cross(a, b, cur);
      const double c_prev = Cross(a, b, prev);
      if (c_cur >= 0) {
        if (c_prev < 0) {
          const double t = c_prev / (c_prev - c_cur);
          out.push_back({prev.p + t * (cur.p - prev.p), prev.q + t * (cur.q - prev.q)});
        }
        out.push_back(cur);
      } else if (c_prev >= 0) {
        const double t = c_prev / (c_prev - c_cur);
        out.push_back({prev.p + t * (cur.p - prev.p), prev.q + t * (cur.q - prev.q)});
      }
    }
  }
  return Hull(std::move(out));
}

Range RangeOnLine(const ConvexPolygon& polygon, bool along_p, double fixed) {
  Range r{1e300, -1e300};
  const auto& v = polygon.vertices();
  // Coordinates: u runs along the line, w across it (w = fixed on the line).
  auto u = [&](const PqPoint& x) { return along_p ? x.p : x.q; };
  auto w = [&](const PqPoint& x) { return (along_p ? x.q : x.p) - fixed; };
  constexpr double kOn = 1e-9;
  for (size_t i = 0; i < v.size(); ++i) {
    const PqPoint& a = v[i];
    if (std::abs(w(a)) <= kOn) {
      r.lo = std::min(r.lo, u(a));
      r.hi = std::max(r.hi, u(a));
    }
    if (v.size() == 1) break;
    const PqPoint& b = v[(i + 1) % v.size()];
    if ((w(a) < -kOn && w(b) > kOn) || (w(a) > kOn && w(b) < -kOn)) {
      const double t = w(a) / (w(a) - w(b));
      const double x = u(a) + t * (u(b) - u(a));
      r.lo = std::min(r.lo, x);
      r.hi = std::max(r.hi, x);
    }
  }
  if (r.lo > r.hi) return Range{};
  return r;
}

ConvexPolygon MinkowskiSum(const ConvexPolygon& a, const ConvexPolygon& b) {
  if (a.empty() || b.empty()) return ConvexPolygon();
  if (a.size() < 3 || b.size() < 3) {
    std::vector<PqPoint> sums;
    sums.reserve(a.size() * b.size());
    for (const PqPoint& x : a.v_) {
      for (const PqPoint& y : b.v_) sums.push_back({x.p + y.p, x.q + y.q});
    }
    return ConvexPolygon::Hull(std::move(sums));
  }
  const auto& va = a.v_;
  const auto& vb = b.v_;
  const size_t n = va.size();
  const size_t m = vb.size();
  const size_t ia = Lowest(va);
  const size_t ib = Lowest(vb);
  std::vector<PqPoint> out;
  out.reserve(n + m);
  size_t i = 0;
  size_t j = 0;
  while (i < n || j < m) {
    const PqPoint pa = va[(ia + i) % n];
    const PqPoint pb = vb[(ib + j) % m];
    out.push_back({pa.p + pb.p, pa.q + pb.q});
    const PqPoint na = va[(ia + i + 1) % n];
    const PqPoint nb = vb[(ib + j + 1) % m];
    const PqPoint ea{na.p - pa.p, na.q - pa.q};
    const PqPoint eb{nb.p - pb.p, nb.q - pb.q};
    const double c = ea.p * eb.q - ea.q * eb.p;
    if (j >= m || (i < n && c > 0)) {
      ++i;
    } else if (i >= n || c < 0) {
      ++j;
    } else {
      ++i;
      ++j;
    }
  }
  // The merge yields a convex, counter-clockwise ring; parallel edges of
  // both polygons leave collinear or repeated vertices, dropped in one pass
  // (a hull would cost a sort).
  std::vector<PqPoint> clean;
  clean.reserve(out.size());
  for (const PqPoint& x : out) {
    if (!clean.empty() && std::abs(clean.back().p - x.p) <= kEps && std::abs(clean.back().q - x.q) <= kEps) continue;
    while (clean.size() >= 2 && std::abs(Cross(clean[clean.size() - 2], clean.back(), x)) <= kEps) clean.pop_back();
    clean.push_back(x);
  }
  while (clean.size() >= 3 &&
         (std::abs(Cross(clean[clean.size() - 2], clean.back(), clean[0])) <= kEps ||
          (std::abs(clean.back().p - clean[0].p) <= kEps && std::abs(clean.back().q - clean[0].q) <= kEps))) {
    clean.pop_back();
  }
  while (clean.size() >= 3 && std::abs(Cross(clean.back(), clean[0], clean[1])) <= kEps) clean.erase(clean.begin());
  if (clean.size() < 3) return ConvexPolygon::Hull(std::move(clean));
  return ConvexPolygon(std::move(clean));
}

bool IsConvexRing(const std::vector<PqPoint>& v) {
  if (v.size() < 3) return false;
  int sign = 0;
  double turned = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const PqPoint& a = v[i];
    const PqPoint& b = v[(i + 1) % v.size()];
    const PqPoint& c = v[(i + 2) % v.size()];
    const double cross = Cross(a, b, c);
    if (std::abs(cross) > 1e-12) {
      const int s = cross > 0 ? 1 : -1;
      if (sign != 0 && s != sign) return false;
      sign = s;
    }
    const double a1 = std::atan2(b.q - a.q, b.p - a.p);
    const double a2 = std::atan2(c.q - b.q, c.p - b.p);
    double d = a2 - a1;
    while (d <= -M_PI) d += 2 * M_PI;
    while (d > M_PI) d -= 2 * M_PI;
    turned += d;
  }
  // A simple convex ring turns exactly once.
  return sign != 0 && std::abs(std::abs(turned) - 2 * M_PI) < 1e-6;
}

}  // namespace tsodso::core
