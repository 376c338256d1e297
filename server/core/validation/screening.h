// The linear screening of a merit order's bids: LinDistFlow sensitivities,
// taken at the last AC-verified state of a SectionedFlow, say whether a
// bid keeps every limit with a margin (accepted without a power flow),
// surely breaks one, or needs the AC power flow; and where the AC search
// for its largest feasible quantity should look.
#pragma once

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/capability/polygon.h"
#include "core/grid/grid_model.h"
#include "core/grid/lindistflow.h"
#include "core/grid/power_flow.h"
#include "core/grid/sectioned_flow.h"
#include "core/validation/merit_order.h"

namespace tsodso::core {

// Where a bid's power goes: (bus, share of the bid's power).
using BidSpread = std::vector<std::pair<int, double>>;

// The network state of a validation: AC-verified per section, plus what
// bids accepted by screening alone have moved since, by the linear model.
// A section is dirty while such bids have not been through its AC power
// flow.
class Screening {
 public:
  // `sign`: 1 for up bids (injection), -1 for down bids.
  Screening(const RadialGrid& grid, double sign, const ValidationOptions& options);

  // Take the state from a full AC power flow at `injections`.
  void Reset(const absl::StatusOr<PowerFlowResult>& flow, const std::vector<PqPoint>& injections);
  // Whether the state solved and keeps every limit: screening and the
  // section-wise AC path need both.
  bool usable() const { return flow_.usable(); }
  // The largest voltage change (pu) screening has assumed since the last
  // AC check.
  double drift() const { return drift_pu_; }

  // Load a bid's injection pattern: its share below each bus and the
  // resistance each bus shares with it below the hub.
  void Load(const BidSpread& spread);

  struct Verdict {
    bool fits = false;             // every limit kept with the inflated effect
    bool voltage_certain = false;  // a voltage leaves its band even with the deflated effect
    bool voltage_possible = true;
    bool thermal_certain = false;
  };
  // Judge `mw` of the loaded bid on top of what was screened in since the
  // AC state, with its linear effect scaled anywhere in [kDeflate, kInflate].
  Verdict Judge(double mw);
  // Count `mw` of the loaded bid as accepted by screening alone.
  void Accumulate(double mw);

  // AC power flow of the loaded bid's sections with `mw` of it on top of
  // `injections`, into the trial state; the class of limit it breaks,
  // voltage first (the other sections as the state has them).
  BidReason SolveTouched(const std::vector<PqPoint>& injections, double mw);
  // AC power flow of every dirty section at `injections`: if all keep
  // their limits, they become the state (and clean); else false.
  bool VerifyDirty(const std::vector<PqPoint>& injections);
  // Keep the trial as the best point found so far, or make the kept point
  // (or the trial) the state; `injections` are those of the new state.
  void KeepTrial() { flow_.KeepTrial(); }
  void CommitKept(const std::vector<PqPoint>& injections) { Committed(flow_.CommitKept(injections)); }
  void CommitTrial(const std::vector<PqPoint>& injections) { Committed(flow_.CommitTrial(injections)); }

  // The largest quantity of the loaded bid the linear model, taken at the
  // state (`trial` false) or at the trial with `x0` MW of the bid, allows up
  // to each limit and its tolerance: where the AC search looks next.
  double Estimate(bool trial, double x0) const;

  // AC solves run over every section, and reduced ones.
  int full_flows() const { return flow_.full_flows(); }
  int reduced_flows() const { return flow_.reduced_flows(); }

 private:
  void JudgeBus(int b, double v0, double d, double dp_bid, double v_slack, Verdict* v, bool* thermal_possible);
  bool EstimateBus(int b, const std::vector<std::complex<double>>& v, const std::vector<std::complex<double>>& sf,
                   double x0, double g, double share, double* best) const;
  void Clean(int s);
  // After sections (and the trunk, if any) became the state.
  void Committed(const std::vector<int>& sections);

  const RadialGrid& grid_;
  const double sign_;
  const ValidationOptions options_;
  const double base_mva_;
  SectionedFlow flow_;
  LinDistFlow lindist_;  // the loaded bid, below the hub
  // Since the AC state, by the linear model, from bids accepted by
  // screening: voltage change (pu; below the hub, the part from the hub
  // down) and active flow change down the branch to the parent (MW).
  std::vector<double> screened_dv_pu_, screened_dp_mw_;
  std::vector<bool> dirty_;  // per section
  double drift_pu_ = 0;
  double bid_share_below_hub_ = 0;                 // of the loaded bid
  std::vector<double> judged_v_lo_, judged_v_hi_;  // per bus, by Judge
  std::vector<bool> in_set_;                       // scratch, per section
};

}  // namespace tsodso::core
