#include "core/grid/sectioned_flow.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/grid/sweep.h"

namespace tsodso::core {
namespace {

// How far the hub may have moved since a section's equivalent was taken
// before the section is solved again (pu).
constexpr double kStalePu = 0.001;
// How much more than the hub a left-out section's buses may move: a
// section's head branch was seen at 1.23.
constexpr double kHubInflate = 1.5;
// A reduced solve this close to a limit it checks (pu of voltage, share of
// a rating) is redone over every section, so that the equivalents' error
// decides nothing.
constexpr double kGuard = 2e-6;
// Times a reduced solve widens to the sections it is unsure of before it
// sweeps them all.
constexpr int kWidenings = 3;

using C = std::complex<double>;

}  // namespace

SectionedFlow::SectionedFlow(const RadialGrid& grid, const LimitOptions& limits)
    : grid_(grid), limits_(limits), base_mva_(grid.model().base_mva) {
  const GridModel& m = grid.model();
  const size_t n = grid.bus_count();
  section_of_.assign(n, -1);
  loading_per_mva_.assign(n, 0);
  std::vector<int> children(n, 0), child(n, -1);
  for (int b : grid.order()) {
    const int p = grid.parent(b);
    if (p < 0) continue;
    ++children[p];
    child[p] = b;
    const int k = grid.parent_branch(b);
    const Branch& br = m.branches[k];
    const double kv = m.buses[grid.branch_from(k)].v_nom_kv;
    // Loading = |S| / |V sending| x this, as the power flow computes it.
    if (br.rating_a > 0) loading_per_mva_[b] = 1e3 / (std::sqrt(3.0) * kv * br.rating_a);
  }
  hub_ = grid.slack();
  while (children[hub_] == 1) hub_ = child[hub_];
  for (int b = hub_; b != grid.slack(); b = grid.parent(b)) trunk_.push_back(b);
  std::reverse(trunk_.begin(), trunk_.end());
  for (int b : grid.order()) {
    const int p = grid.parent(b);
    if (p < 0 || (p != hub_ && section_of_[p] < 0)) continue;  // the slack or the trunk
    if (p == hub_) {
      section_of_[b] = static_cast<int>(sections_.size());
      sections_.emplace_back();
    } else {
      section_of_[b] = section_of_[p];
    }
    sections_[section_of_[b]].push_back(b);
  }
  equivalents_.assign(sections_.size(), Equivalent{});
  in_set_.assign(sections_.size(), false);
  for (size_t s = 0; s < sections_.size(); ++s) all_sections_.push_back(static_cast<int>(s));
  hub_sensitivity_.assign(n, 0);
  pattern_.assign(n, 0);
  for (auto* v : {&state_v_, &state_flow_, &trial_v_, &trial_flow_, &trial_current_, &kept_v_, &kept_flow_,
                  &trunk_up_v_, &trunk_down_v_, &trunk_current_}) {
    v->assign(n, 0);
  }
}

void SectionedFlow::Reset(const absl::StatusOr<PowerFlowResult>& flow, const std::vector<PqPoint>& injections) {
  solved_ = flow.ok();
  feasible_ = LimitViolated(grid_, flow, limits_) == LimitClass::kNone;
  if (!solved_) return;
  slack_v_ = flow->v_pu[grid_.slack()];
  for (int b : grid_.order()) {
    state_v_[b] = flow->v_pu[b];
    if (b != grid_.slack()) state_flow_[b] = flow->branch_flow_mva[grid_.parent_branch(b)];
  }
  if (trunk_.empty()) return;
  for (size_t s = 0; s < sections_.size(); ++s) SetEquivalent(static_cast<int>(s), injections);
  SetHubSensitivity(injections);
}

bool SectionedFlow::Covered(int s, double shift) const {
  const Equivalent& e = equivalents_[s];
  if (kHubInflate * std::max(shift, 0.0) + kGuard > e.up) return false;
  if (kHubInflate * std::max(-shift, 0.0) + kGuard > e.down) return false;
  return e.loading * (1 + kHubInflate * std::max(-shift, 0.0)) + kGuard <=
         limits_.LoadingLimit() + limits_.loading_tolerance;
}

void SectionedFlow::LoadPattern(const std::vector<std::pair<int, double>>& shares, double sign) {
  for (int s : touched_) {
    for (int b : sections_[s]) pattern_[b] = 0;
  }
  for (int t : trunk_) pattern_[t] = 0;
  touched_.clear();
  injects_at_trunk_ = false;
  for (auto [bus, share] : shares) {
    if (bus == grid_.slack()) continue;  // at the slack: moves nothing
    pattern_[bus] += sign * share;
    const int s = section_of_[bus];
    if (s < 0) {
      injects_at_trunk_ = true;
      continue;
    }
    if (std::find(touched_.begin(), touched_.end(), s) == touched_.end()) touched_.push_back(s);
  }
}

C SectionedFlow::Load(int bus, const std::vector<PqPoint>& injections, double mw) const {
  const Bus& b = grid_.model().buses[bus];
  return C(b.p_load_mw - (injections[bus].p + mw * pattern_[bus]), b.q_load_mvar - injections[bus].q);
}

LimitClass SectionedFlow::SolveTrial(const std::vector<int>& set, const std::vector<PqPoint>& injections, double mw,
                                     bool stop_at_first) {
  if (trunk_.empty()) {
    LimitClass worst = LimitClass::kNone;
    for (int s : set) {
      one_section_.assign(1, s);
      worst = Worse(worst, SolveSet(one_section_, injections, mw));
      if (stop_at_first && worst != LimitClass::kNone) break;
    }
    solved_set_ = set;
    return worst;
  }
  std::vector<int> widened = set;
  for (int round = 0; round < kWidenings && widened.size() < sections_.size(); ++round) {
    const LimitClass why = SolveSet(widened, injections, mw);
    if (near_limit_) break;
    if (unsure_.empty()) return why;
    widened.insert(widened.end(), unsure_.begin(), unsure_.end());
  }
  return SolveSet(all_sections_, injections, mw);
}

// One sweep over the trunk and the sections in `set`, every other section
// as its equivalent at the hub.
LimitClass SectionedFlow::SolveSet(const std::vector<int>& set, const std::vector<PqPoint>& injections, double mw) {
  const bool all = set.size() == sections_.size();
  ++(all ? full_flows_ : reduced_flows_);
  solved_set_ = set;
  const GridModel& m = grid_.model();
  for (int s : set) in_set_[s] = true;
  C a = 0, b = 0;  // the other sections' draw: a + b / |V hub|^2
  const bool with_trunk = !trunk_.empty();
  if (with_trunk) {
    for (size_t s = 0; s < sections_.size(); ++s) {
      if (!in_set_[s]) a += equivalents_[s].a, b += equivalents_[s].b;
    }
  }
  // The hub adds its sections' currents in the order of `set`: the
  // backward pass runs the list from its end.
  sweep_buses_.assign(1, grid_.slack());
  sweep_buses_.insert(sweep_buses_.end(), trunk_.begin(), trunk_.end());
  for (size_t k = set.size(); k-- > 0;) {
    sweep_buses_.insert(sweep_buses_.end(), sections_[set[k]].begin(), sections_[set[k]].end());
  }
  trial_v_[grid_.slack()] = slack_v_;
  const auto draw = [&](int bus, C v) {
    C i = std::conj(Load(bus, injections, mw) / base_mva_ / v);
    if (with_trunk && bus == hub_) i += std::conj((a + b / std::norm(v)) / base_mva_ / v);
    return i;
  };
  const bool converged = Sweep(grid_, sweep_buses_, PowerFlowOptions{}, draw, trial_v_, trial_current_).converged;
  LimitClass why = converged ? LimitClass::kNone : LimitClass::kVoltage;  // no solution: voltage collapse
  bool near = !converged;
  if (converged) {
    const double voltage_tol = limits_.voltage_tolerance_pu,
                 loading_max = limits_.LoadingLimit() + limits_.loading_tolerance;
    for (size_t k = 1; k < sweep_buses_.size(); ++k) {
      const int x = sweep_buses_[k];
      const C vp = trial_v_[grid_.parent(x)];
      trial_flow_[x] = vp * std::conj(trial_current_[x]) * base_mva_;
      const double v = std::abs(trial_v_[x]);
      const double lo = v - (limits_.VMin(m.buses[x]) - voltage_tol);
      const double hi = limits_.VMax(m.buses[x]) + voltage_tol - v;
      const double per_mva = loading_per_mva_[x];
      const double loading = per_mva * std::abs(trial_flow_[x]) / std::abs(vp);
      near = near || std::abs(lo) < kGuard || std::abs(hi) < kGuard ||
             (per_mva > 0 && std::abs(loading_max - loading) < kGuard);
      if (lo < 0 || hi < 0) {
        why = LimitClass::kVoltage;
      } else if (why == LimitClass::kNone && per_mva > 0 && loading > loading_max) {
        why = LimitClass::kThermal;
      }
    }
  }
  // The sections left out that may not keep their limits at the new hub
  // voltage (all of them if the sweep did not converge), unless a voltage
  // limit is broken already.
  unsure_.clear();
  near_limit_ = !all && near;
  for (size_t s = 0; with_trunk && s < sections_.size() && why != LimitClass::kVoltage && !near_limit_; ++s) {
    if (in_set_[s]) continue;
    const double shift = std::abs(trial_v_[hub_]) - equivalents_[s].v_hub;
    if (!converged || std::abs(shift) > kStalePu || !Covered(static_cast<int>(s), shift)) {
      unsure_.push_back(static_cast<int>(s));
    }
  }
  for (int s : set) in_set_[s] = false;
  return why;
}

void SectionedFlow::KeepTrial() {
  for (int s : solved_set_) {
    for (int b : sections_[s]) kept_v_[b] = trial_v_[b], kept_flow_[b] = trial_flow_[b];
  }
  for (int t : trunk_) kept_v_[t] = trial_v_[t], kept_flow_[t] = trial_flow_[t];
  kept_set_ = solved_set_;
}

const std::vector<int>& SectionedFlow::CommitKept(const std::vector<PqPoint>& injections) {
  return Commit(kept_set_, kept_v_, kept_flow_, injections);
}

const std::vector<int>& SectionedFlow::CommitTrial(const std::vector<PqPoint>& injections) {
  return Commit(solved_set_, trial_v_, trial_flow_, injections);
}

const std::vector<int>& SectionedFlow::Commit(const std::vector<int>& set, const std::vector<C>& v,
                                              const std::vector<C>& flow, const std::vector<PqPoint>& injections) {
  for (int t : trunk_) state_v_[t] = v[t], state_flow_[t] = flow[t];
  for (int s : set) {
    for (int b : sections_[s]) state_v_[b] = v[b], state_flow_[b] = flow[b];
  }
  if (trunk_.empty()) return set;
  for (int s : set) SetEquivalent(s, injections);
  SetHubSensitivity(injections);
  return set;
}

void SectionedFlow::SetEquivalent(int s, const std::vector<PqPoint>& injections) {
  const GridModel& m = grid_.model();
  Equivalent& e = equivalents_[s];
  e.v_hub = std::abs(state_v_[hub_]);
  e.up = e.down = std::numeric_limits<double>::infinity();
  e.loading = 0;
  C load = 0;
  for (int b : sections_[s]) {
    load += C(m.buses[b].p_load_mw - injections[b].p, m.buses[b].q_load_mvar - injections[b].q);
    const double vb = std::abs(state_v_[b]);
    e.up = std::min(e.up, limits_.VMax(m.buses[b]) + limits_.voltage_tolerance_pu - vb);
    e.down = std::min(e.down, vb - limits_.VMin(m.buses[b]) + limits_.voltage_tolerance_pu);
    if (loading_per_mva_[b] > 0) {
      e.loading =
          std::max(e.loading, loading_per_mva_[b] * std::abs(state_flow_[b]) / std::abs(state_v_[grid_.parent(b)]));
    }
  }
  e.a = load;
  e.b = (state_flow_[sections_[s].front()] - load) * e.v_hub * e.v_hub;
}

// Trunk voltages with every section as its equivalent and `p_mw` more
// injected at the hub, into `v` (per bus).
void SectionedFlow::SolveTrunk(const std::vector<PqPoint>& injections, double p_mw, std::vector<C>* v) {
  const GridModel& m = grid_.model();
  C a = -p_mw, b = 0;
  for (const Equivalent& e : equivalents_) a += e.a, b += e.b;
  sweep_buses_.assign(1, grid_.slack());
  sweep_buses_.insert(sweep_buses_.end(), trunk_.begin(), trunk_.end());
  (*v)[grid_.slack()] = slack_v_;
  const auto draw = [&](int t, C vt) {
    C s(m.buses[t].p_load_mw - injections[t].p, m.buses[t].q_load_mvar - injections[t].q);
    if (t == hub_) s += a + b / std::norm(vt);
    return std::conj(s / base_mva_ / vt);
  };
  // Unconverged, the last sweep stands: a sensitivity that is not finite is taken as 0.
  Sweep(grid_, sweep_buses_, PowerFlowOptions{}, draw, *v, trunk_current_);
}

void SectionedFlow::SetHubSensitivity(const std::vector<PqPoint>& injections) {
  SolveTrunk(injections, 0.5, &trunk_up_v_);
  SolveTrunk(injections, -0.5, &trunk_down_v_);
  for (int t : trunk_) {
    const double g = std::abs(trunk_up_v_[t]) - std::abs(trunk_down_v_[t]);
    hub_sensitivity_[t] = std::isfinite(g) ? g : 0;
  }
}

}  // namespace tsodso::core
