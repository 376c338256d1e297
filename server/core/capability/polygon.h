// Convex polygons in the P-Q plane: the shape of every capability region
// and flexibility area in the gateway.
#pragma once

#include <cstddef>
#include <vector>

namespace tsodso::core {

struct PqPoint {
  double p = 0;  // active power (MW, or p.u. of Sn)
  double q = 0;  // reactive power (Mvar, or p.u. of Sn)
};

// A convex polygon with its vertices counter-clockwise (P to the right, Q
// up), no repeated or collinear vertices. It may degenerate to a segment
// (2 vertices) or a point (1 vertex); it is empty only when default-built.
class ConvexPolygon {
 public:
  ConvexPolygon() = default;
  // Return the convex hull of the points (Andrew's monotone chain).
  static ConvexPolygon Hull(std::vector<PqPoint> points);
  // Return a regular polygon with n vertices inscribed in the circle of
  // radius r around the origin: inside the true circle, never beyond it.
  static ConvexPolygon InscribedCircle(double r, int n);
  // Return the same polygon with two more vertices where the circle meets
  // the line P = through_p (none where it misses it): still inside the
  // circle, and on that line its Q range is exactly the circle's.
  static ConvexPolygon InscribedCircle(double r, int n, double through_p);
  static ConvexPolygon Rectangle(double p_min, double p_max, double q_min, double q_max);

  const std::vector<PqPoint>& vertices() const { return v_; }
  bool empty() const { return v_.empty(); }
  size_t size() const { return v_.size(); }

  // Return max over the polygon of (dp * p + dq * q): its support function.
  double Support(double dp, double dq) const;
  double MinP() const { return -Support(-1, 0); }
  double MaxP() const { return Support(1, 0); }
  double MinQ() const { return -Support(0, -1); }
  double MaxQ() const { return Support(0, 1); }
  double Area() const;
  bool Contains(PqPoint x, double tolerance = 1e-9) const;

  ConvexPolygon Translated(double dp, double dq) const;
  // Return {k (x + (dp, dq))}: a shift, then a scaling, in one pass.
  ConvexPolygon ShiftedAndScaled(double dp, double dq, double k) const;
  ConvexPolygon Scaled(double k) const;  // k >= 0
  // Return {-x : x in this polygon} (a half turn keeps it counter-clockwise).
  ConvexPolygon Negated() const;
  // Return the part of this polygon inside `clip` (Sutherland-Hodgman).
  ConvexPolygon ClippedBy(const ConvexPolygon& clip) const;

 private:
  explicit ConvexPolygon(std::vector<PqPoint> ccw) : v_(std::move(ccw)) {}
  std::vector<PqPoint> v_;
  friend ConvexPolygon MinkowskiSum(const ConvexPolygon& a, const ConvexPolygon& b);
};

// Return the range [lo, hi] of P over the polygon's points with Q = q0
// (along_p) or of Q over its points with P = p0; empty (lo > hi) when the
// line misses the polygon. Works for points and segments too.
struct Range {
  double lo = 1, hi = 0;
  bool empty() const { return lo > hi; }
};
Range RangeOnLine(const ConvexPolygon& polygon, bool along_p, double fixed);

// Return {a + b : a in A, b in B} in O(|A| + |B|) by merging the edge
// sequences of both polygons in angular order.
ConvexPolygon MinkowskiSum(const ConvexPolygon& a, const ConvexPolygon& b);

// Return whether the points, taken in order, form a convex polygon (either
// orientation, collinear runs allowed, no self-intersection).
bool IsConvexRing(const std::vector<PqPoint>& points);

}  // namespace tsodso::core
