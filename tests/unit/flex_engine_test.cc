// The PCC flexibility engine: operating point, extents and area by hand,
// additivity over groups, ranges and the horizon summary.
#include "core/flexibility/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "sample_ders.h"

namespace tsodso::core {
namespace {

constexpr double kTol = 1e-9;
const double kTanPhiLoad = std::tan(std::acos(0.95));  // 0.328684
const double kQPv = std::sqrt(1 - 0.81);               // 0.435890

absl::Time Utc(int y, int mo, int d, int h, int mi = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

ProfileFn Constant(double v) {
  return [v](absl::Time) { return v; };
}

DerGroup Pv(double sn_mva, double profile, int units = 100) {
  return testing::PvGroup(sn_mva, Constant(profile), units);
}

DerGroup Chp(double sn_mva, double dispatch) {
  DerGroup g;
  g.name = "chp";
  g.der_class.name = "chp";
  g.der_class.kind = DerKind::kSynchronous;
  g.der_class.p_min_pu = 0.3;
  g.der_class.rated_pf = 0.8;
  g.der_class.pf_over = 0.8;
  g.der_class.pf_under = 0.98;
  g.sn_mva = sn_mva;
  g.units = 2;
  g.profile = Constant(dispatch);
  return g;
}

DerGroup Ev(double sn_mva, double share) {
  DerGroup g;
  g.name = "ev";
  g.der_class.name = "ev";
  g.der_class.kind = DerKind::kEvCharging;
  g.der_class.plugged_per_charging = 2;
  g.sn_mva = sn_mva;
  g.units = 300;
  g.profile = Constant(share);
  return g;
}

DerGroup Storage(double sn_mva, double soc) {
  DerGroup g;
  g.name = "bess";
  g.der_class.name = "bess";
  g.der_class.kind = DerKind::kStorage;
  g.sn_mva = sn_mva;
  g.units = 1;
  g.profile = Constant(soc);
  return g;
}

PccModel Model(std::vector<DerGroup> groups, double load_mw) {
  PccModel m;
  m.pcc_id = "PS_SUD";
  m.groups = std::move(groups);
  m.load_mw = Constant(load_mw);
  m.load_pf = 0.95;
  return m;
}

const absl::Time kNoon = Utc(2023, 6, 1, 12);
const absl::Duration kQuarter = absl::Minutes(15);

// The area's extents are the operating point moved by the extents, in the
// load convention: more injection (p_up) lowers the import.
// The figures are distances along the axes from the operating point: every
// such move is in the area (which may reach further by trading P for Q).
void ExpectAreaMatchesExtents(const FlexInterval& f, bool exact = true) {
  ASSERT_FALSE(f.area.empty());
  EXPECT_TRUE(f.area.Contains(f.operating, 1e-9));
  EXPECT_TRUE(f.area.Contains({f.operating.p - f.p_up_mw, f.operating.q}, 1e-9));
  EXPECT_TRUE(f.area.Contains({f.operating.p + f.p_down_mw, f.operating.q}, 1e-9));
  EXPECT_TRUE(f.area.Contains({f.operating.p, f.operating.q - f.q_up_mvar}, 1e-9));
  EXPECT_TRUE(f.area.Contains({f.operating.p, f.operating.q + f.q_down_mvar}, 1e-9));
  if (!exact) return;
  EXPECT_NEAR(f.area.MinP(), f.operating.p - f.p_up_mw, 1e-9);
  EXPECT_NEAR(f.area.MaxP(), f.operating.p + f.p_down_mw, 1e-9);
  EXPECT_NEAR(f.area.MinQ(), f.operating.q - f.q_up_mvar, 1e-9);
  EXPECT_NEAR(f.area.MaxQ(), f.operating.q + f.q_down_mvar, 1e-9);
}

TEST(FlexEngineTest, OnePvGroupAndALoadByHand) {
  const PccModel model = Model({Pv(10, 0.5)}, 20);
  const FlexInterval f = ComputeInterval(model, kNoon, kQuarter);
  EXPECT_EQ(f.start, kNoon);
  EXPECT_EQ(f.end, kNoon + kQuarter);
  // Import 20 MW of load minus 5 MW of PV; Q of the load at pf 0.95.
  EXPECT_NEAR(f.operating.p, 15.0, kTol);
  EXPECT_NEAR(f.operating.q, 6.5737, 1e-4);
  EXPECT_NEAR(f.operating.q, 20 * kTanPhiLoad, kTol);
  // PV at its available power cannot inject more: no upward P; it can
  // curtail 5 MW (more import); Q +/- 10 * 0.43589.
  EXPECT_NEAR(f.p_up_mw, 0.0, kTol);
  EXPECT_NEAR(f.p_down_mw, 5.0, kTol);
  EXPECT_NEAR(f.q_up_mvar, 4.3589, 1e-4);
  EXPECT_NEAR(f.q_down_mvar, 4.3589, 1e-4);
  // The area: P in [15, 20], Q in 6.5737 -/+ 4.3589.
  ExpectAreaMatchesExtents(f);
  EXPECT_NEAR(f.area.MinP(), 15.0, kTol);
  EXPECT_NEAR(f.area.MaxP(), 20.0, kTol);
  EXPECT_NEAR(f.area.MinQ(), 6.5737 - 4.3589, 2e-4);
  EXPECT_NEAR(f.area.MaxQ(), 6.5737 + 4.3589, 2e-4);
  EXPECT_NEAR(f.area.Area(), 5 * 2 * 10 * kQPv, 1e-9);  // a rectangle
  // Full curtailment with maximal Q absorption is reachable: import 20 MW
  // and 6.57 + 4.36 Mvar.
  EXPECT_TRUE(f.area.Contains({20, 20 * kTanPhiLoad + 10 * kQPv}, 1e-9));
  EXPECT_FALSE(f.area.Contains({14.9, 20 * kTanPhiLoad}, 1e-9));

  ASSERT_EQ(f.groups.size(), 1u);
  EXPECT_EQ(f.groups[0].name, "pv");
  EXPECT_EQ(f.groups[0].units, 100);
  EXPECT_NEAR(f.groups[0].p_up_mw, 0.0, kTol);
  EXPECT_NEAR(f.groups[0].p_down_mw, 5.0, kTol);
  EXPECT_NEAR(f.groups[0].q_up_mvar, 10 * kQPv, kTol);
  EXPECT_NEAR(f.groups[0].q_down_mvar, 10 * kQPv, kTol);

  // Without the area the extents are the same and the polygon is not built.
  const FlexInterval g = ComputeInterval(model, kNoon, kQuarter, /*with_area=*/false);
  EXPECT_TRUE(g.area.empty());
  EXPECT_DOUBLE_EQ(g.p_up_mw, f.p_up_mw);
  EXPECT_DOUBLE_EQ(g.p_down_mw, f.p_down_mw);
  EXPECT_DOUBLE_EQ(g.q_up_mvar, f.q_up_mvar);
  EXPECT_DOUBLE_EQ(g.q_down_mvar, f.q_down_mvar);
  EXPECT_DOUBLE_EQ(g.operating.p, f.operating.p);
}

// At 0.95 and 0.99 of Sn a PV's Q is bounded by |S| <= Sn, not by its
// power factor: the published figures take the circle's exact value.
TEST(FlexEngineTest, PvReactiveFiguresAtHighOutputFollowTheRatingCircle) {
  for (double p : {0.95, 0.99}) {
    SCOPED_TRACE(p);
    const FlexInterval f = ComputeInterval(Model({Pv(10, p)}, 20), kNoon, kQuarter);
    EXPECT_NEAR(f.q_up_mvar, 10 * std::sqrt(1 - p * p), 1e-9);
    EXPECT_NEAR(f.q_down_mvar, 10 * std::sqrt(1 - p * p), 1e-9);
    EXPECT_NEAR(f.p_down_mw, 10 * p, 1e-9);
    // The drawn area holds the figures' points (it reaches more Q at lower
    // P): its Q range at the operating P is the figures'.
    ExpectAreaMatchesExtents(f, /*exact=*/false);
    const Range q = RangeOnLine(f.area, /*along_p=*/false, f.operating.p);
    EXPECT_NEAR(q.lo, f.operating.q - f.q_up_mvar, 1e-9);
    EXPECT_NEAR(q.hi, f.operating.q + f.q_down_mvar, 1e-9);
  }
}

TEST(FlexEngineTest, EvChargingIsImportThatCanStopOrGrow) {
  // 3 MVA of chargers at a charging share of 0.3: 0.9 MW of import; they
  // can stop (0.9 MW up) or charge at the plugged-in share 0.6 (0.9 down).
  const FlexInterval f = ComputeInterval(Model({Ev(3, 0.3)}, 0), kNoon, kQuarter);
  EXPECT_NEAR(f.operating.p, 0.9, kTol);
  EXPECT_NEAR(f.operating.q, 0.0, kTol);
  EXPECT_NEAR(f.p_up_mw, 0.9, kTol);
  EXPECT_NEAR(f.p_down_mw, 0.9, kTol);
  EXPECT_NEAR(f.q_up_mvar, 0.0, kTol);
  EXPECT_NEAR(f.q_down_mvar, 0.0, kTol);
  ExpectAreaMatchesExtents(f);
  EXPECT_NEAR(f.area.MinP(), 0.0, kTol);
  EXPECT_NEAR(f.area.MaxP(), 1.8, kTol);
}

TEST(FlexEngineTest, ExtentsAndSupportsAddOverGroups) {
  const std::vector<DerGroup> groups = {Pv(10, 0.5), Chp(4, 0.6), Ev(3, 0.3), Storage(2, 0.5)};
  const PccModel model = Model(groups, 20);
  const FlexInterval f = ComputeInterval(model, kNoon, kQuarter);
  ASSERT_EQ(f.groups.size(), 4u);
  EXPECT_EQ(f.groups[1].name, "chp");
  EXPECT_EQ(f.groups[3].name, "bess");
  // By hand: PV (0, 5, 4.3589, 4.3589); CHP 4 MVA dispatched at 0.6 of
  // P max (0.48 p.u.), P in [1.2, 3.2]; Q at its P between the PF lines:
  // (1.28, 0.72, 1.44, 0.3899); EV (0.9, 0.9, 0, 0); storage 2 MVA at soc
  // 0.5: (2, 2, 2, 2).
  const double chp_q_down = 4 * 0.48 * std::tan(std::acos(0.98));
  EXPECT_NEAR(f.groups[1].p_up_mw, 1.28, 1e-9);
  EXPECT_NEAR(f.groups[1].p_down_mw, 0.72, 1e-9);
  EXPECT_NEAR(f.groups[1].q_up_mvar, 1.44, 1e-4);
  EXPECT_NEAR(f.groups[1].q_down_mvar, chp_q_down, 1e-4);
  EXPECT_NEAR(f.groups[3].p_up_mw, 2.0, 2 * 2e-3);
  EXPECT_NEAR(f.groups[3].q_down_mvar, 2.0, 2 * 2e-3);
  EXPECT_NEAR(f.p_up_mw, 0 + 1.28 + 0.9 + f.groups[3].p_up_mw, 1e-9);
  EXPECT_NEAR(f.p_down_mw, 5 + 0.72 + 0.9 + f.groups[3].p_down_mw, 1e-9);
  EXPECT_NEAR(f.q_up_mvar, 10 * kQPv + 1.44 + f.groups[3].q_up_mvar, 1e-4);
  EXPECT_NEAR(f.q_down_mvar, 10 * kQPv + chp_q_down + f.groups[3].q_down_mvar, 1e-4);
  double sum_up = 0, sum_down = 0, sum_qu = 0, sum_qd = 0;
  for (const GroupFlex& g : f.groups) {
    sum_up += g.p_up_mw;
    sum_down += g.p_down_mw;
    sum_qu += g.q_up_mvar;
    sum_qd += g.q_down_mvar;
  }
  EXPECT_NEAR(f.p_up_mw, sum_up, 1e-12);
  EXPECT_NEAR(f.p_down_mw, sum_down, 1e-12);
  EXPECT_NEAR(f.q_up_mvar, sum_qu, 1e-12);
  EXPECT_NEAR(f.q_down_mvar, sum_qd, 1e-12);
  // Operating point: 20 - 5 (PV) - 1.92 (CHP) + 0.9 (EV) - 0 (storage).
  EXPECT_NEAR(f.operating.p, 13.98, 1e-9);
  EXPECT_NEAR(f.operating.q, 20 * kTanPhiLoad, 1e-9);
  ExpectAreaMatchesExtents(f, /*exact=*/false);
  EXPECT_TRUE(IsConvexRing(f.area.vertices()));

  // The area is the load's point plus the areas each group would give on
  // its own without load: support functions add in every direction.
  std::vector<FlexInterval> alone;
  for (const DerGroup& g : groups) alone.push_back(ComputeInterval(Model({g}, 0), kNoon, kQuarter));
  for (int k = 0; k < 360; ++k) {
    const double th = 2 * M_PI * k / 360;
    const double dp = std::cos(th), dq = std::sin(th);
    double want = 20 * dp + 20 * kTanPhiLoad * dq;
    for (const FlexInterval& a : alone) want += a.area.Support(dp, dq);
    EXPECT_NEAR(f.area.Support(dp, dq), want, 1e-9) << "direction " << k;
  }
}

TEST(FlexEngineTest, TwoGroupsOfFiveMvaEqualOneOfTen) {
  for (const bool storage : {false, true}) {
    SCOPED_TRACE(storage ? "storage" : "pv");
    const DerGroup half = storage ? Storage(5, 0.5) : Pv(5, 0.5);
    const DerGroup whole = storage ? Storage(10, 0.5) : Pv(10, 0.5);
    const FlexInterval two = ComputeInterval(Model({half, half}, 20), kNoon, kQuarter);
    const FlexInterval one = ComputeInterval(Model({whole}, 20), kNoon, kQuarter);
    EXPECT_NEAR(two.operating.p, one.operating.p, 1e-9);
    EXPECT_NEAR(two.operating.q, one.operating.q, 1e-9);
    EXPECT_NEAR(two.p_up_mw, one.p_up_mw, 1e-9);
    EXPECT_NEAR(two.p_down_mw, one.p_down_mw, 1e-9);
    EXPECT_NEAR(two.q_up_mvar, one.q_up_mvar, 1e-9);
    EXPECT_NEAR(two.q_down_mvar, one.q_down_mvar, 1e-9);
    ASSERT_EQ(two.area.size(), one.area.size());
    for (const PqPoint& v : one.area.vertices()) {
      EXPECT_TRUE(
          std::any_of(two.area.vertices().begin(), two.area.vertices().end(),
                      [&](const PqPoint& w) { return std::abs(v.p - w.p) <= 1e-9 && std::abs(v.q - w.q) <= 1e-9; }))
          << "(" << v.p << ", " << v.q << ")";
    }
    EXPECT_NEAR(two.area.Area(), one.area.Area(), 1e-9);
  }
  // A group's number of units does not change its flexibility (sn_mva is
  // the group's total).
  const FlexInterval many = ComputeInterval(Model({Pv(10, 0.5, 2)}, 20), kNoon, kQuarter);
  const FlexInterval few = ComputeInterval(Model({Pv(10, 0.5, 1)}, 20), kNoon, kQuarter);
  EXPECT_DOUBLE_EQ(many.p_down_mw, few.p_down_mw);
  EXPECT_EQ(many.groups[0].units, 2);
}

TEST(FlexEngineTest, ComputeRangeCoversTheHorizon) {
  PccModel model = Model({Pv(10, 0.5)}, 20);
  // PV following the time of day, so that intervals differ.
  model.groups[0].profile = [](absl::Time t) {
    const absl::CivilSecond c = absl::ToCivilSecond(t, absl::UTCTimeZone());
    return (c.hour() * 60 + c.minute()) / 1440.0;
  };
  const absl::Time day = Utc(2023, 6, 1, 0);
  const std::vector<FlexInterval> r = ComputeRange(model, day, day + absl::Hours(24), kQuarter);
  ASSERT_EQ(r.size(), 96u);
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].start, day + static_cast<int64_t>(i) * kQuarter);
    EXPECT_EQ(r[i].end, r[i].start + kQuarter);
    // PV curtailable = available power, sampled within the interval.
    const double lo = 10 * (i * 15) / 1440.0;
    const double hi = 10 * (i * 15 + 15) / 1440.0;
    EXPECT_GE(r[i].p_down_mw, lo - 1e-9) << i;
    EXPECT_LE(r[i].p_down_mw, hi + 1e-9) << i;
    EXPECT_FALSE(r[i].area.empty());
  }
  EXPECT_LT(r.front().p_down_mw, r.back().p_down_mw);
  EXPECT_EQ(ComputeRange(model, day, day + absl::Hours(24), absl::Hours(1)).size(), 24u);
  // A partial last step still starts an interval; empty horizons give none.
  EXPECT_EQ(ComputeRange(model, day, day + absl::Minutes(50), kQuarter).size(), 4u);
  EXPECT_TRUE(ComputeRange(model, day, day, kQuarter).empty());
  EXPECT_TRUE(ComputeRange(model, day + absl::Hours(1), day, kQuarter).empty());
  EXPECT_TRUE(ComputeRange(model, day, day + absl::Hours(1), absl::ZeroDuration()).empty());
  const std::vector<FlexInterval> bare = ComputeRange(model, day, day + absl::Hours(1), kQuarter, false);
  ASSERT_EQ(bare.size(), 4u);
  EXPECT_TRUE(bare[0].area.empty());
}

FlexInterval At(absl::Time start, double p_up) {
  FlexInterval f;
  f.start = start;
  f.end = start + kQuarter;
  f.p_up_mw = p_up;
  f.p_down_mw = 2 * p_up;
  f.q_up_mvar = p_up + 100;
  f.q_down_mvar = -p_up;
  return f;
}

TEST(FlexEngineTest, SummarizeKnownSeries) {
  // p_up: 1 at 05:00 (night), 2 at 06:00 (day), 3 at 17:45 (day), 10 at
  // 18:00 (night) in January; 5 at noon on 1 February.
  const std::vector<FlexInterval> series = {At(Utc(2023, 1, 10, 5), 1), At(Utc(2023, 1, 10, 6), 2),
                                            At(Utc(2023, 1, 10, 17, 45), 3), At(Utc(2023, 1, 10, 18), 10),
                                            At(Utc(2023, 2, 1, 12), 5)};
  const FlexSummary s = Summarize(series, 3.0);
  EXPECT_EQ(s.intervals, 5u);
  const Distribution& d = s.p_up;
  EXPECT_DOUBLE_EQ(d.mean, 21.0 / 5);
  EXPECT_DOUBLE_EQ(d.min, 1);
  EXPECT_DOUBLE_EQ(d.max, 10);
  EXPECT_DOUBLE_EQ(d.p50, 3);
  // Sorted {1, 2, 3, 5, 10}: p5 at rank 0.2, p95 at rank 3.8.
  EXPECT_NEAR(d.p5, 1.2, 1e-12);
  EXPECT_NEAR(d.p95, 9.0, 1e-12);
  EXPECT_DOUBLE_EQ(d.share_at_least, 3.0 / 5);  // 3, 10 and 5 are >= 3
  EXPECT_DOUBLE_EQ(d.day_mean, (2 + 3 + 5) / 3.0);
  EXPECT_DOUBLE_EQ(d.night_mean, (1 + 10) / 2.0);
  ASSERT_EQ(d.monthly_mean.size(), 2u);
  EXPECT_DOUBLE_EQ(d.monthly_mean.at(1), 4.0);
  EXPECT_DOUBLE_EQ(d.monthly_mean.at(2), 5.0);

  // Each quantity is summarised on its own.
  EXPECT_DOUBLE_EQ(s.p_down.mean, 2 * 21.0 / 5);
  EXPECT_DOUBLE_EQ(s.p_down.max, 20);
  EXPECT_DOUBLE_EQ(s.p_down.share_at_least, 4.0 / 5);  // 4, 6, 20, 10
  EXPECT_DOUBLE_EQ(s.q_up.min, 101);
  EXPECT_DOUBLE_EQ(s.q_up.share_at_least, 1.0);
  EXPECT_DOUBLE_EQ(s.q_down.max, -1);
  EXPECT_DOUBLE_EQ(s.q_down.min, -10);
  EXPECT_DOUBLE_EQ(s.q_down.share_at_least, 0.0);

  // An even count interpolates the median; a threshold equal to a value
  // counts it.
  const FlexSummary even = Summarize(
      {At(Utc(2023, 3, 1, 0), 4), At(Utc(2023, 3, 1, 1), 1), At(Utc(2023, 3, 1, 2), 2), At(Utc(2023, 3, 1, 3), 3)},
      4.0);
  EXPECT_DOUBLE_EQ(even.p_up.p50, 2.5);
  EXPECT_DOUBLE_EQ(even.p_up.share_at_least, 0.25);
  EXPECT_DOUBLE_EQ(even.p_up.day_mean, 0.0);  // all at night
  EXPECT_DOUBLE_EQ(even.p_up.night_mean, 2.5);

  const FlexSummary none = Summarize({}, 10);
  EXPECT_EQ(none.intervals, 0u);
  EXPECT_DOUBLE_EQ(none.p_up.mean, 0);
  EXPECT_TRUE(none.p_up.monthly_mean.empty());
}

TEST(FlexEngineTest, SummarizeADayOfComputedIntervals) {
  // PV only by day (06-18 UTC): p_down is 5 MW by day and 0 at night.
  PccModel model = Model({Pv(10, 0.5)}, 20);
  model.groups[0].profile = [](absl::Time t) {
    const int h = absl::ToCivilHour(t, absl::UTCTimeZone()).hour();
    return h >= 6 && h < 18 ? 0.5 : 0.0;
  };
  const absl::Time day = Utc(2023, 6, 1, 0);
  const FlexSummary s = Summarize(ComputeRange(model, day, day + absl::Hours(24), kQuarter, false), 5.0);
  EXPECT_EQ(s.intervals, 96u);
  EXPECT_NEAR(s.p_down.day_mean, 5.0, 1e-9);
  EXPECT_NEAR(s.p_down.night_mean, 0.0, 1e-9);
  EXPECT_NEAR(s.p_down.mean, 2.5, 1e-9);
  EXPECT_NEAR(s.p_down.share_at_least, 0.5, 1e-12);
  EXPECT_NEAR(s.q_up.mean, 10 * kQPv, 1e-9);  // Q day and night
  EXPECT_NEAR(s.q_up.night_mean, 10 * kQPv, 1e-9);
  EXPECT_NEAR(s.p_up.max, 0.0, 1e-12);
}

}  // namespace
}  // namespace tsodso::core
