#include "core/validation/merit_order.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/validation/screening.h"

namespace tsodso::core {

namespace {

void SortInMeritOrder(Direction direction, std::vector<Bid>* bids) {
  std::stable_sort(bids->begin(), bids->end(), [direction](const Bid& a, const Bid& b) {
    return direction == Direction::kUp ? a.price < b.price : a.price > b.price;
  });
}

// Spread the bid's power equally over its resources, or say why it cannot
// be placed on the model.
BidReason Place(const Bid& bid, const ResourceRegistry& resources, BidSpread* spread) {
  for (const std::string& id : bid.resource_ids) {
    auto it = resources.find(id);
    if (it == resources.end()) return BidReason::kUnknownResource;
    if (it->second.pcc_id != bid.pcc_id) return BidReason::kResourceNotAtPcc;
    if (!it->second.prequalified) return BidReason::kNotPrequalified;
    for (auto [bus, share] : it->second.buses) spread->push_back({bus, share / bid.resource_ids.size()});
  }
  return BidReason::kNone;
}

void Add(const BidSpread& spread, double signed_mw, std::vector<PqPoint>* injections) {
  for (auto [bus, share] : spread) (*injections)[bus].p += signed_mw * share;
}

// Fill the outcome from the largest quantity the AC power flow allowed and
// the class of the limit that binds (kNone when the full quantity fits);
// return what is activated (0 when rejected).
double Settle(const Bid& bid, double accepted, BidReason binding, BidResult* r) {
  if (binding != BidReason::kNone) r->reason = binding;
  if (accepted >= bid.quantity_mw) {
    r->outcome = BidOutcome::kAccepted;
  } else if (bid.divisible && accepted > 0 && accepted >= bid.min_quantity_mw) {
    r->outcome = BidOutcome::kLimited;
  } else {
    r->outcome = BidOutcome::kRejected;
    accepted = 0;
    if (r->reason == BidReason::kNone) r->reason = BidReason::kMinimumNotMet;
  }
  r->accepted_mw = accepted;
  return accepted;
}

// The bisection grid of a bid, the same for both methods: k steps of
// quantity / 2^m (the first step within the resolution), `top` of them
// making the full quantity; `first` is the smallest point the bid may be
// given (its minimum, and at least one step).
struct BisectionGrid {
  double quantity = 0;
  double step = 0;
  int64_t top = 1;
  int64_t first = 1;
  double At(int64_t k) const { return k == top ? quantity : static_cast<double>(k) * step; }
};

BisectionGrid GridOf(const Bid& bid, const ValidationOptions& o) {
  BisectionGrid g;
  g.quantity = g.step = bid.quantity_mw;
  while (g.step > o.quantity_resolution_mw) g.step /= 2, g.top *= 2;
  int64_t k_min = 0;
  if (bid.min_quantity_mw > 0) {
    k_min = static_cast<int64_t>(std::ceil(bid.min_quantity_mw / g.step));
    while (k_min > 0 && static_cast<double>(k_min - 1) * g.step >= bid.min_quantity_mw) --k_min;
    while (static_cast<double>(k_min) * g.step < bid.min_quantity_mw) ++k_min;
  }
  g.first = std::clamp<int64_t>(k_min, 1, g.top);
  return g;
}

class AcSolver {
 public:
  AcSolver(const RadialGrid& grid, ValidationStats* stats) : grid_(grid), stats_(stats) {}
  absl::StatusOr<PowerFlowResult> Solve(const std::vector<PqPoint>& injections) const {
    if (stats_ != nullptr) ++stats_->power_flows;
    return SolvePowerFlow(grid_, &injections);
  }
  // The flow with `signed_mw` of a bid on top of `injections`.
  absl::StatusOr<PowerFlowResult> SolveWith(const std::vector<PqPoint>& injections, const BidSpread& spread,
                                            double signed_mw) const {
    std::vector<PqPoint> trial = injections;
    Add(spread, signed_mw, &trial);
    return Solve(trial);
  }

 private:
  const RadialGrid& grid_;
  ValidationStats* stats_;
};

// The reference decision for one bid: the AC power flow at the full
// quantity and, when it violates a limit, bisection on the AC power flow
// (limits are monotone in the activated quantity here). The reason is the
// class of the limit that binds, voltage first where both break at once:
// the one broken at the infeasible neighbour the bisection ends on for a
// limited bid; at the first point the bid may be given (first step, or its
// minimum) for a divisible bid rejected; at the full quantity for an
// indivisible bid, or when the state the bid meets already breaks a limit
// (only the full quantity can pass then).
double DecideByBisection(const RadialGrid& grid, const AcSolver& ac, const ValidationOptions& o,
                         const std::vector<PqPoint>& injections, const BidSpread& spread, double sign, const Bid& bid,
                         BidResult* r) {
  auto violated_at = [&](double mw) {
    return BidReasonOf(LimitViolated(grid, ac.SolveWith(injections, spread, sign * mw), o));
  };
  const BidReason at_full = violated_at(bid.quantity_mw);
  if (at_full == BidReason::kNone) return Settle(bid, bid.quantity_mw, BidReason::kNone, r);
  double lo = 0, hi = bid.quantity_mw;
  BidReason at_hi = at_full;
  const bool state_ok = violated_at(0) == BidReason::kNone;
  if (!state_ok) hi = 0;
  while (hi - lo > o.quantity_resolution_mw) {
    const double mid = (lo + hi) / 2;
    const BidReason why = violated_at(mid);
    if (why == BidReason::kNone) {
      lo = mid;
    } else {
      hi = mid;
      at_hi = why;
    }
  }
  BidReason binding = at_full;
  if (state_ok && bid.divisible) {
    binding = at_hi;
    if (lo <= 0 || lo < bid.min_quantity_mw) {
      // Rejected: the class at the first point it may be given, unless the
      // bisection ended there (the grid points differ by rounding only).
      const BisectionGrid g = GridOf(bid, o);
      const double first = g.At(g.first);
      if (std::abs(hi - first) > g.step / 2) {
        const BidReason why = violated_at(first);
        if (why != BidReason::kNone) binding = why;
      }
    }
  }
  return Settle(bid, lo, binding, r);
}

// Screened bids between AC checks, and the linear voltage drift (pu) since
// the last AC solution that forces one sooner: the linearisation error
// grows with the distance from its operating point.
constexpr int kCheckEvery = 32;
constexpr double kDriftPu = 0.02;
// AC evaluations guided by the linear estimate before plain bisection.
constexpr int kGuidedTries = 4;

}  // namespace

std::vector<BidResult> ValidateMeritOrderNaive(const RadialGrid& grid, const std::vector<PqPoint>& base,
                                               const ResourceRegistry& resources, Direction direction,
                                               std::vector<Bid> bids, const ValidationOptions& o,
                                               ValidationStats* stats) {
  SortInMeritOrder(direction, &bids);
  std::vector<PqPoint> injections = base;
  injections.resize(grid.bus_count());
  const double sign = direction == Direction::kUp ? 1.0 : -1.0;
  const AcSolver ac(grid, stats);
  std::vector<BidResult> out;
  for (const Bid& bid : bids) {
    BidResult r;
    r.bid_id = bid.bid_id;
    BidSpread spread;
    r.reason = Place(bid, resources, &spread);
    if (r.reason == BidReason::kNone) {
      const double accepted = DecideByBisection(grid, ac, o, injections, spread, sign, bid, &r);
      Add(spread, sign * accepted, &injections);
    }
    out.push_back(r);
  }
  return out;
}

std::vector<BidResult> ValidateMeritOrder(const RadialGrid& grid, const std::vector<PqPoint>& base,
                                          const ResourceRegistry& resources, Direction direction, std::vector<Bid> bids,
                                          const ValidationOptions& o, ValidationStats* stats) {
  SortInMeritOrder(direction, &bids);
  ValidationStats local;
  if (stats == nullptr) stats = &local;
  std::vector<PqPoint> injections = base;
  injections.resize(grid.bus_count());
  const double sign = direction == Direction::kUp ? 1.0 : -1.0;
  const AcSolver ac(grid, stats);
  const size_t n = bids.size();
  std::vector<BidResult> out(n);
  std::vector<BidSpread> spreads(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].bid_id = bids[i].bid_id;
    out[i].reason = Place(bids[i], resources, &spreads[i]);
  }
  // Placement reasons are final before any power flow.
  std::vector<bool> on_grid(n);
  for (size_t i = 0; i < n; ++i) on_grid[i] = out[i].reason == BidReason::kNone;

  Screening net(grid, sign, o);
  // The last state verified by AC in every section: its injections and the
  // first bid after it.
  std::vector<PqPoint> checkpoint = injections;
  size_t after_checkpoint = 0;
  int screened_since = 0;
  auto advance_checkpoint = [&](size_t next) {
    checkpoint = injections;
    after_checkpoint = next;
    screened_since = 0;
  };
  // The screening let a violation through: decide the bids since the
  // checkpoint again by the reference method.
  auto redo_from_checkpoint = [&](size_t until) {
    ++stats->fallbacks;
    injections = checkpoint;
    for (size_t j = after_checkpoint; j < until; ++j) {
      if (!on_grid[j]) continue;
      out[j] = BidResult{bids[j].bid_id};
      const double accepted = DecideByBisection(grid, ac, o, injections, spreads[j], sign, bids[j], &out[j]);
      Add(spreads[j], sign * accepted, &injections);
    }
    net.Reset(ac.Solve(injections), injections);
    advance_checkpoint(until);
  };
  // AC check of the bids accepted by screening; false if it had to redo.
  auto check = [&](size_t next) {
    ++stats->checks;
    if (!net.VerifyDirty(injections)) {
      redo_from_checkpoint(next);
      return false;
    }
    advance_checkpoint(next);
    return true;
  };
  net.Reset(ac.Solve(injections), injections);

  for (size_t i = 0; i < n; ++i) {
    if (!on_grid[i]) continue;
    const Bid& bid = bids[i];
    const BidSpread& spread = spreads[i];
    BidResult& r = out[i];
    net.Load(spread);
    const Screening::Verdict verdict = net.usable() ? net.Judge(bid.quantity_mw) : Screening::Verdict{};
    if (verdict.fits) {
      Settle(bid, bid.quantity_mw, BidReason::kNone, &r);
      Add(spread, sign * bid.quantity_mw, &injections);
      net.Accumulate(bid.quantity_mw);
      ++stats->screened;
      if (++screened_since >= kCheckEvery || net.drift() > kDriftPu) check(i + 1);
      continue;
    }
    // Near a limit: the AC power flow decides, from a verified state.
    if (screened_since > 0 && !check(i)) {
      --i;  // the state changed under this bid: decide it again
      continue;
    }
    if (!net.usable()) {
      // The state already breaks a limit somewhere: as in the reference,
      // only the full quantity can pass, by a full AC power flow, and the
      // reason is the class it breaks there.
      absl::StatusOr<PowerFlowResult> full = ac.SolveWith(injections, spread, sign * bid.quantity_mw);
      const BidReason at_full = BidReasonOf(LimitViolated(grid, full, o));
      if (Settle(bid, at_full == BidReason::kNone ? bid.quantity_mw : 0, at_full, &r) > 0) {
        Add(spread, sign * bid.quantity_mw, &injections);
        net.Reset(full, injections);
      }
      advance_checkpoint(i + 1);
      continue;
    }
    // The full quantity first, unless the linear model is certain it breaks
    // a limit and the bid can be cut: the reason is the class at the point
    // the search ends on, which AC evaluates anyway, not at the full
    // quantity.
    BidReason at_full = BidReason::kNone;
    bool full_known = false;
    if (!((verdict.voltage_certain || verdict.thermal_certain) && bid.divisible)) {
      at_full = net.SolveTouched(injections, bid.quantity_mw);
      full_known = true;
      if (at_full == BidReason::kNone || !bid.divisible) {
        if (Settle(bid, at_full == BidReason::kNone ? bid.quantity_mw : 0, at_full, &r) > 0) {
          Add(spread, sign * bid.quantity_mw, &injections);
          net.CommitTrial(injections);
        }
        advance_checkpoint(i + 1);
        continue;
      }
    }
    // The largest feasible point of the reference's bisection grid, found
    // by AC power flows placed where the linear model, re-taken at each AC
    // point, puts the limit; bisection if that does not close in. `at_hi`
    // is the class AC found at `hi` once it is known.
    const BisectionGrid g = GridOf(bid, o);
    const int64_t top = g.top, first = g.first;
    int64_t lo = 0, hi = top;
    bool hi_known = full_known;
    BidReason at_hi = at_full;
    double estimate = net.Estimate(false, 0) / g.step;
    for (int tries = 0;; ++tries) {
      if (lo >= hi || (hi_known && hi <= first)) break;  // found, or the minimum does not fit
      int64_t k;
      if (hi - lo <= 1) {
        if (hi_known) break;
        k = hi;
      } else if (tries == 0 && first > lo && estimate < first) {
        k = std::min(first, hi_known ? hi - 1 : hi);
      } else if (tries >= kGuidedTries || !std::isfinite(estimate)) {
        k = lo + (hi - lo) / 2;
      } else {
        k = std::clamp(static_cast<int64_t>(std::floor(estimate)), lo + 1, hi - 1);
      }
      const double x = g.At(k);
      const BidReason why = net.SolveTouched(injections, x);
      estimate = net.Estimate(true, x) / g.step;
      if (why == BidReason::kNone) {
        lo = k;
        net.KeepTrial();
      } else {
        hi = k;
        hi_known = true;
        at_hi = why;
      }
    }
    // The reason: the class at the infeasible neighbour of a limited bid;
    // for a rejected one, at the first point it may be given.
    BidReason binding = BidReason::kNone;
    if (lo < top) {
      binding = at_hi;
      if (lo < first && hi != first) binding = net.SolveTouched(injections, g.At(first));
      if (binding == BidReason::kNone) binding = at_hi;
    }
    const double accepted = Settle(bid, g.At(lo), binding, &r);
    if (accepted > 0) {
      Add(spread, sign * accepted, &injections);
      net.CommitKept(injections);
    }
    advance_checkpoint(i + 1);
  }
  if (screened_since > 0) check(n);
  stats->power_flows += net.full_flows();
  stats->section_flows += net.reduced_flows();
  return out;
}

}  // namespace tsodso::core
