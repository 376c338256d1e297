// The AC power flow of a radial network split into sections, for many
// small changes in a row: each change is solved on the part of the network
// it reaches, the rest held as it was last solved.
//
// The hub is the first bus from the slack with other than one child (the
// slack itself when it feeds several feeders; the MV busbar behind a PCC
// transformer); the path from the slack's child down to the hub is the
// trunk, and the sections are the hub's subtrees (the feeders).
//
// Without a trunk the slack holds every section's head voltage, so an
// injection moves nothing outside its own section: a change is solved on
// the sections it injects into, each on its own.
//
// With a trunk, an injection anywhere moves the hub voltage, and through it
// every section:
// - Equivalents. A section's draw at the hub depends on the hub voltage
//   magnitude only (constant-power loads and injections, losses going as
//   1 / |V|^2 to first order): from its last AC solution, S(V) = a + b / V^2
//   (a its net load, b its losses x V0^2).
// - Reduced solves. The sweep covers the trunk and the changed sections,
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
// - The hub sensitivity: d|V| per MW injected at the hub for each trunk
//   bus, from two AC sweeps of the trunk with the equivalents (it includes
//   the transformer's reactive losses that LinDistFlow drops).
//
// Every sweep is the backward/forward sweep of SolvePowerFlow (Sweep), from
// a flat start, with the same options; limits are checked as LimitViolated
// does, the loading by |S| / |V sending| against the rating.
#pragma once

#include <complex>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/capability/polygon.h"
#include "core/grid/grid_model.h"
#include "core/grid/limits.h"
#include "core/grid/power_flow.h"

namespace tsodso::core {

class SectionedFlow {
 public:
  // A section seen from the hub, from its last AC solution: draw a + b /
  // |V hub|^2 (MVA), the hub voltage it was solved at, its headroom to the
  // voltage band up and down and its largest loading (with the tolerances).
  struct Equivalent {
    std::complex<double> a, b;
    double v_hub = 1, up = 0, down = 0, loading = 0;
  };

  SectionedFlow(const RadialGrid& grid, const LimitOptions& limits);

  const RadialGrid& grid() const { return grid_; }
  int hub() const { return hub_; }
  // The slack's child down to the hub; empty when the hub is the slack.
  const std::vector<int>& trunk() const { return trunk_; }
  size_t section_count() const { return sections_.size(); }
  // Section s's buses, parents first.
  const std::vector<int>& section(int s) const { return sections_[s]; }
  // The section of a bus; -1 for the slack and the trunk.
  int section_of(int bus) const { return section_of_[bus]; }
  // Loading of the branch to the parent per MVA through it per pu of its
  // sending voltage; 0 when it has no rating.
  double loading_per_mva(int bus) const { return loading_per_mva_[bus]; }

  // Take the state from a full AC power flow at `injections` (MW / Mvar per
  // bus, generator convention).
  void Reset(const absl::StatusOr<PowerFlowResult>& flow, const std::vector<PqPoint>& injections);
  // Whether the state solved and keeps every limit.
  bool usable() const { return solved_ && feasible_; }

  // The state: voltage per bus, complex power into the branch to the parent
  // at its parent end (MVA); the slack voltage; each section's equivalent;
  // d|V| per MW injected at the hub, per trunk bus.
  const std::vector<std::complex<double>>& voltages() const { return state_v_; }
  const std::vector<std::complex<double>>& flows() const { return state_flow_; }
  std::complex<double> slack_voltage() const { return slack_v_; }
  const Equivalent& equivalent(int s) const { return equivalents_[s]; }
  double hub_sensitivity(int trunk_bus) const { return hub_sensitivity_[trunk_bus]; }
  // Whether section s keeps its limits (less kGuard) with the hub `shift`
  // pu from where it was solved, its buses moving by up to kHubInflate x
  // that and its currents as V0 / V.
  bool Covered(int s, double shift) const;

  // Set the pattern of the next trial solves: `shares` (bus, share of each
  // MW of the change), injected with `sign` (1: injection, -1: draw). The
  // sections it injects into become the touched ones.
  void LoadPattern(const std::vector<std::pair<int, double>>& shares, double sign);
  const std::vector<int>& touched() const { return touched_; }
  bool injects_at_trunk() const { return injects_at_trunk_; }

  // AC power flow of the sections in `set` (and of the trunk) at
  // `injections` with `mw` of the pattern on top, into the trial state; the
  // class of limit it breaks, voltage first (the other sections as the
  // state has them). Without a trunk each section is solved on its own;
  // `stop_at_first` ends at the first that breaks a limit. With a trunk the
  // set widens as the header says.
  LimitClass SolveTrial(const std::vector<int>& set, const std::vector<PqPoint>& injections, double mw,
                        bool stop_at_first = false);
  // The trial state, and the sections it covers.
  const std::vector<std::complex<double>>& trial_voltages() const { return trial_v_; }
  const std::vector<std::complex<double>>& trial_flows() const { return trial_flow_; }

  // Keep the trial as the best point so far; make the kept point, or the
  // trial, the state at `injections` (those of the new state). Return the
  // sections that became state (the trunk does too when there is one).
  void KeepTrial();
  const std::vector<int>& CommitKept(const std::vector<PqPoint>& injections);
  const std::vector<int>& CommitTrial(const std::vector<PqPoint>& injections);

  // Solves run: over every section (a full AC power flow), and reduced.
  int full_flows() const { return full_flows_; }
  int reduced_flows() const { return reduced_flows_; }

 private:
  LimitClass SolveSet(const std::vector<int>& set, const std::vector<PqPoint>& injections, double mw);
  const std::vector<int>& Commit(const std::vector<int>& set, const std::vector<std::complex<double>>& v,
                                 const std::vector<std::complex<double>>& flow, const std::vector<PqPoint>& injections);
  void SetEquivalent(int s, const std::vector<PqPoint>& injections);
  void SolveTrunk(const std::vector<PqPoint>& injections, double p_mw, std::vector<std::complex<double>>* v);
  void SetHubSensitivity(const std::vector<PqPoint>& injections);
  std::complex<double> Load(int bus, const std::vector<PqPoint>& injections, double mw) const;

  const RadialGrid& grid_;
  const LimitOptions limits_;
  const double base_mva_;
  int hub_ = 0;
  std::vector<int> trunk_;
  std::vector<int> section_of_;
  std::vector<std::vector<int>> sections_;
  std::vector<int> all_sections_;
  std::vector<double> loading_per_mva_;

  std::vector<std::complex<double>> state_v_, state_flow_;
  std::complex<double> slack_v_ = 1;
  std::vector<Equivalent> equivalents_;
  std::vector<double> hub_sensitivity_;
  bool solved_ = false;
  bool feasible_ = false;

  std::vector<double> pattern_;  // signed share of the change per bus
  std::vector<int> touched_;
  bool injects_at_trunk_ = false;

  std::vector<std::complex<double>> trial_v_, trial_flow_, trial_current_;
  std::vector<int> solved_set_;  // the sections of the trial
  std::vector<int> unsure_;      // left out of the last solve, their margins may not hold
  bool near_limit_ = false;      // the last reduced solve ended within kGuard of a limit
  std::vector<std::complex<double>> kept_v_, kept_flow_;
  std::vector<int> kept_set_;

  std::vector<std::complex<double>> trunk_up_v_, trunk_down_v_, trunk_current_;  // scratch for the hub sensitivity
  std::vector<bool> in_set_;                                                     // scratch
  std::vector<int> sweep_buses_;  // scratch: the buses of one sweep, source first
  std::vector<int> one_section_;  // scratch
  int full_flows_ = 0;
  int reduced_flows_ = 0;
};

}  // namespace tsodso::core
