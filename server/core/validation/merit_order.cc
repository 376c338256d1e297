#include "core/validation/merit_order.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"

namespace tsodso::core {

const char* BidReasonName(BidReason reason) {
  switch (reason) {
    case BidReason::kNone:
      return "NONE";
    case BidReason::kThermalLimit:
      return "THERMAL_LIMIT";
    case BidReason::kVoltageLimit:
      return "VOLTAGE_LIMIT";
    case BidReason::kUnknownResource:
      return "UNKNOWN_RESOURCE";
    case BidReason::kNotPrequalified:
      return "NOT_PREQUALIFIED";
    case BidReason::kResourceNotAtPcc:
      return "RESOURCE_NOT_AT_PCC";
    case BidReason::kMinimumNotMet:
      return "MINIMUM_NOT_MET";
    case BidReason::kOutsideValidity:
      return "OUTSIDE_VALIDITY";
    case BidReason::kBeyondQualifiedRange:
      return "BEYOND_QUALIFIED_RANGE";
  }
  return "UNKNOWN";
}

absl::Status CheckMeritOrder(const std::vector<Bid>& bids) {
  if (bids.empty()) return absl::InvalidArgumentError("bids: the merit order list is empty");
  std::set<std::string> ids;
  for (size_t i = 0; i < bids.size(); ++i) {
    const Bid& b = bids[i];
    const std::string where = absl::StrCat("bids[", i, "] (", b.bid_id, ")");
    if (b.bid_id.empty()) return absl::InvalidArgumentError(absl::StrCat("bids[", i, "].bid_id: must not be empty"));
    if (!ids.insert(b.bid_id).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".bid_id: '", b.bid_id, "' appears twice"));
    }
    if (!std::isfinite(b.quantity_mw) || b.quantity_mw <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".quantity_mw: ", b.quantity_mw, " must be positive"));
    }
    if (!std::isfinite(b.min_quantity_mw) || b.min_quantity_mw < 0 || b.min_quantity_mw > b.quantity_mw) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".min_quantity_mw: ", b.min_quantity_mw, " must be between 0 and quantity_mw"));
    }
    if (!std::isfinite(b.price)) return absl::InvalidArgumentError(absl::StrCat(where, ".price: not a number"));
    if (b.resource_ids.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".resource_ids: at least one resource is needed"));
    }
  }
  return absl::OkStatus();
}

BidReason BidReasonOf(LimitClass limit) {
  switch (limit) {
    case LimitClass::kNone:
      return BidReason::kNone;
    case LimitClass::kThermal:
      return BidReason::kThermalLimit;
    case LimitClass::kVoltage:
      return BidReason::kVoltageLimit;
  }
  return BidReason::kNone;
}

namespace {

using Spread = std::vector<std::pair<int, double>>;  // bus, share of the bid's power

void SortInMeritOrder(Direction direction, std::vector<Bid>* bids) {
  std::stable_sort(bids->begin(), bids->end(), [direction](const Bid& a, const Bid& b) {
    return direction == Direction::kUp ? a.price < b.price : a.price > b.price;
  });
}

// Spread the bid's power equally over its resources, or say why it cannot
// be placed on the model.
BidReason Place(const Bid& bid, const ResourceRegistry& resources, Spread* spread) {
  for (const std::string& id : bid.resource_ids) {
    auto it = resources.find(id);
    if (it == resources.end()) return BidReason::kUnknownResource;
    if (it->second.pcc_id != bid.pcc_id) return BidReason::kResourceNotAtPcc;
    if (!it->second.prequalified) return BidReason::kNotPrequalified;
    for (auto [bus, share] : it->second.buses) spread->push_back({bus, share / bid.resource_ids.size()});
  }
  return BidReason::kNone;
}

void Add(const Spread& spread, double signed_mw, std::vector<PqPoint>* injections) {
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
  absl::StatusOr<PowerFlowResult> SolveWith(const std::vector<PqPoint>& injections, const Spread& spread,
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
                         const std::vector<PqPoint>& injections, const Spread& spread, double sign, const Bid& bid,
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

// Screening margins. LinDistFlow drops the losses and under-states the
// voltage change of an injection by up to ~16 % on the heavily loaded IEEE
// 33-bus feeder (grid_test.cc); a bid is accepted without a power flow only
// if it keeps every limit with its linear effect taken 25 % larger, and
// with the reactive flow moved by 25 % of the active change. A violation
// counts as certain (to skip the power flow at the full quantity) only if
// it shows with half the linear effect.
constexpr double kInflate = 1.25;
constexpr double kDeflate = 0.5;
// Screened bids between AC checks, and the linear voltage drift (pu) since
// the last AC solution that forces one sooner: the linearisation error
// grows with the distance from its operating point.
constexpr int kCheckEvery = 32;
constexpr double kDriftPu = 0.02;
// AC evaluations guided by the linear estimate before plain bisection.
constexpr int kGuidedTries = 4;

// The network below the slack split into sections. The hub is the first
// bus from the slack with other than one child (the slack itself when it
// feeds several feeders; the MV busbar behind a PCC transformer); the path
// from the slack's child down to the hub is the trunk, and the sections are
// the hub's subtrees (the feeders).
//
// Without a trunk the slack holds every section's head voltage, so an
// injection moves nothing outside its own section: the LinDistFlow
// screening and the AC power flow of a bid need only the sections it
// injects into.
//
// With a trunk, an injection anywhere moves the hub voltage, and through it
// every section:
// - Equivalents. A section's draw at the hub depends on the hub voltage
//   magnitude only (constant-power loads and injections, losses going as
//   1 / |V|^2 to first order): from its last AC solution, S(V) = a + b / V^2
//   (a its net load, b its losses x V0^2).
// - Reduced AC solves. The sweep covers the trunk and the bid's sections,
//   every other section being its equivalent at the hub. The others' buses
//   move with the hub (by up to kHubInflate x its change) and their
//   currents as V0 / V: each keeps its voltage headroom up and down and its
//   largest loading from its last AC solution, and a reduced solve stands
//   only if the hub's change since then is within kStalePu and eats no
//   margin (less kGuard). Otherwise the sections concerned are swept too
//   (up to kWidenings times, then all of them: a full AC power flow). A
//   solve that ends within kGuard of a limit it checks is redone in full,
//   so the equivalents' error (~1e-7 pu) decides nothing; a voltage limit
//   broken stands (voltage comes first).
// - Screening adds the hub's change to every section, by the trunk's
//   sensitivity (d|V| per MW at the hub, from two AC sweeps of the trunk
//   with the equivalents: it includes the transformer's reactive losses
//   that LinDistFlow drops), and keeps the other sections within their
//   margins as well.
//
// The AC state is kept per section (and for the trunk); a section is dirty
// while bids accepted by screening alone have not been through its AC
// power flow.
constexpr double kStalePu = 0.001;
constexpr double kHubInflate = 1.5;  // a section's head branch was seen at 1.23
constexpr double kGuard = 2e-6;      // pu of voltage, share of a rating
constexpr int kWidenings = 3;

class Sections {
 public:
  Sections(const RadialGrid& grid, double sign, const ValidationOptions& o, ValidationStats* stats)
      : grid_(grid), sign_(sign), o_(o), stats_(stats), base_(grid.model().base_mva) {
    const GridModel& m = grid.model();
    const size_t n = grid.bus_count();
    section_.assign(n, -1);
    r_pu_.assign(n, 0);
    z_pu_.assign(n, 0);
    per_mva_.assign(n, 0);
    std::vector<int> children(n, 0), child(n, -1);
    for (int b : grid.order()) {
      const int p = grid.parent(b);
      if (p < 0) continue;
      ++children[p];
      child[p] = b;
      const int k = grid.parent_branch(b);
      const Branch& br = m.branches[k];
      const double kv = m.buses[grid.branch_from(k)].v_nom_kv;
      r_pu_[b] = br.r_ohm / (kv * kv / base_);
      z_pu_[b] = std::complex<double>(br.r_ohm, br.x_ohm) / (kv * kv / base_);
      // Loading = |S| / |V sending| x this, as the power flow computes it.
      if (br.rating_a > 0) per_mva_[b] = 1e3 / (std::sqrt(3.0) * kv * br.rating_a);
    }
    hub_ = grid.slack();
    while (children[hub_] == 1) hub_ = child[hub_];
    for (int b = hub_; b != grid.slack(); b = grid.parent(b)) trunk_.push_back(b);
    std::reverse(trunk_.begin(), trunk_.end());
    for (int b : grid.order()) {
      const int p = grid.parent(b);
      if (p < 0 || (p != hub_ && section_[p] < 0)) continue;  // the slack or the trunk
      if (p == hub_) {
        section_[b] = static_cast<int>(sections_.size());
        sections_.emplace_back();
      } else {
        section_[b] = section_[p];
      }
      sections_[section_[b]].push_back(b);
    }
    dirty_.assign(sections_.size(), false);
    eq_.assign(sections_.size(), Equivalent{});
    in_set_.assign(sections_.size(), false);
    for (size_t s = 0; s < sections_.size(); ++s) all_.push_back(static_cast<int>(s));
    for (auto* v : {&d_v_, &d_p_, &w_, &h_, &v_lo_, &v_hi_, &extra_, &g_}) v->assign(n, 0);
    for (auto* v : {&v_, &s_, &tv_, &ts_, &ti_, &kv_, &ks_}) v->assign(n, 0);
  }

  // Take the state from a full AC power flow of `injections`.
  void Reset(const absl::StatusOr<PowerFlowResult>& flow, const std::vector<PqPoint>& injections) {
    for (size_t s = 0; s < sections_.size(); ++s) Clean(static_cast<int>(s));
    for (int t : trunk_) d_v_[t] = d_p_[t] = 0;
    solved_ = flow.ok();
    feasible_ = LimitViolated(grid_, flow, o_) == LimitClass::kNone;
    if (!solved_) return;
    v_slack_ = flow->v_pu[grid_.slack()];
    for (int b : grid_.order()) {
      v_[b] = flow->v_pu[b];
      if (b != grid_.slack()) s_[b] = flow->branch_flow_mva[grid_.parent_branch(b)];
    }
    if (trunk_.empty()) return;
    for (size_t s = 0; s < sections_.size(); ++s) SetEquivalent(static_cast<int>(s), injections);
    Sensitivities(injections);
  }
  // Whether the state solved and keeps every limit: screening and the
  // section-wise AC path need both.
  bool usable() const { return solved_ && feasible_; }
  double drift() const { return drift_; }

  // Load a bid's injection pattern: share below each bus (w) and the
  // resistance each bus shares with the injections below the hub (h), one
  // backward and one forward pass over the sections it touches.
  void Load(const Spread& spread) {
    for (int s : touched_) {
      for (int b : sections_[s]) w_[b] = h_[b] = extra_[b] = 0;
    }
    for (int t : trunk_) extra_[t] = 0;
    touched_.clear();
    at_trunk_ = false;
    w_hub_ = 0;
    for (auto [bus, share] : spread) {
      if (bus == grid_.slack()) continue;  // at the slack: moves nothing
      extra_[bus] += sign_ * share;
      const int s = section_[bus];
      if (s < 0) {
        at_trunk_ = true;  // decided by AC
        continue;
      }
      w_[bus] += share;
      w_hub_ += share;
      if (std::find(touched_.begin(), touched_.end(), s) == touched_.end()) touched_.push_back(s);
    }
    for (int s : touched_) {
      const std::vector<int>& buses = sections_[s];
      for (size_t k = buses.size(); k-- > 1;) w_[grid_.parent(buses[k])] += w_[buses[k]];
      for (int b : buses) {
        const int p = grid_.parent(b);
        h_[b] = (p == hub_ ? 0 : h_[p]) + r_pu_[b] * w_[b];
      }
    }
  }

  struct Verdict {
    bool fits = false;             // every limit kept with the inflated effect
    bool voltage_certain = false;  // a voltage leaves its band even with the deflated effect
    bool voltage_possible = true;
    bool thermal_certain = false;
  };

  // Judge `mw` of the loaded bid on top of what was screened in since the
  // AC state, with its linear effect scaled anywhere in [kDeflate, kInflate].
  Verdict Judge(double mw) {
    Verdict v;
    if (at_trunk_) return v;
    v.voltage_possible = false;
    bool thermal_possible = false;
    const double v_slack = std::abs(v_slack_);
    // The trunk, and the hub's change: screened since the AC state and
    // from this bid.
    for (int t : trunk_) {
      const double d = d_v_[t] + mw * sign_ * g_[t] * w_hub_;
      JudgeBus(t, std::abs(v_[t]), d, mw * sign_ * w_hub_, v_slack, &v, &thermal_possible);
    }
    const double v_hub = trunk_.empty() ? 0 : std::abs(v_[hub_]);
    const double d_hub = trunk_.empty() ? 0 : d_v_[hub_] + mw * sign_ * g_[hub_] * w_hub_;
    for (int s : touched_) {
      const double shift = trunk_.empty() ? 0 : v_hub - eq_[s].v_hub + d_hub;
      for (int b : sections_[s]) {
        const double v0 = std::abs(v_[b]);
        const double d = d_v_[b] + shift + mw * sign_ * h_[b] / (v0 * base_);
        JudgeBus(b, v0, d, mw * sign_ * w_[b], v_slack, &v, &thermal_possible);
      }
    }
    if (!trunk_.empty()) {
      for (int s : touched_) in_set_[s] = true;
      for (size_t s = 0; s < sections_.size(); ++s) {
        if (!in_set_[s] && !Covered(eq_[s], v_hub - eq_[s].v_hub + d_hub)) thermal_possible = true;
      }
      for (int s : touched_) in_set_[s] = false;
    }
    v.fits = usable() && !v.voltage_possible && !thermal_possible;
    return v;
  }

  // Count `mw` of the loaded bid as accepted by screening alone.
  void Accumulate(double mw) {
    for (int t : trunk_) {
      d_v_[t] += mw * sign_ * g_[t] * w_hub_;
      d_p_[t] -= mw * sign_ * w_hub_;
    }
    const double d_hub = trunk_.empty() ? 0 : std::abs(d_v_[hub_]);
    drift_ = std::max(drift_, d_hub);
    for (int s : touched_) {
      dirty_[s] = true;
      for (int b : sections_[s]) {
        d_v_[b] += mw * sign_ * h_[b] / (std::abs(v_[b]) * base_);
        d_p_[b] -= mw * sign_ * w_[b];
        drift_ = std::max(drift_, std::abs(d_v_[b]) + d_hub);
      }
    }
  }

  // AC power flow of the touched sections with `mw` of the loaded bid on
  // top of `injections`, into the trial state; the class of limit it
  // breaks, voltage first (the other sections are as the state has them).
  BidReason SolveTouched(const std::vector<PqPoint>& injections, double mw) {
    if (trunk_.empty()) {
      BidReason worst = BidReason::kNone;
      for (int s : touched_) worst = Worse(worst, SolveSection(s, injections, mw));
      return worst;
    }
    return SolveBelowHub(touched_, injections, mw);
  }
  // AC power flow of every dirty section at `injections`: if all keep
  // their limits, they become the state (and clean); else false.
  bool VerifyDirty(const std::vector<PqPoint>& injections) {
    std::vector<int> dirty;
    for (size_t s = 0; s < sections_.size(); ++s) {
      if (dirty_[s]) dirty.push_back(static_cast<int>(s));
    }
    if (trunk_.empty()) {
      for (int s : dirty) {
        if (SolveSection(s, injections, 0) != BidReason::kNone) return false;
      }
      for (int s : dirty) CommitSection(s, tv_, ts_);
    } else if (!dirty.empty()) {
      if (SolveBelowHub(dirty, injections, 0) != BidReason::kNone) return false;
      CommitBelowHub(solved_set_, tv_, ts_, injections);
    }
    drift_ = 0;
    return true;
  }
  // Keep the trial as the best point found so far, or make the kept point
  // (or the trial) the state of the touched sections (and of the trunk, and
  // of every section when the trial was a full AC power flow). `injections`
  // are those of the new state.
  void KeepTrial() {
    const std::vector<int>& set = trunk_.empty() ? touched_ : solved_set_;
    for (int s : set) {
      for (int b : sections_[s]) kv_[b] = tv_[b], ks_[b] = ts_[b];
    }
    for (int t : trunk_) kv_[t] = tv_[t], ks_[t] = ts_[t];
    kept_set_ = set;
  }
  void CommitKept(const std::vector<PqPoint>& injections) {
    if (trunk_.empty()) {
      for (int s : touched_) CommitSection(s, kv_, ks_);
    } else {
      CommitBelowHub(kept_set_, kv_, ks_, injections);
    }
  }
  void CommitTrial(const std::vector<PqPoint>& injections) {
    if (trunk_.empty()) {
      for (int s : touched_) CommitSection(s, tv_, ts_);
    } else {
      CommitBelowHub(solved_set_, tv_, ts_, injections);
    }
  }

  // The largest quantity of the loaded bid the linear model, taken at the
  // state (`trial` false) or at the trial with `x0` MW of the bid, allows up
  // to each limit and its tolerance: where the AC search looks next.
  double Estimate(bool trial, double x0) const {
    const std::vector<std::complex<double>>& v = trial ? tv_ : v_;
    const std::vector<std::complex<double>>& sf = trial ? ts_ : s_;
    double best = std::numeric_limits<double>::infinity();
    const double g_hub = trunk_.empty() ? 0 : sign_ * g_[hub_] * w_hub_;  // pu per MW at the hub
    for (int t : trunk_) {
      if (!EstimateBus(t, v, sf, x0, sign_ * g_[t] * w_hub_, w_hub_, &best)) return best;
    }
    for (int s : touched_) {
      for (int b : sections_[s]) {
        const double g = sign_ * h_[b] / (std::abs(v[b]) * base_) + g_hub;  // pu per MW
        if (!EstimateBus(b, v, sf, x0, g, w_[b], &best)) return best;
      }
    }
    if (trunk_.empty() || g_hub == 0) return best;
    const double v_hub = std::abs(v[hub_]);
    for (size_t s = 0; s < sections_.size(); ++s) {
      if (std::find(touched_.begin(), touched_.end(), static_cast<int>(s)) != touched_.end()) continue;
      const double shift = v_hub - eq_[s].v_hub;
      best = std::min(best, x0 + (g_hub > 0 ? (eq_[s].up - shift) / g_hub : (eq_[s].down + shift) / -g_hub));
    }
    return best;
  }

 private:
  // A section seen from the hub, from its last AC solution: draw a + b /
  // |V hub|^2 (MVA), the hub voltage it was solved at, its headroom to the
  // voltage band up and down and its largest loading (with the tolerances).
  struct Equivalent {
    std::complex<double> a, b;
    double v_hub = 1, up = 0, down = 0, loading = 0;
  };

  static BidReason Worse(BidReason a, BidReason b) {
    if (a == BidReason::kVoltageLimit || b == BidReason::kVoltageLimit) return BidReason::kVoltageLimit;
    return a != BidReason::kNone ? a : b;
  }

  // Whether a section keeps its limits (less kGuard) with the hub `shift`
  // pu from where it was solved, its buses moving by up to kHubInflate x
  // that and its currents as V0 / V.
  bool Covered(const Equivalent& e, double shift) const {
    if (kHubInflate * std::max(shift, 0.0) + kGuard > e.up) return false;
    if (kHubInflate * std::max(-shift, 0.0) + kGuard > e.down) return false;
    return e.loading * (1 + kHubInflate * std::max(-shift, 0.0)) + kGuard <= 1 + o_.loading_tolerance;
  }

  // Judge one bus at AC voltage `v0` moved by `d` pu by the linear model,
  // and its branch with `dp_bid` MW of the bid less down it.
  void JudgeBus(int b, double v0, double d, double dp_bid, double v_slack, Verdict* v, bool* thermal_possible) {
    const Bus& bus = grid_.model().buses[b];
    const double tv = o_.voltage_tolerance_pu, tl = o_.loading_tolerance;
    v_lo_[b] = v0 + std::min(kDeflate * d, kInflate * d);
    v_hi_[b] = v0 + std::max(kDeflate * d, kInflate * d);
    v->voltage_possible |= v_hi_[b] > bus.v_max_pu || v_lo_[b] < bus.v_min_pu;
    v->voltage_certain |= v_lo_[b] > bus.v_max_pu + tv || v_hi_[b] < bus.v_min_pu - tv;
    if (per_mva_[b] == 0) return;
    const double dp = d_p_[b] - dp_bid;
    const double p1 = s_[b].real() + kDeflate * dp, p2 = s_[b].real() + kInflate * dp;
    const double p_max = std::max(std::abs(p1), std::abs(p2));
    const double p_min = p1 * p2 <= 0 ? 0 : std::min(std::abs(p1), std::abs(p2));
    const double q_err = (kInflate - 1) * std::abs(dp);
    const double q_max = std::abs(s_[b].imag()) + q_err, q_min = std::max(0.0, std::abs(s_[b].imag()) - q_err);
    const int p = grid_.parent(b);
    const double vp_lo = p == grid_.slack() ? v_slack : v_lo_[p];
    const double vp_hi = p == grid_.slack() ? v_slack : v_hi_[p];
    *thermal_possible |= per_mva_[b] * std::hypot(p_max, q_max) / vp_lo > 1;
    v->thermal_certain |= per_mva_[b] * std::hypot(p_min, q_min) / vp_hi > 1 + tl;
  }

  // Tighten `best` by bus b's limits moving `g` pu and its branch `a` MW
  // (reverse flow positive) per MW of the bid; false when the branch is
  // already beyond its rating on reactive flow alone.
  bool EstimateBus(int b, const std::vector<std::complex<double>>& v, const std::vector<std::complex<double>>& sf,
                   double x0, double g, double share, double* best) const {
    const Bus& bus = grid_.model().buses[b];
    const double vb = std::abs(v[b]);
    if (g > 0) *best = std::min(*best, x0 + (bus.v_max_pu + o_.voltage_tolerance_pu - vb) / g);
    if (g < 0) *best = std::min(*best, x0 + (vb - bus.v_min_pu + o_.voltage_tolerance_pu) / -g);
    const double a = -sign_ * share;  // MW down the branch per MW of the bid
    if (per_mva_[b] == 0 || a == 0) return true;
    const int p = grid_.parent(b);
    const double vp = std::abs(p == grid_.slack() ? v_slack_ : v[p]);
    const double s_max = (1 + o_.loading_tolerance) * vp / per_mva_[b];
    const double r2 = s_max * s_max - sf[b].imag() * sf[b].imag();
    if (r2 <= 0) {
      *best = -std::numeric_limits<double>::infinity();
      return false;
    }
    const double r = std::sqrt(r2);
    *best = std::min(*best, x0 + (a > 0 ? (r - sf[b].real()) / a : (sf[b].real() + r) / -a));
    return true;
  }

  void Clean(int s) {
    if (!dirty_[s]) return;
    for (int b : sections_[s]) d_v_[b] = d_p_[b] = 0;
    dirty_[s] = false;
  }
  void CommitSection(int s, const std::vector<std::complex<double>>& v, const std::vector<std::complex<double>>& flow) {
    for (int b : sections_[s]) v_[b] = v[b], s_[b] = flow[b];
    Clean(s);
  }
  // Commit the trunk and the sections in `set` from a solve below the hub.
  void CommitBelowHub(const std::vector<int>& set, const std::vector<std::complex<double>>& v,
                      const std::vector<std::complex<double>>& flow, const std::vector<PqPoint>& injections) {
    for (int t : trunk_) v_[t] = v[t], s_[t] = flow[t], d_v_[t] = d_p_[t] = 0;
    for (int s : set) {
      CommitSection(s, v, flow);
      SetEquivalent(s, injections);
    }
    Sensitivities(injections);
  }

  // The equivalent of section s from the state at `injections`.
  void SetEquivalent(int s, const std::vector<PqPoint>& injections) {
    const GridModel& m = grid_.model();
    Equivalent& e = eq_[s];
    e.v_hub = std::abs(v_[hub_]);
    e.up = e.down = std::numeric_limits<double>::infinity();
    e.loading = 0;
    std::complex<double> load = 0;
    for (int b : sections_[s]) {
      load += std::complex<double>(m.buses[b].p_load_mw - injections[b].p, m.buses[b].q_load_mvar - injections[b].q);
      const double vb = std::abs(v_[b]);
      e.up = std::min(e.up, m.buses[b].v_max_pu + o_.voltage_tolerance_pu - vb);
      e.down = std::min(e.down, vb - m.buses[b].v_min_pu + o_.voltage_tolerance_pu);
      if (per_mva_[b] > 0)
        e.loading = std::max(e.loading, per_mva_[b] * std::abs(s_[b]) / std::abs(v_[grid_.parent(b)]));
    }
    e.a = load;
    e.b = (s_[sections_[s].front()] - load) * e.v_hub * e.v_hub;
  }

  // Trunk voltages with every section as its equivalent and `p_mw` more
  // injected at the hub, from a flat start, into `v` (by trunk position).
  void SolveTrunk(const std::vector<PqPoint>& injections, double p_mw, std::vector<std::complex<double>>* v) const {
    using C = std::complex<double>;
    const GridModel& m = grid_.model();
    C a = -p_mw, b = 0;
    for (const Equivalent& e : eq_) a += e.a, b += e.b;
    const size_t n = trunk_.size();
    v->assign(n, v_slack_);
    std::vector<C> i(n);
    const PowerFlowOptions pf;
    for (int it = 1; it <= pf.max_iterations; ++it) {
      for (size_t k = 0; k < n; ++k) {
        const int t = trunk_[k];
        C s(m.buses[t].p_load_mw - injections[t].p, m.buses[t].q_load_mvar - injections[t].q);
        if (k + 1 == n) s += a + b / std::norm((*v)[k]);
        i[k] = std::conj(s / base_ / (*v)[k]);
      }
      for (size_t k = n; k-- > 1;) i[k - 1] += i[k];
      double change = 0;
      for (size_t k = 0; k < n; ++k) {
        const C x = (k == 0 ? v_slack_ : (*v)[k - 1]) - z_pu_[trunk_[k]] * i[k];
        change = std::max(change, std::abs(x - (*v)[k]));
        (*v)[k] = x;
      }
      if (!(change >= pf.tolerance_pu)) break;  // converged (or not finite: g stays 0)
    }
  }
  // d|V| per MW injected at the hub, for each trunk bus.
  void Sensitivities(const std::vector<PqPoint>& injections) {
    std::vector<std::complex<double>> up, down;
    SolveTrunk(injections, 0.5, &up);
    SolveTrunk(injections, -0.5, &down);
    for (size_t k = 0; k < trunk_.size(); ++k) {
      const double g = std::abs(up[k]) - std::abs(down[k]);
      g_[trunk_[k]] = std::isfinite(g) ? g : 0;
    }
  }

  // The backward/forward sweep of SolvePowerFlow on the trunk and the
  // sections in `set`, from a flat start, with `mw` of the loaded bid
  // added and every other section as its equivalent at the hub; voltages
  // and branch flows into the trial state. Unless the solve broke a voltage
  // limit, the sections whose margins the hub's change may eat are added
  // and it runs again, up to kWidenings times, then over every section (a
  // full AC power flow), as it does when a limit is within kGuard. Same
  // options and limits as the full one.
  BidReason SolveBelowHub(const std::vector<int>& touched, const std::vector<PqPoint>& injections, double mw) {
    std::vector<int> set = touched;
    for (int round = 0; round < kWidenings && set.size() < sections_.size(); ++round) {
      const BidReason why = SweepBelowHub(set, injections, mw);
      if (near_) break;
      if (unsure_.empty()) return why;
      set.insert(set.end(), unsure_.begin(), unsure_.end());
    }
    return SweepBelowHub(all_, injections, mw);
  }
  BidReason SweepBelowHub(const std::vector<int>& set, const std::vector<PqPoint>& injections, double mw) {
    using C = std::complex<double>;
    const bool all = set.size() == sections_.size();
    if (stats_ != nullptr) ++(all ? stats_->power_flows : stats_->section_flows);
    solved_set_ = set;
    const GridModel& m = grid_.model();
    for (int s : set) in_set_[s] = true;
    C a = 0, b = 0;  // the other sections' draw: a + b / |V hub|^2
    for (size_t s = 0; s < sections_.size(); ++s) {
      if (!in_set_[s]) a += eq_[s].a, b += eq_[s].b;
    }
    const auto load = [&](int bus) {
      return C(m.buses[bus].p_load_mw - (injections[bus].p + mw * extra_[bus]),
               m.buses[bus].q_load_mvar - injections[bus].q);
    };
    for (int t : trunk_) tv_[t] = v_slack_;
    for (int s : set) {
      for (int x : sections_[s]) tv_[x] = v_slack_;
    }
    const PowerFlowOptions pf;
    bool converged = false;
    for (int it = 1; it <= pf.max_iterations && !converged; ++it) {
      for (int s : set) {
        const std::vector<int>& buses = sections_[s];
        for (int x : buses) ti_[x] = std::conj(load(x) / base_ / tv_[x]);
        for (size_t k = buses.size(); k-- > 1;) ti_[grid_.parent(buses[k])] += ti_[buses[k]];
      }
      for (int t : trunk_) ti_[t] = std::conj(load(t) / base_ / tv_[t]);
      ti_[hub_] += std::conj((a + b / std::norm(tv_[hub_])) / base_ / tv_[hub_]);
      for (int s : set) ti_[hub_] += ti_[sections_[s].front()];
      for (size_t k = trunk_.size(); k-- > 1;) ti_[trunk_[k - 1]] += ti_[trunk_[k]];
      double change = 0;
      const auto forward = [&](int x) {
        const int p = grid_.parent(x);
        const C v = (p == grid_.slack() ? v_slack_ : tv_[p]) - z_pu_[x] * ti_[x];
        change = std::max(change, std::abs(v - tv_[x]));
        tv_[x] = v;
      };
      for (int t : trunk_) forward(t);
      for (int s : set) {
        for (int x : sections_[s]) forward(x);
      }
      if (!std::isfinite(change)) break;
      converged = change < pf.tolerance_pu;
    }
    BidReason why = converged ? BidReason::kNone : BidReason::kVoltageLimit;  // no solution: voltage collapse
    bool near = !converged;
    if (converged) {
      const auto check = [&](int x) {
        const int p = grid_.parent(x);
        const C vp = p == grid_.slack() ? v_slack_ : tv_[p];
        ts_[x] = vp * std::conj(ti_[x]) * base_;
        const double v = std::abs(tv_[x]);
        const double lo = v - (m.buses[x].v_min_pu - o_.voltage_tolerance_pu);
        const double hi = m.buses[x].v_max_pu + o_.voltage_tolerance_pu - v;
        const double loading = per_mva_[x] * std::abs(ts_[x]) / std::abs(vp);
        near = near || std::abs(lo) < kGuard || std::abs(hi) < kGuard ||
               (per_mva_[x] > 0 && std::abs(1 + o_.loading_tolerance - loading) < kGuard);
        if (lo < 0 || hi < 0) {
          why = BidReason::kVoltageLimit;
        } else if (why == BidReason::kNone && per_mva_[x] > 0 && loading > 1 + o_.loading_tolerance) {
          why = BidReason::kThermalLimit;
        }
      };
      for (int t : trunk_) check(t);
      for (int s : set) {
        for (int x : sections_[s]) check(x);
      }
    }
    // The sections left out that may not keep their limits at the new hub
    // voltage (all of them if the sweep did not converge), unless a voltage
    // limit is broken already.
    unsure_.clear();
    near_ = !all && near;
    for (size_t s = 0; s < sections_.size() && why != BidReason::kVoltageLimit && !near_; ++s) {
      if (in_set_[s]) continue;
      const double shift = std::abs(tv_[hub_]) - eq_[s].v_hub;
      if (!converged || std::abs(shift) > kStalePu || !Covered(eq_[s], shift)) unsure_.push_back(static_cast<int>(s));
    }
    for (int s : set) in_set_[s] = false;
    return why;
  }

  // The backward/forward sweep of SolvePowerFlow on one section below the
  // slack, from a flat start, with `mw` of the loaded bid added; voltages
  // and branch flows into the trial state. Same options and limits as the
  // full one.
  BidReason SolveSection(int s, const std::vector<PqPoint>& injections, double mw) {
    if (stats_ != nullptr) ++stats_->section_flows;
    using C = std::complex<double>;
    const GridModel& m = grid_.model();
    const std::vector<int>& buses = sections_[s];
    const PowerFlowOptions pf;
    for (int b : buses) tv_[b] = v_slack_;
    bool converged = false;
    for (int it = 1; it <= pf.max_iterations && !converged; ++it) {
      for (int b : buses) {
        const double p = m.buses[b].p_load_mw - (injections[b].p + mw * extra_[b]);
        const double q = m.buses[b].q_load_mvar - injections[b].q;
        ti_[b] = std::conj(C(p, q) / base_ / tv_[b]);
      }
      for (size_t k = buses.size(); k-- > 1;) ti_[grid_.parent(buses[k])] += ti_[buses[k]];
      double change = 0;
      for (int b : buses) {
        const int p = grid_.parent(b);
        const C v = (p == grid_.slack() ? v_slack_ : tv_[p]) - z_pu_[b] * ti_[b];
        change = std::max(change, std::abs(v - tv_[b]));
        tv_[b] = v;
      }
      if (!std::isfinite(change)) break;
      converged = change < pf.tolerance_pu;
    }
    if (!converged) return BidReason::kVoltageLimit;  // no solution: voltage collapse
    BidReason why = BidReason::kNone;
    for (int b : buses) {
      const int p = grid_.parent(b);
      const C vp = p == grid_.slack() ? v_slack_ : tv_[p];
      ts_[b] = vp * std::conj(ti_[b]) * base_;
      const double v = std::abs(tv_[b]);
      if (v < m.buses[b].v_min_pu - o_.voltage_tolerance_pu || v > m.buses[b].v_max_pu + o_.voltage_tolerance_pu) {
        why = BidReason::kVoltageLimit;
      } else if (why == BidReason::kNone && per_mva_[b] > 0 &&
                 per_mva_[b] * std::abs(ts_[b]) / std::abs(vp) > 1 + o_.loading_tolerance) {
        why = BidReason::kThermalLimit;
      }
    }
    return why;
  }

  const RadialGrid& grid_;
  const double sign_;
  const ValidationOptions o_;
  ValidationStats* stats_;
  const double base_;
  int hub_ = 0;
  std::vector<int> trunk_;                  // slack's child down to the hub; empty when the hub is the slack
  std::vector<int> section_;                // per bus; -1 for the slack and the trunk
  std::vector<std::vector<int>> sections_;  // buses, parents first
  std::vector<int> all_;                    // every section
  std::vector<double> r_pu_;                // of the branch to the parent
  std::vector<std::complex<double>> z_pu_;
  std::vector<double> per_mva_;  // loading per MVA per pu of sending voltage; 0 unrated
  // The AC state: voltage per bus, complex power into the branch to the
  // parent at its parent end (MVA); each section's equivalent at the hub,
  // and d|V| per MW injected at the hub for the trunk buses.
  std::vector<std::complex<double>> v_, s_;
  std::complex<double> v_slack_ = 1;
  std::vector<Equivalent> eq_;
  std::vector<double> g_;
  bool solved_ = false;
  bool feasible_ = false;
  // Accepted by screening since the AC state, by the linear model: voltage
  // change (pu; below the hub, the part from the hub down) and active flow
  // change down the branch to the parent (MW).
  std::vector<double> d_v_, d_p_;
  std::vector<bool> dirty_;
  double drift_ = 0;
  // The loaded bid (its share in the sections, whether it injects at the
  // trunk), and the AC trial state and best point of its search, with the
  // sections each covers.
  std::vector<int> touched_;
  double w_hub_ = 0;
  bool at_trunk_ = false;
  std::vector<double> w_, h_, extra_;
  std::vector<double> v_lo_, v_hi_;  // scratch for Judge
  std::vector<bool> in_set_;         // scratch
  std::vector<std::complex<double>> tv_, ts_, ti_, kv_, ks_;
  std::vector<int> solved_set_, kept_set_, unsure_;
  bool near_ = false;
};
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
    Spread spread;
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
  std::vector<Spread> spreads(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].bid_id = bids[i].bid_id;
    out[i].reason = Place(bids[i], resources, &spreads[i]);
  }
  // Placement reasons are final before any power flow.
  std::vector<bool> on_grid(n);
  for (size_t i = 0; i < n; ++i) on_grid[i] = out[i].reason == BidReason::kNone;

  Sections net(grid, sign, o, stats);
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
    const Spread& spread = spreads[i];
    BidResult& r = out[i];
    net.Load(spread);
    const Sections::Verdict verdict = net.usable() ? net.Judge(bid.quantity_mw) : Sections::Verdict{};
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
  return out;
}

}  // namespace tsodso::core
