#include "core/validation/screening.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tsodso::core {
namespace {

// Screening margins. LinDistFlow drops the losses and under-states the
// voltage change of an injection by up to ~16 % on the heavily loaded IEEE
// 33-bus feeder (grid_test.cc); a bid is accepted without a power flow only
// if it keeps every limit with its linear effect taken 25 % larger, and
// with the reactive flow moved by 25 % of the active change. A violation
// counts as certain (to skip the power flow at the full quantity) only if
// it shows with half the linear effect.
constexpr double kInflate = 1.25;
constexpr double kDeflate = 0.5;

}  // namespace

Screening::Screening(const RadialGrid& grid, double sign, const ValidationOptions& options)
    : grid_(grid),
      sign_(sign),
      options_(options),
      base_mva_(grid.model().base_mva),
      flow_(grid, options),
      lindist_(grid) {
  const size_t n = grid.bus_count();
  dirty_.assign(flow_.section_count(), false);
  in_set_.assign(flow_.section_count(), false);
  for (auto* v : {&screened_dv_pu_, &screened_dp_mw_, &judged_v_lo_, &judged_v_hi_}) v->assign(n, 0);
}

void Screening::Reset(const absl::StatusOr<PowerFlowResult>& flow, const std::vector<PqPoint>& injections) {
  for (size_t s = 0; s < flow_.section_count(); ++s) Clean(static_cast<int>(s));
  for (int t : flow_.trunk()) screened_dv_pu_[t] = screened_dp_mw_[t] = 0;
  flow_.Reset(flow, injections);
}

void Screening::Load(const BidSpread& spread) {
  for (int s : flow_.touched()) lindist_.Clear(flow_.section(s));
  flow_.LoadPattern(spread, sign_);
  bid_share_below_hub_ = 0;
  for (auto [bus, share] : spread) {
    if (bus == grid_.slack() || flow_.section_of(bus) < 0) continue;  // the slack moves nothing; the trunk is AC's
    lindist_.Inject(bus, share);
    bid_share_below_hub_ += share;
  }
  for (int s : flow_.touched()) lindist_.Propagate(flow_.section(s), flow_.hub());
}

Screening::Verdict Screening::Judge(double mw) {
  Verdict v;
  if (flow_.injects_at_trunk()) return v;  // decided by AC
  v.voltage_possible = false;
  bool thermal_possible = false;
  const std::vector<std::complex<double>>& state_v = flow_.voltages();
  const std::vector<int>& trunk = flow_.trunk();
  const int hub = flow_.hub();
  const double v_slack = std::abs(flow_.slack_voltage());
  // The trunk, and the hub's change: screened since the AC state and from
  // this bid.
  for (int t : trunk) {
    const double d = screened_dv_pu_[t] + mw * sign_ * flow_.hub_sensitivity(t) * bid_share_below_hub_;
    JudgeBus(t, std::abs(state_v[t]), d, mw * sign_ * bid_share_below_hub_, v_slack, &v, &thermal_possible);
  }
  const double v_hub = trunk.empty() ? 0 : std::abs(state_v[hub]);
  const double d_hub =
      trunk.empty() ? 0 : screened_dv_pu_[hub] + mw * sign_ * flow_.hub_sensitivity(hub) * bid_share_below_hub_;
  for (int s : flow_.touched()) {
    const double shift = trunk.empty() ? 0 : v_hub - flow_.equivalent(s).v_hub + d_hub;
    for (int b : flow_.section(s)) {
      const double v0 = std::abs(state_v[b]);
      const double d = screened_dv_pu_[b] + shift + mw * sign_ * lindist_.shared_r_pu(b) / (v0 * base_mva_);
      JudgeBus(b, v0, d, mw * sign_ * lindist_.share_below(b), v_slack, &v, &thermal_possible);
    }
  }
  if (!trunk.empty()) {
    for (int s : flow_.touched()) in_set_[s] = true;
    for (size_t s = 0; s < flow_.section_count(); ++s) {
      const int section = static_cast<int>(s);
      if (!in_set_[s] && !flow_.Covered(section, v_hub - flow_.equivalent(section).v_hub + d_hub)) {
        thermal_possible = true;
      }
    }
    for (int s : flow_.touched()) in_set_[s] = false;
  }
  v.fits = usable() && !v.voltage_possible && !thermal_possible;
  return v;
}

// Judge one bus at AC voltage `v0` moved by `d` pu by the linear model, and
// its branch with `dp_bid` MW of the bid less down it.
void Screening::JudgeBus(int b, double v0, double d, double dp_bid, double v_slack, Verdict* v,
                         bool* thermal_possible) {
  const Bus& bus = grid_.model().buses[b];
  const double tv = options_.voltage_tolerance_pu, tl = options_.loading_tolerance;
  judged_v_lo_[b] = v0 + std::min(kDeflate * d, kInflate * d);
  judged_v_hi_[b] = v0 + std::max(kDeflate * d, kInflate * d);
  const double v_min = options_.VMin(bus), v_max = options_.VMax(bus), loading_max = options_.LoadingLimit();
  v->voltage_possible |= judged_v_hi_[b] > v_max || judged_v_lo_[b] < v_min;
  v->voltage_certain |= judged_v_lo_[b] > v_max + tv || judged_v_hi_[b] < v_min - tv;
  const double per_mva = flow_.loading_per_mva(b);
  if (per_mva == 0) return;
  const std::complex<double> s0 = flow_.flows()[b];
  const double dp = screened_dp_mw_[b] - dp_bid;
  const double p1 = s0.real() + kDeflate * dp, p2 = s0.real() + kInflate * dp;
  const double p_max = std::max(std::abs(p1), std::abs(p2));
  const double p_min = p1 * p2 <= 0 ? 0 : std::min(std::abs(p1), std::abs(p2));
  const double q_err = (kInflate - 1) * std::abs(dp);
  const double q_max = std::abs(s0.imag()) + q_err, q_min = std::max(0.0, std::abs(s0.imag()) - q_err);
  const int p = grid_.parent(b);
  const double vp_lo = p == grid_.slack() ? v_slack : judged_v_lo_[p];
  const double vp_hi = p == grid_.slack() ? v_slack : judged_v_hi_[p];
  *thermal_possible |= per_mva * std::hypot(p_max, q_max) / vp_lo > loading_max;
  v->thermal_certain |= per_mva * std::hypot(p_min, q_min) / vp_hi > loading_max + tl;
}

void Screening::Accumulate(double mw) {
  const std::vector<int>& trunk = flow_.trunk();
  for (int t : trunk) {
    screened_dv_pu_[t] += mw * sign_ * flow_.hub_sensitivity(t) * bid_share_below_hub_;
    screened_dp_mw_[t] -= mw * sign_ * bid_share_below_hub_;
  }
  const double d_hub = trunk.empty() ? 0 : std::abs(screened_dv_pu_[flow_.hub()]);
  drift_pu_ = std::max(drift_pu_, d_hub);
  const std::vector<std::complex<double>>& state_v = flow_.voltages();
  for (int s : flow_.touched()) {
    dirty_[s] = true;
    for (int b : flow_.section(s)) {
      screened_dv_pu_[b] += mw * sign_ * lindist_.shared_r_pu(b) / (std::abs(state_v[b]) * base_mva_);
      screened_dp_mw_[b] -= mw * sign_ * lindist_.share_below(b);
      drift_pu_ = std::max(drift_pu_, std::abs(screened_dv_pu_[b]) + d_hub);
    }
  }
}

BidReason Screening::SolveTouched(const std::vector<PqPoint>& injections, double mw) {
  return BidReasonOf(flow_.SolveTrial(flow_.touched(), injections, mw));
}

bool Screening::VerifyDirty(const std::vector<PqPoint>& injections) {
  std::vector<int> dirty;
  for (size_t s = 0; s < flow_.section_count(); ++s) {
    if (dirty_[s]) dirty.push_back(static_cast<int>(s));
  }
  // Without a trunk the sections are independent: the first that breaks a
  // limit decides.
  const bool independent = flow_.trunk().empty();
  if (independent || !dirty.empty()) {
    if (flow_.SolveTrial(dirty, injections, 0, /*stop_at_first=*/independent) != LimitClass::kNone) return false;
    Committed(flow_.CommitTrial(injections));
  }
  drift_pu_ = 0;
  return true;
}

double Screening::Estimate(bool trial, double x0) const {
  const std::vector<std::complex<double>>& v = trial ? flow_.trial_voltages() : flow_.voltages();
  const std::vector<std::complex<double>>& sf = trial ? flow_.trial_flows() : flow_.flows();
  const std::vector<int>& trunk = flow_.trunk();
  const int hub = flow_.hub();
  double best = std::numeric_limits<double>::infinity();
  const double g_hub = trunk.empty() ? 0 : sign_ * flow_.hub_sensitivity(hub) * bid_share_below_hub_;  // pu per MW
  for (int t : trunk) {
    if (!EstimateBus(t, v, sf, x0, sign_ * flow_.hub_sensitivity(t) * bid_share_below_hub_, bid_share_below_hub_,
                     &best)) {
      return best;
    }
  }
  for (int s : flow_.touched()) {
    for (int b : flow_.section(s)) {
      const double g = sign_ * lindist_.shared_r_pu(b) / (std::abs(v[b]) * base_mva_) + g_hub;  // pu per MW
      if (!EstimateBus(b, v, sf, x0, g, lindist_.share_below(b), &best)) return best;
    }
  }
  if (trunk.empty() || g_hub == 0) return best;
  const double v_hub = std::abs(v[hub]);
  const std::vector<int>& touched = flow_.touched();
  for (size_t s = 0; s < flow_.section_count(); ++s) {
    if (std::find(touched.begin(), touched.end(), static_cast<int>(s)) != touched.end()) continue;
    const SectionedFlow::Equivalent& e = flow_.equivalent(static_cast<int>(s));
    const double shift = v_hub - e.v_hub;
    best = std::min(best, x0 + (g_hub > 0 ? (e.up - shift) / g_hub : (e.down + shift) / -g_hub));
  }
  return best;
}

// Tighten `best` by bus b's limits moving `g` pu and its branch `share` MW
// (reverse flow positive) per MW of the bid; false when the branch is
// already beyond its rating on reactive flow alone.
bool Screening::EstimateBus(int b, const std::vector<std::complex<double>>& v,
                            const std::vector<std::complex<double>>& sf, double x0, double g, double share,
                            double* best) const {
  const Bus& bus = grid_.model().buses[b];
  const double vb = std::abs(v[b]);
  if (g > 0) *best = std::min(*best, x0 + (options_.VMax(bus) + options_.voltage_tolerance_pu - vb) / g);
  if (g < 0) *best = std::min(*best, x0 + (vb - options_.VMin(bus) + options_.voltage_tolerance_pu) / -g);
  const double a = -sign_ * share;  // MW down the branch per MW of the bid
  const double per_mva = flow_.loading_per_mva(b);
  if (per_mva == 0 || a == 0) return true;
  const int p = grid_.parent(b);
  const double vp = std::abs(p == grid_.slack() ? flow_.slack_voltage() : v[p]);
  const double s_max = (options_.LoadingLimit() + options_.loading_tolerance) * vp / per_mva;
  const double r2 = s_max * s_max - sf[b].imag() * sf[b].imag();
  if (r2 <= 0) {
    *best = -std::numeric_limits<double>::infinity();
    return false;
  }
  const double r = std::sqrt(r2);
  *best = std::min(*best, x0 + (a > 0 ? (r - sf[b].real()) / a : (sf[b].real() + r) / -a));
  return true;
}

void Screening::Clean(int s) {
  if (!dirty_[s]) return;
  for (int b : flow_.section(s)) screened_dv_pu_[b] = screened_dp_mw_[b] = 0;
  dirty_[s] = false;
}

void Screening::Committed(const std::vector<int>& sections) {
  for (int t : flow_.trunk()) screened_dv_pu_[t] = screened_dp_mw_[t] = 0;
  for (int s : sections) Clean(s);
}

}  // namespace tsodso::core
