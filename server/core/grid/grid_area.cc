#include "core/grid/grid_area.h"

#include <algorithm>
#include <cmath>
#include <complex>

#include "absl/strings/str_cat.h"
#include "core/grid/limits.h"
#include "core/grid/power_flow.h"

// Clp's headers trip our warning flags; they are kept to this file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wdeprecated-copy"
#pragma GCC diagnostic ignored "-Wclass-memaccess"
#include "ClpSimplex.hpp"
#include "CoinPackedMatrix.hpp"
#pragma GCC diagnostic pop

namespace tsodso::core {
namespace {

using C = std::complex<double>;

bool Finite(PqPoint x) { return std::isfinite(x.p) && std::isfinite(x.q); }

absl::Status CheckInputs(const RadialGrid& grid, double load_scale, const std::vector<PlacedDer>& ders,
                         const GridAreaOptions& o) {
  if (!std::isfinite(load_scale) || load_scale < 0) {
    return absl::InvalidArgumentError(absl::StrCat("load_scale: ", load_scale, " must be finite and >= 0"));
  }
  if (o.directions < 1) {
    return absl::InvalidArgumentError(absl::StrCat("options.directions: ", o.directions, " must be >= 1"));
  }
  if (o.rating_polygon_sides < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("options.rating_polygon_sides: ", o.rating_polygon_sides, " must be >= 4"));
  }
  if (o.max_shrink_steps < 0) {
    return absl::InvalidArgumentError(absl::StrCat("options.max_shrink_steps: ", o.max_shrink_steps, " must be >= 0"));
  }
  if (absl::Status s = CheckLimitOptions(o, grid.model()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("options: ", s.message()));
  }
  const int n = static_cast<int>(grid.bus_count());
  for (size_t d = 0; d < ders.size(); ++d) {
    const PlacedDer& der = ders[d];
    const std::string where = absl::StrCat("ders[", d, "]");
    if (der.bus < 0 || der.bus >= n) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".bus: index ", der.bus, " is out of range (the model has ", n, " buses)"));
    }
    if (der.region.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ".region: is empty"));
    for (const PqPoint& v : der.region.vertices()) {
      if (!Finite(v)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".region: vertex (", v.p, ", ", v.q, ") is not finite"));
      }
    }
    if (!Finite(der.operating)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".operating: (", der.operating.p, ", ", der.operating.q, ") is not finite"));
    }
    // The region may be a 64-gon built from rounded figures: a point on its
    // edge can sit a hair outside.
    const double scale = std::max({1.0, std::abs(der.region.MaxP()), std::abs(der.region.MinP()),
                                   std::abs(der.region.MaxQ()), std::abs(der.region.MinQ())});
    if (!der.region.Contains(der.operating, 1e-6 * scale)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".operating: (", der.operating.p, ", ", der.operating.q,
                                                     ") lies outside the DER's region"));
    }
  }
  return absl::OkStatus();
}

// Sparse rows of the LP, gathered as triplets.
class LpRows {
 public:
  int Add(double lo, double hi) {
    lo_.push_back(lo);
    hi_.push_back(hi);
    return static_cast<int>(lo_.size()) - 1;
  }
  void Set(int row, int col, double value) {
    if (value == 0) return;
    rows_.push_back(row);
    cols_.push_back(col);
    values_.push_back(value);
  }
  CoinPackedMatrix Matrix(int cols) const {
    CoinPackedMatrix m(true, rows_.data(), cols_.data(), values_.data(), static_cast<CoinBigIndex>(values_.size()));
    // The triplet form sizes the matrix by the largest index used; a column
    // that appears in no row (a slack-side placeholder) still needs a slot.
    m.setDimensions(static_cast<int>(lo_.size()), cols);
    return m;
  }
  const std::vector<double>& lo() const { return lo_; }
  const std::vector<double>& hi() const { return hi_; }

 private:
  std::vector<int> rows_, cols_;
  std::vector<double> values_, lo_, hi_;
};

// Column layout of the LP. All quantities are deviations from the AC
// operating point, in per unit of the model's base power.
struct Columns {
  int n = 0;
  int U(int bus) const { return bus; }             // change of |V|^2
  int P(int bus) const { return n + bus; }         // change of P into `bus` through its parent branch (sending end)
  int Q(int bus) const { return 2 * n + bus; }     // same for Q
  int DerP(int d) const { return 3 * n + 2 * d; }  // change of a DER's P injection
  int DerQ(int d) const { return 3 * n + 2 * d + 1; }
  int PccP(int ders) const { return 3 * n + 2 * ders; }  // change of the PCC exchange (load convention)
  int PccQ(int ders) const { return 3 * n + 2 * ders + 1; }
};

// Write the constraints keeping DER d's injection, operating + change, in
// its region. The right-hand sides are clamped so that no change is always
// feasible: a region drawn a hair short of the operating point must not make
// the whole LP infeasible.
void AddDerRegion(const PlacedDer& der, int d, const Columns& c, double base, LpRows* rows, std::vector<double>* col_lo,
                  std::vector<double>* col_hi) {
  const std::vector<PqPoint>& v = der.region.vertices();
  const PqPoint x0 = der.operating;
  const int cp = c.DerP(d), cq = c.DerQ(d);
  // The bounding box helps the simplex and covers the point case alone.
  (*col_lo)[cp] = std::min(0.0, (der.region.MinP() - x0.p) / base);
  (*col_hi)[cp] = std::max(0.0, (der.region.MaxP() - x0.p) / base);
  (*col_lo)[cq] = std::min(0.0, (der.region.MinQ() - x0.q) / base);
  (*col_hi)[cq] = std::max(0.0, (der.region.MaxQ() - x0.q) / base);
  if (v.size() == 1) {
    (*col_lo)[cp] = (*col_hi)[cp] = (*col_lo)[cq] = (*col_hi)[cq] = 0;
    return;
  }
  if (v.size() == 2) {
    // A segment: stay on the line through the operating point parallel to
    // it, between its ends.
    const PqPoint e{v[1].p - v[0].p, v[1].q - v[0].q};
    const double len = std::hypot(e.p, e.q);
    const PqPoint t{e.p / len, e.q / len};
    const int across = rows->Add(0, 0);
    rows->Set(across, cp, -t.q);
    rows->Set(across, cq, t.p);
    const double at = t.p * (x0.p - v[0].p) + t.q * (x0.q - v[0].q);  // MW along the segment
    const int along = rows->Add(std::min(0.0, -at / base), std::max(0.0, (len - at) / base));
    rows->Set(along, cp, t.p);
    rows->Set(along, cq, t.q);
    return;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const PqPoint& a = v[i];
    const PqPoint& b = v[(i + 1) % v.size()];
    const double len = std::hypot(b.p - a.p, b.q - a.q);
    // Inward unit normal of a counter-clockwise edge: its left side.
    const PqPoint nrm{-(b.q - a.q) / len, (b.p - a.p) / len};
    const double slack_mw = nrm.p * (x0.p - a.p) + nrm.q * (x0.q - a.q);  // distance of x0 inside the edge
    const int row = rows->Add(std::min(0.0, -slack_mw / base), COIN_DBL_MAX);
    rows->Set(row, cp, nrm.p);
    rows->Set(row, cq, nrm.q);
  }
}

// The rating of the branch into `bus` as the LP has it: |S| <= (1 - margin)
// |V_a| I_rating at the operating voltage, as the polygon inscribed in that circle
// (it never allows more than the rating), around the operating flow.
struct RatingRows {
  int bus = 0;
  double apothem = 0;  // pu
  PqPoint flow;        // sending-end P and Q at the operating point, pu
};

// The unit normals of a rating polygon's sides, counter-clockwise from the
// P axis.
std::vector<PqPoint> SideNormals(int sides) {
  std::vector<PqPoint> normals(sides);
  for (int j = 0; j < sides; ++j) normals[j] = {std::cos(2 * M_PI * j / sides), std::sin(2 * M_PI * j / sides)};
  return normals;
}

// The right-hand side of a rating polygon's side with unit normal `nrm`:
// nrm . (P, Q) <= this. Clamped at zero: an operating point between the
// polygon and the circle may stay, but not move further out.
double RatingBound(const RatingRows& r, PqPoint nrm) {
  return std::max(0.0, r.apothem - (nrm.p * r.flow.p + nrm.q * r.flow.q));
}

void AddRatingRows(const RatingRows& r, const std::vector<PqPoint>& normals, const Columns& c, LpRows* rows) {
  for (const PqPoint& nrm : normals) {
    const int row = rows->Add(-COIN_DBL_MAX, RatingBound(r, nrm));
    rows->Set(row, c.P(r.bus), nrm.p);
    rows->Set(row, c.Q(r.bus), nrm.q);
  }
}

// Whether the solution `x` breaks a side of the rating polygon by more than
// the LP's own feasibility tolerance.
bool RatingBroken(const RatingRows& r, const std::vector<PqPoint>& normals, const Columns& c, const double* x) {
  const double p = x[c.P(r.bus)], q = x[c.Q(r.bus)];
  for (const PqPoint& nrm : normals) {
    if (nrm.p * p + nrm.q * q > RatingBound(r, nrm) + 1e-7) return true;
  }
  return false;
}

// The linearised DistFlow of the branch into a bus, around the operating
// point: with l = (P^2 + Q^2) / u_a the squared current to first order
// (lp P + lq Q + lu u_a),
//   P - r l = net load at the bus + flows to its children,
//   Q - x l = the same for Q,
//   u_b = u_a - 2 (r P + x Q) + |z|^2 l.
struct FlowRows {
  double r = 0, x = 0, zz = 0;
  double lp = 0, lq = 0, lu = 0;
  double kp() const { return 2 * r - zz * lp; }  // -d u_b / d P
  double kq() const { return 2 * x - zz * lq; }  // -d u_b / d Q
  double ku() const { return 1 + zz * lu; }      // d u_b / d u_a
};

// Build the LP: DistFlow linearised around the AC operating point `flow`
// (first order in the flows, losses and squared voltages, so it is exact at
// the operating point), DER regions, voltage bands and inscribed-polygon
// ratings, both less the security margins of `limits`.
//
// With `eliminate`, a subtree without DERs has no rows of its own: no DER
// moves anything in it but through the voltage at its top, so its flows and
// voltages are multiples of the change of that voltage. Its flows enter its
// parent's rows as such, its voltage bands become bounds on the parent's
// voltage; the LP is the same, less those buses' rows and columns (their
// columns stay, fixed at zero, so that the layout does not depend on it).
//
// Rows come in this order: three per non-slack bus with a DER at or below
// it (`flow_rows` in all, with the two of the PCC exchange), the two of
// the PCC exchange, each DER's region in turn, then the ratings of the
// branches into `rated` (in that order). `ratings` receives every rating
// the LP must keep, whether in it or not. The objective is left at zero.
void BuildLp(const RadialGrid& grid, const PowerFlowResult& flow, const std::vector<PlacedDer>& ders,
             const LimitOptions& limits, int sides, bool eliminate, const std::vector<int>& rated, ClpSimplex* model,
             int* flow_rows, std::vector<int>* der_rows, std::vector<RatingRows>* ratings) {
  const GridModel& m = grid.model();
  const int n = static_cast<int>(grid.bus_count());
  const int nd = static_cast<int>(ders.size());
  const double base = m.base_mva;
  const Columns c{n};
  const int cols = 3 * n + 2 * nd + 2;
  std::vector<double> col_lo(cols, -COIN_DBL_MAX), col_hi(cols, COIN_DBL_MAX);
  LpRows rows;
  ratings->clear();
  std::vector<int> rating_at(n, -1);

  std::vector<std::vector<int>> children(n);
  for (int b = 0; b < n; ++b) {
    if (b != grid.slack()) children[grid.parent(b)].push_back(b);
  }
  std::vector<std::vector<int>> ders_at(n);
  for (int d = 0; d < nd; ++d) ders_at[ders[d].bus].push_back(d);
  // Whether a DER sits at or below each bus: only then do the DERs move the
  // flow into it (elsewhere only through losses and voltage, which the
  // rating rows at the operating voltage do not see anyway).
  std::vector<bool> der_below(n, false);
  for (const PlacedDer& d : ders) der_below[d.bus] = true;
  for (size_t i = grid.order().size(); i-- > 1;) {
    const int b = grid.order()[i];
    if (der_below[b]) der_below[grid.parent(b)] = true;
  }
  // The buses whose rows the LP holds; the slack's (the PCC exchange) always.
  const auto kept = [&](int b) { return !eliminate || der_below[b] || b == grid.slack(); };

  std::vector<FlowRows> f(n);
  for (int b = 0; b < n; ++b) {
    if (b == grid.slack()) {
      col_lo[c.U(b)] = col_hi[c.U(b)] = 0;                                    // the PCC holds the slack voltage
      col_lo[c.P(b)] = col_hi[c.P(b)] = col_lo[c.Q(b)] = col_hi[c.Q(b)] = 0;  // no parent branch
      continue;
    }
    // Keep "no change" feasible even when the operating voltage sits within
    // the tolerance just outside the band (the AC check has the final word).
    const double u0 = std::norm(flow.v_pu[b]);
    const double vmin = limits.VMin(m.buses[b]), vmax = limits.VMax(m.buses[b]);
    col_lo[c.U(b)] = std::min(0.0, vmin * vmin - u0);
    col_hi[c.U(b)] = std::max(0.0, vmax * vmax - u0);

    const int a = grid.parent(b);
    const int k = grid.parent_branch(b);
    const C z = grid.branch_z_pu(k);  // as the AC check has it
    const C va = flow.v_pu[a];
    const C s0 = va * std::conj((va - flow.v_pu[b]) / z);  // sending-end power of the branch at the operating point
    const double p0 = s0.real(), q0 = s0.imag(), ua = std::norm(va);
    f[b] = {z.real(), z.imag(), std::norm(z), 2 * p0 / ua, 2 * q0 / ua, -(p0 * p0 + q0 * q0) / (ua * ua)};

    // The AC check covers the branches left out.
    const Branch& br = m.branches[k];
    if (br.rating_a > 0 && der_below[b]) {
      const double kv = m.buses[grid.branch_from(k)].v_nom_kv;
      const double s_max = limits.LoadingLimit() * std::sqrt(ua) * std::sqrt(3.0) * kv * br.rating_a / 1000 / base;
      rating_at[b] = static_cast<int>(ratings->size());
      ratings->push_back({b, s_max * std::cos(M_PI / sides), {p0, q0}});
    }
  }

  // The buses left out, from the leaves up: the change of P and Q into each
  // (beta, gamma) and of its squared voltage (alpha) per unit change of its
  // parent's squared voltage, from its three rows with its children's flows
  // substituted.
  std::vector<double> alpha(n, 0), beta(n, 0), gamma(n, 0);
  for (size_t i = grid.order().size(); i-- > 1;) {
    const int b = grid.order()[i];
    if (kept(b)) continue;
    const FlowRows& g = f[b];
    double bp = 0, bq = 0;  // children's P and Q per unit change of u_b
    for (int ch : children[b]) bp += beta[ch], bq += gamma[ch];
    // u_b = ku u_a - kp P - kq Q, into P - r l = bp u_b and Q - x l = bq u_b.
    const double a11 = 1 - g.r * g.lp + bp * g.kp(), a12 = -g.r * g.lq + bp * g.kq();
    const double a21 = -g.x * g.lp + bq * g.kp(), a22 = 1 - g.x * g.lq + bq * g.kq();
    const double r1 = g.r * g.lu + bp * g.ku(), r2 = g.x * g.lu + bq * g.ku();
    const double det = a11 * a22 - a12 * a21;
    beta[b] = (r1 * a22 - a12 * r2) / det;
    gamma[b] = (a11 * r2 - a21 * r1) / det;
    alpha[b] = g.ku() - g.kp() * beta[b] - g.kq() * gamma[b];
  }
  // From the top down: each left-out bus's voltage band as a bound on the
  // squared voltage of the nearest bus kept above it (`scale`: the change
  // of its own per unit change of that one).
  std::vector<double> scale(n, 1);
  for (size_t i = 1; i < grid.order().size(); ++i) {
    const int b = grid.order()[i];
    if (kept(b)) continue;
    const int a = grid.parent(b);
    scale[b] = alpha[b] * (kept(a) ? 1 : scale[a]);
    int top = a;
    while (!kept(top)) top = grid.parent(top);
    const double lo = col_lo[c.U(b)], hi = col_hi[c.U(b)];  // both hold 0: so do the bounds below
    if (scale[b] > 0) {
      col_lo[c.U(top)] = std::max(col_lo[c.U(top)], lo / scale[b]);
      col_hi[c.U(top)] = std::min(col_hi[c.U(top)], hi / scale[b]);
    } else if (scale[b] < 0) {
      col_lo[c.U(top)] = std::max(col_lo[c.U(top)], hi / scale[b]);
      col_hi[c.U(top)] = std::min(col_hi[c.U(top)], lo / scale[b]);
    }
  }
  for (int b = 0; b < n; ++b) {
    if (kept(b) || b == grid.slack()) continue;
    col_lo[c.U(b)] = col_hi[c.U(b)] = col_lo[c.P(b)] = col_hi[c.P(b)] = col_lo[c.Q(b)] = col_hi[c.Q(b)] = 0;
  }

  for (int b = 0; b < n; ++b) {
    if (b == grid.slack() || !kept(b)) continue;
    const int a = grid.parent(b);
    const FlowRows& g = f[b];
    // The flows into the children left out, as multiples of u_b.
    double bp = 0, bq = 0;
    for (int ch : children[b]) {
      if (!kept(ch)) bp += beta[ch], bq += gamma[ch];
    }
    // P - r l = net load + flows to the children, then the same for Q with
    // x (DER injections lower the net load).
    for (const bool reactive : {false, true}) {
      const double rx = reactive ? g.x : g.r;
      const int row = rows.Add(0, 0);
      rows.Set(row, c.P(b), (reactive ? 0 : 1) - rx * g.lp);
      rows.Set(row, c.Q(b), (reactive ? 1 : 0) - rx * g.lq);
      rows.Set(row, c.U(a), -rx * g.lu);
      rows.Set(row, c.U(b), reactive ? -bq : -bp);
      for (int ch : children[b]) {
        if (kept(ch)) rows.Set(row, reactive ? c.Q(ch) : c.P(ch), -1);
      }
      for (int d : ders_at[b]) rows.Set(row, reactive ? c.DerQ(d) : c.DerP(d), 1);
    }
    const int row_u = rows.Add(0, 0);
    rows.Set(row_u, c.U(b), 1);
    rows.Set(row_u, c.U(a), -g.ku());
    rows.Set(row_u, c.P(b), g.kp());
    rows.Set(row_u, c.Q(b), g.kq());
  }
  // The exchange at the PCC (load convention): flows leaving the slack bus,
  // less DER injections at the busbar itself.
  const int s = grid.slack();
  const int row_pp = rows.Add(0, 0);
  rows.Set(row_pp, c.PccP(nd), 1);
  for (int ch : children[s]) {
    if (kept(ch)) rows.Set(row_pp, c.P(ch), -1);  // a subtree left out: no change under the fixed slack voltage
  }
  for (int d : ders_at[s]) rows.Set(row_pp, c.DerP(d), 1);
  const int row_pq = rows.Add(0, 0);
  rows.Set(row_pq, c.PccQ(nd), 1);
  for (int ch : children[s]) {
    if (kept(ch)) rows.Set(row_pq, c.Q(ch), -1);
  }
  for (int d : ders_at[s]) rows.Set(row_pq, c.DerQ(d), 1);

  *flow_rows = static_cast<int>(rows.lo().size());
  der_rows->assign(nd, 0);
  for (int d = 0; d < nd; ++d) {
    const int before = static_cast<int>(rows.lo().size());
    AddDerRegion(ders[d], d, c, base, &rows, &col_lo, &col_hi);
    (*der_rows)[d] = static_cast<int>(rows.lo().size()) - before;
  }
  const std::vector<PqPoint> normals = SideNormals(sides);
  for (int b : rated) {
    if (rating_at[b] >= 0) AddRatingRows((*ratings)[rating_at[b]], normals, c, &rows);  // else: no DER below it now
  }

  const std::vector<double> obj(cols, 0.0);
  model->loadProblem(rows.Matrix(cols), col_lo.data(), col_hi.data(), obj.data(), rows.lo().data(), rows.hi().data());
  model->setOptimizationDirection(-1);  // maximise
}

std::vector<PqPoint> Injections(const std::vector<PqPoint>& base, const std::vector<PlacedDer>& ders,
                                const std::vector<PqPoint>& setpoints) {
  std::vector<PqPoint> inj = base;
  for (size_t d = 0; d < ders.size(); ++d) {
    inj[ders[d].bus].p += setpoints[d].p;
    inj[ders[d].bus].q += setpoints[d].q;
  }
  return inj;
}

bool SameMove(const std::vector<PqPoint>& a, const std::vector<PqPoint>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](PqPoint x, PqPoint y) { return x.p == y.p && x.q == y.q; });
}

// Add the ratings' rows that the LP's solution breaks (all sides of such a
// branch) and return how many branches that was. `rated` flags the buses
// whose branch's rows the LP holds, `rated_order` lists them in row order.
int AddBrokenRatings(const std::vector<RatingRows>& ratings, const std::vector<PqPoint>& normals, const Columns& c,
                     std::vector<bool>* rated, std::vector<int>* rated_order, ClpSimplex* model) {
  const double* x = model->primalColumnSolution();
  LpRows rows;
  int added = 0;
  for (const RatingRows& r : ratings) {
    if ((*rated)[r.bus] || !RatingBroken(r, normals, c, x)) continue;
    AddRatingRows(r, normals, c, &rows);
    (*rated)[r.bus] = true;
    rated_order->push_back(r.bus);
    ++added;
  }
  if (added == 0) return 0;
  const CoinPackedMatrix m = rows.Matrix(model->numberColumns());
  CoinPackedMatrix by_row;
  by_row.reverseOrderedCopyOf(m);
  model->addRows(by_row.getNumRows(), rows.lo().data(), rows.hi().data(), by_row.getVectorStarts(), by_row.getIndices(),
                 by_row.getElements());
  return added;
}

// The objectives, among max cos(a) P + sin(a) Q of the PCC exchange, for
// which the present basis stays optimal: read from the two rows of the
// simplex tableau of the exchange's columns, the rate at which each
// variable off its bound (a column or a row's activity) would change P and
// Q if it moved away from that bound. The basis is optimal for angle a
// when no such move raises cos(a) P + sin(a) Q. Read once per optimum, the
// check costs a pass over the nonbasic variables, against about 0.1 ms for
// a Clp solve that only finds the basis optimal again.
constexpr double kReducedCostTolerance = 1e-9;

class OptimalDirections {
 public:
  // Read the rows from `model` just after a solve that kept Clp's work areas
  // (startFinishOptions 1). Return false (nothing known) if the work areas
  // are gone or either exchange column is not basic.
  bool Read(ClpSimplex* model, int col_p, int col_q) {
    moves_.clear();
    if (model->rowArray(0) == nullptr) return false;
    const int cols = model->numberColumns(), rows = model->numberRows();
    const int* pivots = model->pivotVariable();
    int row_p = -1, row_q = -1;
    for (int k = 0; k < rows; ++k) {
      if (pivots[k] == col_p) row_p = k;
      if (pivots[k] == col_q) row_q = k;
    }
    if (row_p < 0 || row_q < 0) return false;
    tableau_p_.resize(cols + rows);
    tableau_q_.resize(cols + rows);
    model->getBInvARow(row_p, tableau_p_.data(), tableau_p_.data() + cols);
    model->getBInvARow(row_q, tableau_q_.data(), tableau_q_.data() + cols);
    const double* col_lo = model->columnLower();
    const double* col_hi = model->columnUpper();
    const double* row_lo = model->rowLower();
    const double* row_hi = model->rowUpper();
    for (int j = 0; j < cols + rows; ++j) {
      const bool is_row = j >= cols;
      const ClpSimplex::Status status = is_row ? model->getRowStatus(j - cols) : model->getColumnStatus(j);
      if (status == ClpSimplex::basic || status == ClpSimplex::isFixed) continue;
      const double lo = is_row ? row_lo[j - cols] : col_lo[j];
      const double hi = is_row ? row_hi[j - cols] : col_hi[j];
      if (lo == hi) continue;  // cannot move
      // The change of P and Q per unit increase of the variable, basics
      // following. A column's tableau entry is -that; a row's activity
      // enters Clp's basis as a -1 slack column, whose entry getBInvARow
      // returns negated already.
      const double dp = is_row ? tableau_p_[j] : -tableau_p_[j];
      const double dq = is_row ? tableau_q_[j] : -tableau_q_[j];
      // Moves the bounds allow: up from a lower bound, down from an upper
      // one, either way for a free variable off its bounds.
      const bool up = status != ClpSimplex::atUpperBound && hi > lo;
      const bool down =
          status == ClpSimplex::atUpperBound || status == ClpSimplex::isFree || status == ClpSimplex::superBasic;
      if (up) moves_.push_back({dp, dq});
      if (down) moves_.push_back({-dp, -dq});
    }
    return true;
  }

  // Whether the basis read is optimal for max cos(angle) P + sin(angle) Q:
  // no allowed move raises it by more than `tolerance` per unit.
  bool Holds(double angle, double tolerance) const {
    const double cp = std::cos(angle), cq = std::sin(angle);
    for (const PqPoint& m : moves_) {
      if (cp * m.p + cq * m.q > tolerance) return false;
    }
    return true;
  }

 private:
  std::vector<double> tableau_p_, tableau_q_;
  std::vector<PqPoint> moves_;
};

}  // namespace

// What stays from one area to the next: the LP with its last basis, and
// which rows it had, so that the next area's LP can start from that basis.
struct GridAreaSolver::State {
  ClpSimplex model;
  std::vector<unsigned char> basis;  // statuses at the last area's first optimum (columns, then rows)
  std::vector<int> der_buses;        // the DERs of the last area
  std::vector<int> der_rows;         // rows of each DER's region in the last area's LP
  std::vector<int> rated;            // buses whose branch's rating rows the LP holds, in row order
};

GridAreaSolver::GridAreaSolver(const RadialGrid& grid, const GridAreaOptions& options)
    : grid_(grid), options_(options), state_(std::make_unique<State>()) {
  state_->model.setLogLevel(0);
}

GridAreaSolver::~GridAreaSolver() = default;

absl::StatusOr<GridAreaResult> GridAreaSolver::Compute(const LoadScale& load_scale,
                                                       const std::vector<PlacedDer>& ders) {
  const RadialGrid& grid = grid_;
  const GridAreaOptions& o = options_;
  if (absl::Status s = CheckInputs(grid, load_scale.p, ders, o); !s.ok()) return s;
  if (!std::isfinite(load_scale.q) || load_scale.q < 0) {
    return absl::InvalidArgumentError(absl::StrCat("load_scale.q: ", load_scale.q, " must be finite and >= 0"));
  }
  const GridModel& m = grid.model();
  const int n = static_cast<int>(grid.bus_count());
  const int nd = static_cast<int>(ders.size());
  const double base = m.base_mva;
  const LimitOptions& limits = o;

  // The load profile as extra injections, so the model's loads stay as read.
  std::vector<PqPoint> load_shift(n);
  for (int b = 0; b < n; ++b) {
    load_shift[b] = {-(load_scale.p - 1) * m.buses[b].p_load_mw, -(load_scale.q - 1) * m.buses[b].q_load_mvar};
  }
  std::vector<PqPoint> operating(nd);
  for (int d = 0; d < nd; ++d) operating[d] = ders[d].operating;

  GridAreaResult result;
  const std::vector<PqPoint> inj0 = Injections(load_shift, ders, operating);
  const absl::StatusOr<PowerFlowResult> flow0 = SolvePowerFlow(grid, &inj0);
  if (flow0.ok()) result.operating = {flow0->slack_mva.real(), flow0->slack_mva.imag()};
  if (LimitViolated(grid, flow0, limits) != LimitClass::kNone) {
    // Nothing reachable is known to be safe: the LP around a violating
    // state would only report how to make it worse or better, not what is
    // allowed.
    result.operating_within_limits = false;
    return result;
  }

  State& st = *state_;
  ClpSimplex& model = st.model;
  const int sides = o.rating_polygon_sides;
  std::vector<int> der_buses(nd);
  for (int d = 0; d < nd; ++d) der_buses[d] = ders[d].bus;
  if (der_buses != st.der_buses) st.rated.clear();  // other DERs, other branches to watch
  std::vector<RatingRows> ratings;
  std::vector<int> der_rows;
  int flow_rows = 0;
  BuildLp(grid, *flow0, ders, limits, sides, o.eliminate_der_free_buses, st.rated, &model, &flow_rows, &der_rows,
          &ratings);
  if (!o.rating_rows_on_demand) {
    st.rated.clear();
    for (const RatingRows& r : ratings) st.rated.push_back(r.bus);
    BuildLp(grid, *flow0, ders, limits, sides, o.eliminate_der_free_buses, st.rated, &model, &flow_rows, &der_rows,
            &ratings);
  }
  // Start from the last area's basis: the same network around a nearby
  // operating point, so its optimum is a few pivots away. A DER region
  // whose number of edges changed starts with its rows' slacks basic.
  bool warm = false;
  if (!st.basis.empty() && der_buses == st.der_buses) {
    const int cols = model.numberColumns();
    const int fixed_rows = flow_rows;  // the same DERs at the same buses: the same rows
    std::vector<unsigned char> basis(cols + model.numberRows(), 1 /* basic */);
    std::copy_n(st.basis.begin(), cols + fixed_rows, basis.begin());
    int from = cols + fixed_rows, to = cols + fixed_rows;
    for (int d = 0; d < nd; ++d) {
      if (der_rows[d] == st.der_rows[d]) std::copy_n(st.basis.begin() + from, der_rows[d], basis.begin() + to);
      from += st.der_rows[d];
      to += der_rows[d];
    }
    std::copy(st.basis.begin() + from, st.basis.end(), basis.begin() + to);
    model.copyinStatus(basis.data());
    warm = true;
  }
  st.der_buses = der_buses;
  st.der_rows = der_rows;
  const Columns c{n};

  // Solve, then add the rows of every rating the optimum breaks and solve
  // again (rows added keep the basis dual feasible) until none is broken:
  // the optimum is then that of the LP with every rating in it.
  const std::vector<PqPoint> normals = SideNormals(sides);
  std::vector<bool> rated(n, false);
  for (int b : st.rated) rated[b] = true;
  // Clp keeps its work areas (startFinishOptions 1) so that the tableau
  // rows of the optimum can be read (OptimalDirections).
  auto solve = [&](bool first) {
    if (first) {
      model.dual(0, 1);
    } else {
      model.primal(0, 1 | 2 | 4);
    }
    while (model.status() == 0 && AddBrokenRatings(ratings, normals, c, &rated, &st.rated, &model) > 0) {
      model.dual(0, 1);
    }
  };

  std::vector<PqPoint> last_move;
  bool saved = false;
  // Directions for which the last optimum's basis is known optimal: most
  // directions end at the vertex of the one before, and need no solve.
  OptimalDirections optimal;
  bool optimal_known = false;
  for (int i = 0; i < o.directions; ++i) {
    const double angle = 2 * M_PI * i / o.directions;
    if (o.skip_directions_kept_optimal && optimal_known && optimal.Holds(angle, kReducedCostTolerance)) {
      ++result.lps_solved;
      ++result.lps_skipped;
      result.points.push_back(result.points.back());
      continue;
    }
    model.setObjectiveCoefficient(c.PccP(nd), std::cos(angle));
    model.setObjectiveCoefficient(c.PccQ(nd), std::sin(angle));
    // The first solve starts from the last area's basis (or from scratch);
    // later ones start from the last direction's basis, which stays primal
    // feasible when only the objective changes.
    solve(i == 0);
    if (model.status() != 0 && model.status() != 1 && warm) {
      // Numerical trouble from a basis made for another operating point:
      // start again from scratch.
      model.allSlackBasis(true);
      solve(true);
    }
    const int status = model.status();
    optimal_known = false;
    if (status == 1) {
      ++result.lps_infeasible;
      continue;
    }
    if (status != 0) {
      // The saved basis belongs to the rows as they were before this area:
      // the next area starts from scratch rather than from a basis that no
      // longer lines up.
      st.basis.clear();
      return absl::InternalError(absl::StrCat("grid-aware area: Clp stopped with status ", status,
                                              " (secondary status ", model.secondaryStatus(), ") in direction ", i,
                                              " of ", o.directions, " (", angle * 180 / M_PI, " degrees)"));
    }
    ++result.lps_solved;
    // Read which directions this basis is optimal for; it must be for this
    // one (else the rows read are not to be trusted: solve every direction).
    optimal_known = optimal.Read(&model, c.PccP(nd), c.PccQ(nd)) && optimal.Holds(angle, kReducedCostTolerance);
    // The next area starts from the basis of its first direction here: the
    // same objective, so the basis stays dual feasible and the dual simplex
    // only has to follow the operating point (a basis from the last
    // direction would be optimal for another objective). Rating rows added
    // later start with their slacks basic.
    if (!saved) {
      const unsigned char* status = model.statusArray();
      st.basis.assign(status, status + model.numberColumns() + model.numberRows());
      saved = true;
    }
    const double* x = model.primalColumnSolution();
    std::vector<PqPoint> move(nd);
    for (int d = 0; d < nd; ++d) move[d] = {x[c.DerP(d)] * base, x[c.DerQ(d)] * base};
    // The optimum of the last direction again (its vertex reaches this
    // direction too): the AC check would give the same point.
    if (!result.points.empty() && SameMove(move, last_move)) {
      result.points.push_back(result.points.back());
      continue;
    }
    last_move = move;
    auto setpoints_at = [&](double t) {
      std::vector<PqPoint> sp(nd);
      for (int d = 0; d < nd; ++d) sp[d] = {operating[d].p + t * move[d].p, operating[d].q + t * move[d].q};
      return sp;
    };
    auto flow_at = [&](double t) {
      const std::vector<PqPoint> inj = Injections(load_shift, ders, setpoints_at(t));
      return SolvePowerFlow(grid, &inj);
    };
    GridAreaPoint point;
    absl::StatusOr<PowerFlowResult> flow = flow_at(1);
    if (LimitViolated(grid, flow, limits) != LimitClass::kNone) {
      // Linearisation error took the optimum over a limit: keep the largest
      // share of the move the AC power flow accepts. The operating point is
      // known to be within limits, so the bisection always has a safe end.
      ++result.vertices_pulled_in;
      double lo = 0, hi = 1;
      absl::StatusOr<PowerFlowResult> safe = flow0;
      for (int step = 0; step < o.max_shrink_steps; ++step) {
        const double mid = (lo + hi) / 2;
        absl::StatusOr<PowerFlowResult> f = flow_at(mid);
        if (LimitViolated(grid, f, limits) == LimitClass::kNone) {
          lo = mid;
          safe = std::move(f);
        } else {
          hi = mid;
        }
      }
      point.kept = lo;
      flow = std::move(safe);
    }
    point.setpoints = setpoints_at(point.kept);
    point.exchange = {flow->slack_mva.real(), flow->slack_mva.imag()};
    result.points.push_back(std::move(point));
  }
  if (!saved) {  // no direction had an optimum
    const unsigned char* status = model.statusArray();
    st.basis.assign(status, status + model.numberColumns() + model.numberRows());
  }

  GridAreaPoint here;
  here.exchange = result.operating;
  here.setpoints = operating;
  result.points.push_back(std::move(here));
  std::vector<PqPoint> exchanges;
  for (const GridAreaPoint& p : result.points) exchanges.push_back(p.exchange);
  result.area = ConvexPolygon::Hull(std::move(exchanges));
  return result;
}

absl::StatusOr<GridAreaResult> ComputeGridAwareArea(const RadialGrid& grid, double load_scale,
                                                    const std::vector<PlacedDer>& ders, const GridAreaOptions& o) {
  return GridAreaSolver(grid, o).Compute(load_scale, ders);
}

}  // namespace tsodso::core
