// ConvexPolygon: hull, Minkowski sum (by its defining property and against
// brute force), clipping, the inscribed circle and the convexity check.
#include "core/capability/polygon.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace tsodso::core {
namespace {

constexpr double kTol = 1e-9;

std::string Describe(const ConvexPolygon& poly) {
  std::string out = "[";
  for (const PqPoint& v : poly.vertices()) out += "(" + std::to_string(v.p) + ", " + std::to_string(v.q) + ") ";
  return out + "]";
}

std::vector<PqPoint> RandomPoints(std::mt19937& rng, int n, double scale = 10.0) {
  std::uniform_real_distribution<double> coord(-scale, scale);
  std::vector<PqPoint> pts;
  pts.reserve(n);
  for (int i = 0; i < n; ++i) pts.push_back({coord(rng), coord(rng)});
  return pts;
}

// Every vertex strictly turns left: counter-clockwise, no collinear runs.
bool StrictlyCcw(const ConvexPolygon& poly) {
  const auto& v = poly.vertices();
  if (v.size() < 3) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    const PqPoint& a = v[i];
    const PqPoint& b = v[(i + 1) % v.size()];
    const PqPoint& c = v[(i + 2) % v.size()];
    if ((b.p - a.p) * (c.q - a.q) - (b.q - a.q) * (c.p - a.p) <= 0) return false;
  }
  return true;
}

// The vertex sets are equal within `tol`, compared after sorting.
::testing::AssertionResult SameVertices(const ConvexPolygon& a, const ConvexPolygon& b, double tol) {
  std::vector<PqPoint> va = a.vertices();
  std::vector<PqPoint> vb = b.vertices();
  if (va.size() != vb.size()) {
    return ::testing::AssertionFailure() << "sizes differ: " << va.size() << " vs " << vb.size() << "\n"
                                         << Describe(a) << "\n"
                                         << Describe(b);
  }
  auto less = [](PqPoint x, PqPoint y) { return x.p < y.p || (x.p == y.p && x.q < y.q); };
  std::sort(va.begin(), va.end(), less);
  std::sort(vb.begin(), vb.end(), less);
  for (size_t i = 0; i < va.size(); ++i) {
    if (std::abs(va[i].p - vb[i].p) > tol || std::abs(va[i].q - vb[i].q) > tol) {
      // Sorting by p is fragile when two vertices share p up to rounding:
      // fall back to matching each vertex to one of the other set.
      for (const PqPoint& x : va) {
        const bool found = std::any_of(
            vb.begin(), vb.end(), [&](PqPoint y) { return std::abs(x.p - y.p) <= tol && std::abs(x.q - y.q) <= tol; });
        if (!found) {
          return ::testing::AssertionFailure() << "vertex (" << x.p << ", " << x.q << ") of\n"
                                               << Describe(a) << "\nis not in\n"
                                               << Describe(b);
        }
      }
      break;
    }
  }
  return ::testing::AssertionSuccess();
}

ConvexPolygon BruteForceSum(const ConvexPolygon& a, const ConvexPolygon& b) {
  std::vector<PqPoint> sums;
  for (const PqPoint& x : a.vertices()) {
    for (const PqPoint& y : b.vertices()) sums.push_back({x.p + y.p, x.q + y.q});
  }
  return ConvexPolygon::Hull(std::move(sums));
}

// Checks the defining property h_{A+B}(d) = h_A(d) + h_B(d) in 360
// directions.
::testing::AssertionResult SupportAdds(const ConvexPolygon& sum, const ConvexPolygon& a, const ConvexPolygon& b) {
  for (int k = 0; k < 360; ++k) {
    const double th = 2 * M_PI * k / 360;
    const double dp = std::cos(th), dq = std::sin(th);
    const double got = sum.Support(dp, dq);
    const double want = a.Support(dp, dq) + b.Support(dp, dq);
    if (!(std::abs(got - want) <= kTol)) {
      return ::testing::AssertionFailure()
             << "direction " << k << " deg: support " << got << " != " << want << "\nA = " << Describe(a)
             << "\nB = " << Describe(b) << "\nA+B = " << Describe(sum);
    }
  }
  return ::testing::AssertionSuccess();
}

// A random convex polygon, sometimes degenerate: a point, a segment, a
// collinear cloud, an axis-aligned rectangle (parallel edges), or the hull
// of 3-40 random points.
ConvexPolygon RandomConvex(std::mt19937& rng, int kind) {
  std::uniform_real_distribution<double> coord(-10, 10);
  std::uniform_int_distribution<int> count(3, 40);
  switch (kind) {
    case 0:
      return ConvexPolygon::Hull({{coord(rng), coord(rng)}});
    case 1:
      return ConvexPolygon::Hull({{coord(rng), coord(rng)}, {coord(rng), coord(rng)}});
    case 2: {  // collinear points: the hull is a segment
      const double p0 = coord(rng), q0 = coord(rng), dp = coord(rng), dq = coord(rng);
      std::vector<PqPoint> pts;
      for (int i = 0; i < 7; ++i) {
        const double t = coord(rng) / 10;
        pts.push_back({p0 + t * dp, q0 + t * dq});
      }
      return ConvexPolygon::Hull(pts);
    }
    case 3: {
      const double p0 = coord(rng), q0 = coord(rng);
      return ConvexPolygon::Rectangle(p0, p0 + std::abs(coord(rng)) + 0.1, q0, q0 + std::abs(coord(rng)) + 0.1);
    }
    default:
      return ConvexPolygon::Hull(RandomPoints(rng, count(rng)));
  }
}

TEST(FlexPolygonTest, HullOfRandomPointsIsConvexCcwAndContainsThem) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> count(3, 40);
  for (int trial = 0; trial < 200; ++trial) {
    const std::vector<PqPoint> pts = RandomPoints(rng, count(rng));
    const ConvexPolygon hull = ConvexPolygon::Hull(pts);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": " + Describe(hull));
    ASSERT_GE(hull.size(), 3u);
    EXPECT_LE(hull.size(), pts.size());
    EXPECT_TRUE(IsConvexRing(hull.vertices()));
    EXPECT_TRUE(StrictlyCcw(hull));
    EXPECT_GT(hull.Area(), 0);
    for (const PqPoint& x : pts) EXPECT_TRUE(hull.Contains(x)) << "(" << x.p << ", " << x.q << ")";
    // Every vertex is one of the input points.
    for (const PqPoint& v : hull.vertices()) {
      EXPECT_TRUE(std::any_of(pts.begin(), pts.end(), [&](PqPoint x) { return x.p == v.p && x.q == v.q; }));
    }
  }
}

TEST(FlexPolygonTest, HullDropsInteriorAndCollinearPointsAndDegenerates) {
  const ConvexPolygon sq = ConvexPolygon::Hull({{0, 0}, {1, 0}, {2, 0}, {2, 1}, {2, 2}, {1, 1}, {0, 2}, {0, 1}});
  EXPECT_EQ(sq.size(), 4u) << Describe(sq);
  EXPECT_NEAR(sq.Area(), 4, kTol);
  EXPECT_TRUE(StrictlyCcw(sq));

  const ConvexPolygon seg = ConvexPolygon::Hull({{0, 0}, {1, 1}, {3, 3}, {2, 2}});
  ASSERT_EQ(seg.size(), 2u) << Describe(seg);
  EXPECT_NEAR(seg.MinP(), 0, kTol);
  EXPECT_NEAR(seg.MaxP(), 3, kTol);
  EXPECT_DOUBLE_EQ(seg.Area(), 0);

  const ConvexPolygon pt = ConvexPolygon::Hull({{1.5, -2}, {1.5, -2}});
  ASSERT_EQ(pt.size(), 1u);
  EXPECT_TRUE(pt.Contains({1.5, -2}));
  EXPECT_FALSE(pt.Contains({1.5, -1.9}));

  EXPECT_TRUE(ConvexPolygon::Hull({}).empty());
  EXPECT_TRUE(ConvexPolygon().empty());
}

TEST(FlexPolygonTest, RectangleExtentsAndTransforms) {
  const ConvexPolygon r = ConvexPolygon::Rectangle(-1, 3, -2, 5);
  EXPECT_EQ(r.size(), 4u);
  EXPECT_DOUBLE_EQ(r.MinP(), -1);
  EXPECT_DOUBLE_EQ(r.MaxP(), 3);
  EXPECT_DOUBLE_EQ(r.MinQ(), -2);
  EXPECT_DOUBLE_EQ(r.MaxQ(), 5);
  EXPECT_DOUBLE_EQ(r.Area(), 28);
  EXPECT_TRUE(r.Contains({0, 0}));
  EXPECT_TRUE(r.Contains({3, 5}));
  EXPECT_FALSE(r.Contains({3.01, 0}));

  const ConvexPolygon t = r.Translated(10, -1);
  EXPECT_DOUBLE_EQ(t.MinP(), 9);
  EXPECT_DOUBLE_EQ(t.MaxQ(), 4);
  const ConvexPolygon s = r.Scaled(2);
  EXPECT_DOUBLE_EQ(s.MaxP(), 6);
  EXPECT_DOUBLE_EQ(s.MinQ(), -4);
  EXPECT_DOUBLE_EQ(s.Area(), 112);
  const ConvexPolygon z = r.Scaled(0);
  ASSERT_EQ(z.size(), 1u);
  EXPECT_DOUBLE_EQ(z.MaxP(), 0);
  const ConvexPolygon n = r.Negated();
  EXPECT_DOUBLE_EQ(n.MinP(), -3);
  EXPECT_DOUBLE_EQ(n.MaxP(), 1);
  EXPECT_DOUBLE_EQ(n.MinQ(), -5);
  EXPECT_DOUBLE_EQ(n.MaxQ(), 2);
  EXPECT_DOUBLE_EQ(n.Area(), 28);  // still counter-clockwise
  EXPECT_TRUE(StrictlyCcw(n));
}

TEST(FlexPolygonTest, MinkowskiSumSupportIsTheSumOfSupports) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> kind(0, 9);  // 0-3 degenerate/special, 4-9 random hulls
  int degenerate = 0;
  for (int trial = 0; trial < 200; ++trial) {
    // The first trials pin every combination of special kinds.
    const int ka = trial < 16 ? trial / 4 : kind(rng);
    const int kb = trial < 16 ? trial % 4 : kind(rng);
    const ConvexPolygon a = RandomConvex(rng, ka);
    const ConvexPolygon b = RandomConvex(rng, kb);
    if (a.size() < 3 || b.size() < 3) ++degenerate;
    const ConvexPolygon sum = MinkowskiSum(a, b);
    SCOPED_TRACE("trial " + std::to_string(trial));
    ASSERT_FALSE(sum.empty());
    EXPECT_TRUE(SupportAdds(sum, a, b));
    EXPECT_GE(sum.Area(), a.Area() + b.Area() - kTol);
    if (sum.size() >= 3) {
      EXPECT_TRUE(IsConvexRing(sum.vertices())) << Describe(sum);
      EXPECT_TRUE(StrictlyCcw(sum)) << Describe(sum);
    }
    // Also with the sum taken the other way round and with the negation
    // (every edge of b then has an anti-parallel twin in a).
    EXPECT_TRUE(SupportAdds(MinkowskiSum(b, a), b, a));
    EXPECT_TRUE(SupportAdds(MinkowskiSum(a, a.Negated()), a, a.Negated()));
    EXPECT_TRUE(SupportAdds(MinkowskiSum(a, a), a, a));
  }
  EXPECT_GE(degenerate, 16);
}

TEST(FlexPolygonTest, MinkowskiSumEqualsBruteForceOnSmallCases) {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> count(3, 6);
  for (int trial = 0; trial < 200; ++trial) {
    const ConvexPolygon a = ConvexPolygon::Hull(RandomPoints(rng, count(rng), 5));
    const ConvexPolygon b = ConvexPolygon::Hull(RandomPoints(rng, count(rng), 5));
    SCOPED_TRACE("trial " + std::to_string(trial));
    EXPECT_TRUE(SameVertices(MinkowskiSum(a, b), BruteForceSum(a, b), kTol));
  }
  // By hand: unit square + unit square = square of side 2; square + the
  // triangle (0,0),(1,0),(0,1) = the pentagon below.
  const ConvexPolygon sq = ConvexPolygon::Rectangle(0, 1, 0, 1);
  EXPECT_TRUE(SameVertices(MinkowskiSum(sq, sq), ConvexPolygon::Rectangle(0, 2, 0, 2), kTol));
  const ConvexPolygon tri = ConvexPolygon::Hull({{0, 0}, {1, 0}, {0, 1}});
  EXPECT_TRUE(SameVertices(MinkowskiSum(sq, tri), ConvexPolygon::Hull({{0, 0}, {2, 0}, {2, 1}, {1, 2}, {0, 2}}), kTol));
  // Degenerate: a point translates; a segment sweeps; two crossing
  // segments make a parallelogram; two parallel segments a segment.
  const ConvexPolygon pt = ConvexPolygon::Hull({{3, -1}});
  EXPECT_TRUE(SameVertices(MinkowskiSum(sq, pt), sq.Translated(3, -1), kTol));
  EXPECT_TRUE(SameVertices(MinkowskiSum(pt, tri), tri.Translated(3, -1), kTol));
  const ConvexPolygon horiz = ConvexPolygon::Hull({{0, 0}, {2, 0}});
  const ConvexPolygon vert = ConvexPolygon::Hull({{0, 0}, {0, 3}});
  EXPECT_TRUE(SameVertices(MinkowskiSum(horiz, vert), ConvexPolygon::Rectangle(0, 2, 0, 3), kTol));
  const ConvexPolygon horiz2 = ConvexPolygon::Hull({{1, 0}, {5, 0}});
  const ConvexPolygon seg_sum = MinkowskiSum(horiz, horiz2);
  EXPECT_TRUE(SameVertices(seg_sum, ConvexPolygon::Hull({{1, 0}, {7, 0}}), kTol));
  EXPECT_TRUE(SameVertices(MinkowskiSum(sq, horiz), ConvexPolygon::Rectangle(0, 3, 0, 1), kTol));
  EXPECT_TRUE(MinkowskiSum(sq, ConvexPolygon()).empty());
  // Small random cases with degenerate partners.
  for (int trial = 0; trial < 50; ++trial) {
    const ConvexPolygon a = RandomConvex(rng, trial % 4);
    const ConvexPolygon b = ConvexPolygon::Hull(RandomPoints(rng, count(rng), 5));
    SCOPED_TRACE("degenerate trial " + std::to_string(trial));
    EXPECT_TRUE(SameVertices(MinkowskiSum(a, b), BruteForceSum(a, b), kTol));
    EXPECT_TRUE(SameVertices(MinkowskiSum(b, a), BruteForceSum(a, b), kTol));
  }
}

TEST(FlexPolygonTest, ClippedByTriangleByHand) {
  // Square [1,3]^2 clipped by the triangle (0,0),(5,0),(0,5): the line
  // p + q = 5 cuts off the corner (3,3) at (3,2) and (2,3).
  const ConvexPolygon sq = ConvexPolygon::Rectangle(1, 3, 1, 3);
  const ConvexPolygon tri = ConvexPolygon::Hull({{0, 0}, {5, 0}, {0, 5}});
  const ConvexPolygon cut = sq.ClippedBy(tri);
  EXPECT_TRUE(SameVertices(cut, ConvexPolygon::Hull({{1, 1}, {3, 1}, {3, 2}, {2, 3}, {1, 3}}), kTol));
  EXPECT_NEAR(cut.Area(), 3.5, kTol);
  EXPECT_TRUE(StrictlyCcw(cut));
  // Clipping is an intersection: the other way round gives the same set.
  EXPECT_TRUE(SameVertices(tri.ClippedBy(sq), cut, kTol));

  // A triangle through the square: (0,2),(4,0),(4,4) crosses it.
  const ConvexPolygon tri2 = ConvexPolygon::Hull({{0, 2}, {4, 0}, {4, 4}});
  // Edges: q = 2 - p/2 (below) and q = 2 + p/2 (above); inside the square
  // for p in [1,3]: below line meets p=1 at q=1.5, q=1 at p=2; above line
  // meets p=1 at q=2.5, q=3 at p=2.
  const ConvexPolygon cut2 = sq.ClippedBy(tri2);
  EXPECT_TRUE(SameVertices(cut2, ConvexPolygon::Hull({{1, 1.5}, {2, 1}, {3, 1}, {3, 3}, {2, 3}, {1, 2.5}}), kTol));
  EXPECT_NEAR(cut2.Area(), 4 - 0.25 - 0.25, kTol);

  // Wholly inside: unchanged. Disjoint: empty.
  EXPECT_TRUE(SameVertices(sq.ClippedBy(ConvexPolygon::Rectangle(0, 10, 0, 10)), sq, kTol));
  EXPECT_TRUE(sq.ClippedBy(ConvexPolygon::Hull({{10, 10}, {11, 10}, {10, 11}})).empty());
}

TEST(FlexPolygonTest, ClippingASegmentKeepsItsInsidePart) {
  // A segment that crosses the clip's boundary keeps the part inside, not
  // only its end points that happen to be inside.
  const ConvexPolygon seg = ConvexPolygon::Hull({{0, 0}, {4, 0}});
  const ConvexPolygon clip = ConvexPolygon::Rectangle(1, 3, -1, 1);
  const ConvexPolygon cut = seg.ClippedBy(clip);
  EXPECT_TRUE(SameVertices(cut, ConvexPolygon::Hull({{1, 0}, {3, 0}}), kTol));
  const ConvexPolygon half = ConvexPolygon::Hull({{2, 0}, {6, 0}}).ClippedBy(clip);
  EXPECT_TRUE(SameVertices(half, ConvexPolygon::Hull({{2, 0}, {3, 0}}), kTol));
}

TEST(FlexPolygonTest, InscribedCircleStaysWithinTheCircle) {
  for (const int n : {8, 13, 64, 360}) {
    const double r = 2.5;
    const ConvexPolygon c = ConvexPolygon::InscribedCircle(r, n);
    SCOPED_TRACE("n = " + std::to_string(n));
    ASSERT_EQ(c.size(), static_cast<size_t>(n));
    EXPECT_TRUE(IsConvexRing(c.vertices()));
    EXPECT_TRUE(StrictlyCcw(c));
    for (const PqPoint& v : c.vertices()) EXPECT_NEAR(std::hypot(v.p, v.q), r, 1e-12);
    for (int k = 0; k < 360; ++k) {
      const double th = 2 * M_PI * k / 360 + 0.123;
      const double h = c.Support(std::cos(th), std::sin(th));
      EXPECT_LE(h, r + 1e-12);
      EXPECT_GE(h, r * std::cos(M_PI / n) - 1e-12);  // and not much inside
    }
    EXPECT_NEAR(c.Area(), 0.5 * n * r * r * std::sin(2 * M_PI / n), 1e-9);
  }
}

TEST(FlexPolygonTest, IsConvexRingAcceptsConvexAndRejectsStarsBowTiesAndDents) {
  EXPECT_TRUE(IsConvexRing({{0, 0}, {1, 0}, {1, 1}, {0, 1}}));          // CCW
  EXPECT_TRUE(IsConvexRing({{0, 0}, {0, 1}, {1, 1}, {1, 0}}));          // CW
  EXPECT_TRUE(IsConvexRing({{0, 0}, {1, 0}, {2, 0}, {2, 2}, {0, 2}}));  // collinear run
  // Bow-tie: the edges cross.
  EXPECT_FALSE(IsConvexRing({{0, 0}, {1, 1}, {1, 0}, {0, 1}}));
  // Pentagram: all turns the same way, but it winds twice.
  std::vector<PqPoint> star;
  for (int i = 0; i < 5; ++i) {
    const double a = 2 * M_PI * ((2 * i) % 5) / 5;
    star.push_back({std::cos(a), std::sin(a)});
  }
  EXPECT_FALSE(IsConvexRing(star));
  // The same five points in order are a convex pentagon.
  std::vector<PqPoint> pentagon;
  for (int i = 0; i < 5; ++i) pentagon.push_back({std::cos(2 * M_PI * i / 5), std::sin(2 * M_PI * i / 5)});
  EXPECT_TRUE(IsConvexRing(pentagon));
  // Concave quadrilateral (a dart).
  EXPECT_FALSE(IsConvexRing({{0, 0}, {2, 0}, {2, 2}, {1, 0.5}}));
  EXPECT_FALSE(IsConvexRing({{0, 0}, {4, 0}, {2, 1}, {2, 4}}));
  // Too few points or all collinear.
  EXPECT_FALSE(IsConvexRing({{0, 0}, {1, 0}}));
  EXPECT_FALSE(IsConvexRing({{0, 0}, {1, 0}, {2, 0}}));
}

}  // namespace
}  // namespace tsodso::core
