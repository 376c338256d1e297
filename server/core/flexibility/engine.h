// Aggregated PCC flexibility by the capability-curve method: every DER
// group's capability region around its operating point, summed (Minkowski)
// and placed at the PCC's operating point.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/capability/der_class.h"
#include "core/capability/polygon.h"
#include "core/profiles/profile.h"

namespace tsodso::core {

// Where a DER group's per-unit state comes from in each interval.
using ProfileFn = std::function<double(absl::Time)>;

// Identical DERs behind one PCC: one class, one profile. The Minkowski sum
// of k copies of a convex region is the region scaled by k, so a group
// costs one region whatever its number of units.
struct DerGroup {
  std::string name;  // e.g. "pv_rooftop"
  DerClass der_class;
  double sn_mva = 0;  // total rated apparent power of the group
  int units = 0;      // number of units (for the disclosure rule)
  ProfileFn profile;
};

struct PccModel {
  std::string pcc_id;
  std::vector<DerGroup> groups;
  // The PCC's load (MW, consumption positive) before DER injections, and
  // its power factor (lagging): together with the DERs' operating points
  // they give the PCC exchange.
  ProfileFn load_mw;
  double load_pf = 0.95;
  // Measured or estimated reactive load (Mvar); when absent, the load's
  // power factor gives it.
  ProfileFn load_mvar;
  // Below this many units in a class, the class is not shown on its own.
  int min_units_for_breakdown = 5;
};

// Distances from a group's operating point to the edges of its region,
// along each axis (MW / Mvar).
struct GroupFlex {
  std::string name;
  int units = 0;
  double p_up_mw = 0, p_down_mw = 0, q_up_mvar = 0, q_down_mvar = 0;
};

// One interval at the PCC, load convention (import from the TSO grid
// positive). Upward = less import (more generation or less consumption).
struct FlexInterval {
  absl::Time start;
  absl::Time end;
  PqPoint operating;  // PCC exchange, MW / Mvar
  double p_up_mw = 0;
  double p_down_mw = 0;
  double q_up_mvar = 0;    // reactive import can decrease by this much
  double q_down_mvar = 0;  // reactive import can increase by this much
  ConvexPolygon area;      // reachable PCC exchanges (MW, Mvar)
  std::vector<GroupFlex> groups;
  // Aggregators' schedules in the interval, summed over portfolios (load
  // convention), already included in `operating`.
  PqPoint scheduled;
};

// The aggregated baseline of the aggregators' schedules at one PCC: ISP
// start -> P/Q summed over portfolios (MW / Mvar, load convention). The
// DSO's class profiles do not know portfolios, so a schedule counts as a
// change of the PCC exchange on top of them.
using PccBaseline = std::map<absl::Time, PqPoint>;

// Return the baseline's mean over [start, start + step): ISPs without a
// schedule count as zero.
PqPoint BaselineOver(const PccBaseline& baseline, absl::Time start, absl::Duration step);

// Return a group's capability (per unit of one unit's Sn) in the interval
// [start, start + step).
DerCapability GroupCapability(const DerGroup& group, absl::Time start, absl::Duration step);

// Return the PCC's load (MW, Mvar; consumption positive, before DER
// injections) in the interval [start, start + step).
PqPoint PccLoadAt(const PccModel& model, absl::Time start, absl::Duration step);

// Compute one interval [start, start + step), the PCC's operating point
// moved by `scheduled` (the aggregators' schedules).
FlexInterval ComputeInterval(const PccModel& model, absl::Time start, absl::Duration step, bool with_area = true,
                             PqPoint scheduled = {});

// Compute every interval of [from, to) at `step`, each with the baseline's
// schedules when one is given.
std::vector<FlexInterval> ComputeRange(const PccModel& model, absl::Time from, absl::Time to, absl::Duration step,
                                       bool with_area = true, const PccBaseline* baseline = nullptr);

struct Distribution {
  double mean = 0, min = 0, max = 0, p5 = 0, p50 = 0, p95 = 0;
  double day_mean = 0, night_mean = 0;
  std::map<int, double> monthly_mean;  // month 1..12
  double share_at_least = 0;           // share of intervals >= threshold
};

struct FlexSummary {
  size_t intervals = 0;
  Distribution p_up, p_down, q_up, q_down;
};

// A PCC's model under one named scenario ("current", "2030", ...).
struct FlexScenario {
  std::string name;
  std::string source;               // file it was read from (DSO-internal)
  std::vector<std::string> inputs;  // every file it was built from
  PccModel model;
  absl::Duration interval = absl::Minutes(15);
};

// Scenarios per PCC: what the flexibility service and publisher read.
struct FlexCatalog {
  std::map<std::string, std::map<std::string, FlexScenario>> by_pcc;
  const FlexScenario* Find(const std::string& pcc_id, const std::string& scenario) const;
};

inline constexpr char kCurrentScenario[] = "current";
inline constexpr absl::Duration kMaxFlexWindow = absl::Hours(24 * 366);
inline constexpr absl::Duration kMaxVertexWindow = absl::Hours(24 * 7);

// Check a request window: both ends set, from < to, at most 366 days, and
// at most 7 days when vertices are asked for. Errors name the field.
absl::Status ValidateFlexWindow(absl::Time from, absl::Time to, bool include_vertices);

// Return the start of the interval that contains t.
absl::Time AlignDown(absl::Time t, absl::Duration interval);

// The per-class breakdown of a PCC is published only when every class has
// at least min_units_for_breakdown units; otherwise `note` says why not.
struct ClassFlex {
  std::string der_class;
  double p_up_mw = 0, p_down_mw = 0, q_up_mvar = 0, q_down_mvar = 0;
};
bool BreakdownAllowed(const PccModel& model, std::string* note);
std::vector<ClassFlex> ByClass(const PccModel& model, const FlexInterval& interval);

// Return the area as published: the hull of its support points in n
// directions. It never extends beyond the true area, and its edges are not
// those of the single groups' regions, so a distinctive unit cannot be read
// off the shape.
ConvexPolygon PublishedArea(const ConvexPolygon& area, int directions = 32);

// Summarise a horizon. Day is 06:00-18:00 UTC (07-19 CET, 08-20 CEST);
// `threshold` is the level a TSO calls meaningful (e.g. 10 MW / 10 Mvar).
FlexSummary Summarize(const std::vector<FlexInterval>& intervals, double threshold);

}  // namespace tsodso::core
