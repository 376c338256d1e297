// DER capability regions against hand-computed grid-code values, and the
// validation of DER classes.
#include "core/capability/der_class.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "support/status_testing.h"

namespace tsodso::core {
namespace {

using ::tsodso::testing::StatusIs;

constexpr double kHand = 1e-4;    // hand-computed values
constexpr double kCircle = 2e-3;  // an inscribed 64-gon is inside by <= 1 - cos(pi/64) = 1.2e-3

DerClass Inverter() {
  DerClass c;
  c.name = "pv";
  c.kind = DerKind::kInverter;
  c.q_pf = 0.9;
  return c;
}

DerClass Chp() {
  DerClass c;
  c.name = "chp";
  c.kind = DerKind::kSynchronous;
  c.p_min_pu = 0.3;
  c.rated_pf = 0.8;
  c.pf_over = 0.8;
  c.pf_under = 0.98;
  return c;
}

DerClass Hydro() {
  DerClass c = Chp();
  c.name = "hydro";
  c.kind = DerKind::kRunOfRiverHydro;
  c.p_min_pu = 0.2;
  return c;
}

DerClass Storage() {
  DerClass c;
  c.name = "bess";
  c.kind = DerKind::kStorage;
  c.soc_min = 0.1;
  c.soc_max = 0.9;
  c.energy_hours = 2;
  return c;
}

DerCapability Cap(const DerClass& c, double profile, double hours = 0.25) {
  return Capability(c, DerState{profile, hours});
}

::testing::AssertionResult WithinUnitCircle(const ConvexPolygon& region, double radius = 1.0) {
  for (const PqPoint& v : region.vertices()) {
    if (std::hypot(v.p, v.q) > radius + 1e-9) {
      return ::testing::AssertionFailure()
             << "vertex (" << v.p << ", " << v.q << ") has |S| " << std::hypot(v.p, v.q) << " > " << radius;
    }
  }
  return ::testing::AssertionSuccess();
}

const double kSinAcos09 = std::sqrt(1 - 0.81);  // 0.43589

TEST(FlexCapabilityTest, InverterReactiveBandAndAvailablePower) {
  EXPECT_NEAR(kSinAcos09, 0.43589, 1e-5);
  const DerCapability half = Cap(Inverter(), 0.5);
  EXPECT_NEAR(half.region.MaxQ(), 0.43589, kHand);
  EXPECT_NEAR(half.region.MinQ(), -0.43589, kHand);
  EXPECT_NEAR(half.region.MaxP(), 0.5, 1e-12);
  EXPECT_NEAR(half.region.MinP(), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(half.operating.p, 0.5);
  EXPECT_DOUBLE_EQ(half.operating.q, 0.0);
  EXPECT_TRUE(half.region.Contains(half.operating));
  // The corner (0.5, 0.43589) is reachable, (0.5, 0.45) is not.
  EXPECT_TRUE(half.region.Contains({0.5, kSinAcos09}, 1e-9));
  EXPECT_FALSE(half.region.Contains({0.5, 0.45}, 1e-9));

  // At night (no available P) the inverter still offers Q (CEI 0-16).
  const DerCapability night = Cap(Inverter(), 0.0);
  EXPECT_NEAR(night.region.MaxQ(), 0.43589, kHand);
  EXPECT_NEAR(night.region.MinQ(), -0.43589, kHand);
  EXPECT_NEAR(night.region.MaxP(), 0.0, 1e-12);
  EXPECT_NEAR(night.region.MinP(), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(night.operating.p, 0.0);

  // Profiles outside [0, 1] are clamped.
  EXPECT_NEAR(Cap(Inverter(), 1.7).region.MaxP(), 1.0, 1e-12);
  EXPECT_NEAR(Cap(Inverter(), -0.2).region.MaxP(), 0.0, 1e-12);
}

TEST(FlexCapabilityTest, InverterAtFullPowerStaysWithinRating) {
  const DerCapability full = Cap(Inverter(), 1.0);
  EXPECT_TRUE(WithinUnitCircle(full.region));
  EXPECT_LE(full.region.MaxP(), 1.0 + 1e-12);
  EXPECT_NEAR(full.region.MaxP(), 1.0, kCircle);
  EXPECT_NEAR(full.region.MaxQ(), 0.43589, kHand);  // at low P the band is untouched
  EXPECT_NEAR(full.region.MinQ(), -0.43589, kHand);
  // (0.9, 0.4359) has |S| = 1: roughly on the boundary, within the
  // inscribed polygon's tolerance; a bit further out is outside.
  EXPECT_TRUE(full.region.Contains({0.9, 0.4359}, kCircle));
  EXPECT_FALSE(full.region.Contains({0.9 * 1.01, 0.4359 * 1.01}, 1e-9));
  const double h = full.region.Support(0.9, 0.4359) / std::hypot(0.9, 0.4359);
  EXPECT_LE(h, 1.0 + 1e-9);
  EXPECT_GE(h, 1.0 - kCircle);
  // The corner (1, 0.4359) of the rectangle is cut off.
  EXPECT_FALSE(full.region.Contains({1.0, 0.4359}, 1e-6));
  EXPECT_TRUE(IsConvexRing(full.region.vertices()));
}

// The reactive limits the figures take at the operating P follow |S| <= Sn
// exactly: the inscribed polygon has vertices where the circle meets that
// P (a plain 64-gon puts Q 0.8 % low at 0.95 Sn and 5.7 % low at 0.99 Sn).
TEST(FlexCapabilityTest, InverterReactiveLimitAtHighOutputIsOnTheCircle) {
  for (double p : {0.95, 0.99}) {
    SCOPED_TRACE(p);
    const DerCapability cap = Cap(Inverter(), p);
    const Range q = RangeOnLine(cap.region, /*along_p=*/false, cap.operating.p);
    ASSERT_FALSE(q.empty());
    EXPECT_NEAR(q.hi, std::sqrt(1 - p * p), 1e-12);
    EXPECT_NEAR(q.lo, -std::sqrt(1 - p * p), 1e-12);
    EXPECT_TRUE(WithinUnitCircle(cap.region));
    EXPECT_TRUE(IsConvexRing(cap.region.vertices()));
  }
  // Below 0.9 Sn the power-factor band binds, not the circle.
  const DerCapability low = Cap(Inverter(), 0.8);
  EXPECT_NEAR(RangeOnLine(low.region, false, 0.8).hi, kSinAcos09, 1e-12);
}

TEST(FlexCapabilityTest, V2gAndChpReactiveLimitsAtTheOperatingPointAreOnTheCircle) {
  DerClass v2g;
  v2g.name = "v2g";
  v2g.kind = DerKind::kV2g;
  v2g.plugged_per_charging = 1.05;
  for (double share : {0.95, 0.99}) {
    SCOPED_TRACE(share);
    // Charging at `share` of the chargers, 1.05 x share of them plugged in
    // (the radius).
    const DerCapability cap = Cap(v2g, share);
    const double r = std::min(1.0, 1.05 * share);
    const Range q = RangeOnLine(cap.region, false, cap.operating.p);
    EXPECT_NEAR(q.hi, std::sqrt(r * r - share * share), 1e-12);
    EXPECT_NEAR(q.lo, -std::sqrt(r * r - share * share), 1e-12);
    EXPECT_TRUE(WithinUnitCircle(cap.region, r));
  }
  // A CHP at full output (P max = 0.8 Sn): its 0.8 over-excited line meets
  // the circle at (0.8, 0.6).
  const DerCapability chp = Cap(Chp(), 1.0);
  EXPECT_NEAR(RangeOnLine(chp.region, false, chp.operating.p).hi, 0.6, 1e-12);
  EXPECT_TRUE(WithinUnitCircle(chp.region));
}

TEST(FlexCapabilityTest, CircleThroughAPointKeepsItsVerticesOnTheCircle) {
  for (double p : {-0.99, -0.5, 0.0, 0.3, 0.95, 0.99, 1.0, 1.5}) {
    SCOPED_TRACE(p);
    const ConvexPolygon c = ConvexPolygon::InscribedCircle(2.0, 64, 2 * p);
    EXPECT_TRUE(IsConvexRing(c.vertices()));
    for (const PqPoint& v : c.vertices()) EXPECT_NEAR(std::hypot(v.p, v.q), 2.0, 1e-12);
    if (std::abs(p) < 1) {
      EXPECT_EQ(c.size(), p == 0.0 ? 64u : 66u);  // P = 0 meets two vertices of the 64-gon
      const Range q = RangeOnLine(c, false, 2 * p);
      EXPECT_NEAR(q.hi, 2 * std::sqrt(1 - p * p), 1e-12);
      EXPECT_NEAR(q.lo, -2 * std::sqrt(1 - p * p), 1e-12);
    } else {
      EXPECT_EQ(c.size(), 64u);
    }
  }
}

// Dispatch and water are shares of P max = Sn cos(phi_n) = 0.8 Sn.
TEST(FlexCapabilityTest, SynchronousChpBetweenPowerFactorLines) {
  const DerCapability cap = Cap(Chp(), 0.75);  // 0.75 of P max = 0.6 p.u. of Sn
  EXPECT_NEAR(cap.region.MinP(), 0.3, 1e-9);
  EXPECT_NEAR(cap.region.MaxP(), 0.8, 1e-9);
  EXPECT_NEAR(cap.region.MaxQ(), 0.8 * 0.75, kHand);
  const double min_q = -0.8 * std::tan(std::acos(0.98));
  EXPECT_NEAR(min_q, -0.16245, 1e-5);
  EXPECT_NEAR(cap.region.MinQ(), -0.16245, kHand);
  EXPECT_DOUBLE_EQ(cap.operating.p, 0.6);
  EXPECT_DOUBLE_EQ(cap.operating.q, 0.0);
  EXPECT_TRUE(cap.region.Contains(cap.operating));
  // The PF lines at the technical minimum: Q in [-0.3 tan(acos .98), 0.3 * 0.75].
  EXPECT_TRUE(cap.region.Contains({0.3, 0.225}, 1e-9));
  EXPECT_TRUE(cap.region.Contains({0.3, -0.3 * std::tan(std::acos(0.98))}, 1e-9));
  EXPECT_FALSE(cap.region.Contains({0.3, 0.25}, 1e-9));
  EXPECT_FALSE(cap.region.Contains({0.3, -0.1}, 1e-9));
  EXPECT_FALSE(cap.region.Contains({0.2, 0.0}, 1e-9));  // below p_min
  EXPECT_TRUE(WithinUnitCircle(cap.region));
  // The region does not depend on the dispatch while online.
  EXPECT_NEAR(Cap(Chp(), 0.4).region.MaxP(), 0.8, 1e-9);
  EXPECT_DOUBLE_EQ(Cap(Chp(), 1.0).operating.p, 0.8);  // flat out at P max
  EXPECT_DOUBLE_EQ(Cap(Chp(), 1.5).operating.p, 0.8);  // a profile beyond 1 is clipped

  // Below the technical minimum the unit is off: a single point at 0.
  for (const double dispatch : {0.37, 0.1, 0.0}) {  // 0.37 * 0.8 = 0.296 < 0.3
    const DerCapability off = Cap(Chp(), dispatch);
    SCOPED_TRACE(dispatch);
    ASSERT_EQ(off.region.size(), 1u);
    EXPECT_DOUBLE_EQ(off.region.vertices()[0].p, 0.0);
    EXPECT_DOUBLE_EQ(off.region.vertices()[0].q, 0.0);
    EXPECT_DOUBLE_EQ(off.operating.p, 0.0);
    EXPECT_DOUBLE_EQ(off.operating.q, 0.0);
  }
}

TEST(FlexCapabilityTest, RunOfRiverHydroCannotExceedTheWater) {
  const DerCapability cap = Cap(Hydro(), 0.625);  // 0.625 of P max = 0.5 p.u.
  EXPECT_NEAR(cap.region.MaxP(), 0.5, 1e-9);
  EXPECT_NEAR(cap.region.MinP(), 0.2, 1e-9);
  EXPECT_DOUBLE_EQ(cap.operating.p, 0.5);  // at the water: no upward P
  EXPECT_NEAR(cap.region.MaxQ(), 0.5 * 0.75, kHand);
  EXPECT_NEAR(cap.region.MinQ(), -0.5 * std::tan(std::acos(0.98)), kHand);
  // Plenty of water: P max is the rated power factor.
  EXPECT_NEAR(Cap(Hydro(), 1.0).region.MaxP(), 0.8, 1e-9);
  // Too little water: off.
  const DerCapability dry = Cap(Hydro(), 0.2);  // 0.16 p.u. < p_min 0.2
  ASSERT_EQ(dry.region.size(), 1u);
  EXPECT_DOUBLE_EQ(dry.region.MaxP(), 0.0);
  EXPECT_DOUBLE_EQ(dry.operating.p, 0.0);
}

TEST(FlexCapabilityTest, RunOfRiverHydroAtItsMinimumKeepsItsReactiveRange) {
  // Water exactly at the technical minimum: the region is the vertical
  // segment P = 0.7, Q between the PF lines, cut at |S| = 1. With pf_over
  // 0.6 the over-excited line (0.7 * 4/3 = 0.933) is beyond the rating, so
  // Q max is sqrt(1 - 0.49) = 0.714 (inscribed: within 2e-3) - not the
  // under-excited end alone.
  DerClass c = Hydro();
  c.p_min_pu = 0.7;
  c.pf_over = 0.6;
  const DerCapability cap = Cap(c, 0.875);  // 0.875 of P max = 0.7 p.u.
  EXPECT_NEAR(cap.region.MinP(), 0.7, 1e-9);
  EXPECT_NEAR(cap.region.MaxP(), 0.7, 1e-9);
  EXPECT_NEAR(cap.region.MinQ(), -0.7 * std::tan(std::acos(0.98)), kHand);
  EXPECT_NEAR(cap.region.MaxQ(), std::sqrt(1 - 0.49), 5e-3);
  EXPECT_TRUE(cap.region.Contains(cap.operating, 1e-9));
}

TEST(FlexCapabilityTest, StorageLimitedBySnAndStateOfCharge) {
  const DerCapability mid = Cap(Storage(), 0.5);  // 0.4 * 2 h / 0.25 h = 3.2 p.u. of energy room
  EXPECT_NEAR(mid.region.MaxP(), 1.0, kCircle);
  EXPECT_NEAR(mid.region.MinP(), -1.0, kCircle);
  EXPECT_NEAR(mid.region.MaxQ(), 1.0, kCircle);
  EXPECT_NEAR(mid.region.MinQ(), -1.0, kCircle);
  EXPECT_TRUE(WithinUnitCircle(mid.region));
  EXPECT_DOUBLE_EQ(mid.operating.p, 0.0);
  EXPECT_TRUE(mid.region.Contains(mid.operating));

  // Empty: cannot discharge, can still charge and give Q.
  const DerCapability empty = Cap(Storage(), 0.1);
  EXPECT_NEAR(empty.region.MaxP(), 0.0, 1e-9);
  EXPECT_NEAR(empty.region.MinP(), -1.0, kCircle);
  EXPECT_NEAR(empty.region.MaxQ(), 1.0, kCircle);
  EXPECT_TRUE(WithinUnitCircle(empty.region));
  // Full: cannot charge.
  const DerCapability full = Cap(Storage(), 0.9);
  EXPECT_NEAR(full.region.MinP(), 0.0, 1e-9);
  EXPECT_NEAR(full.region.MaxP(), 1.0, kCircle);
  EXPECT_TRUE(WithinUnitCircle(full.region));
  // Energy-limited: 0.05 * 2 h over 1 h = 0.1 p.u. of discharge;
  // 0.75 * 2 h / 1 h = 1.5 of charge room, so charge is limited by Sn.
  const DerCapability low = Cap(Storage(), 0.15, 1.0);
  EXPECT_NEAR(low.region.MaxP(), 0.1, 1e-9);
  EXPECT_NEAR(low.region.MinP(), -1.0, kCircle);
  EXPECT_TRUE(WithinUnitCircle(low.region));
}

TEST(FlexCapabilityTest, V2gCircleOfThePluggedInShare) {
  DerClass c;
  c.name = "v2g";
  c.kind = DerKind::kV2g;
  c.plugged_per_charging = 2;
  const DerCapability cap = Cap(c, 0.2);
  EXPECT_TRUE(WithinUnitCircle(cap.region, 0.4));
  EXPECT_NEAR(cap.region.MaxP(), 0.4, 0.4 * kCircle);
  EXPECT_NEAR(cap.region.MinP(), -0.4, 0.4 * kCircle);
  EXPECT_NEAR(cap.region.MaxQ(), 0.4, 0.4 * kCircle);
  EXPECT_DOUBLE_EQ(cap.operating.p, -0.2);
  EXPECT_DOUBLE_EQ(cap.operating.q, 0.0);
  EXPECT_TRUE(cap.region.Contains(cap.operating));
  // The plugged-in share saturates at all chargers.
  EXPECT_TRUE(WithinUnitCircle(Cap(c, 0.8).region, 1.0));
  EXPECT_NEAR(Cap(c, 0.8).region.MaxP(), 1.0, kCircle);
}

// With q_without_car, the chargers' converters offer Q within their whole
// rating (a car or not); P stays within the plugged-in share.
TEST(FlexCapabilityTest, V2gReactiveWithinTheChargersRating) {
  DerClass c;
  c.name = "v2g";
  c.kind = DerKind::kV2g;
  c.plugged_per_charging = 2;
  c.q_without_car = true;
  const DerCapability cap = Cap(c, 0.2);
  EXPECT_TRUE(WithinUnitCircle(cap.region));
  EXPECT_NEAR(cap.region.MaxP(), 0.4, 1e-12);
  EXPECT_NEAR(cap.region.MinP(), -0.4, 1e-12);
  const Range q = RangeOnLine(cap.region, /*along_p=*/false, cap.operating.p);
  EXPECT_NEAR(q.hi, std::sqrt(1 - 0.2 * 0.2), kCircle);
  EXPECT_NEAR(q.lo, -std::sqrt(1 - 0.2 * 0.2), kCircle);
  EXPECT_DOUBLE_EQ(cap.operating.p, -0.2);
  EXPECT_TRUE(cap.region.Contains(cap.operating));
  // No car charging: no P, the converter's Q all the same.
  const DerCapability idle = Cap(c, 0.0);
  EXPECT_NEAR(idle.region.MaxP(), 0.0, 1e-12);
  EXPECT_NEAR(idle.region.MinP(), 0.0, 1e-12);
  EXPECT_NEAR(idle.region.MaxQ(), 1.0, kCircle);
  EXPECT_NEAR(idle.region.MinQ(), -1.0, kCircle);
  EXPECT_TRUE(idle.region.Contains(idle.operating));
  // Other kinds have no such converter setting.
  DerClass chp = Chp();
  chp.q_without_car = true;
  EXPECT_NE(ValidateDerClass(chp, "classes.yaml").message().find("q_without_car"), std::string::npos);
}

TEST(FlexCapabilityTest, EvChargingIsALoadSegment) {
  DerClass c;
  c.name = "ev_home";
  c.kind = DerKind::kEvCharging;
  c.plugged_per_charging = 2;
  const DerCapability cap = Cap(c, 0.3);
  ASSERT_EQ(cap.region.size(), 2u);
  EXPECT_NEAR(cap.region.MinP(), -0.6, 1e-12);
  EXPECT_NEAR(cap.region.MaxP(), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(cap.region.MinQ(), 0.0);
  EXPECT_DOUBLE_EQ(cap.region.MaxQ(), 0.0);
  EXPECT_DOUBLE_EQ(cap.operating.p, -0.3);
  EXPECT_DOUBLE_EQ(cap.operating.q, 0.0);
  EXPECT_TRUE(cap.region.Contains(cap.operating));
  EXPECT_NEAR(Cap(c, 0.7).region.MinP(), -1.0, 1e-12);  // saturates at all chargers
}

TEST(FlexCapabilityTest, ValidateDerClassNamesSourceClassAndField) {
  EXPECT_TRUE(ValidateDerClass(Chp(), "classes.yaml").ok());
  EXPECT_TRUE(ValidateDerClass(Inverter(), "classes.yaml").ok());
  EXPECT_TRUE(ValidateDerClass(Storage(), "classes.yaml").ok());

  DerClass c = Inverter();
  c.q_pf = 0;
  EXPECT_TRUE(StatusIs(ValidateDerClass(c, "classes.yaml"), absl::StatusCode::kInvalidArgument,
                       {"classes.yaml", "'pv'", "q_pf"}));
  c.q_pf = 1.2;
  EXPECT_TRUE(StatusIs(ValidateDerClass(c, "classes.yaml"), absl::StatusCode::kInvalidArgument,
                       {"classes.yaml", "'pv'", "q_pf", "1.2"}));
  c.q_pf = 1.0;  // a unity power factor is a valid (if useless) setting
  EXPECT_TRUE(ValidateDerClass(c, "classes.yaml").ok());

  c = Chp();
  c.pf_over = -1;
  EXPECT_TRUE(StatusIs(ValidateDerClass(c, "site/ps_sud.yaml"), absl::StatusCode::kInvalidArgument,
                       {"site/ps_sud.yaml", "'chp'", "pf_over", "-1"}));
  c = Chp();
  c.p_min_pu = 0.8;  // == rated_pf
  EXPECT_TRUE(StatusIs(ValidateDerClass(c, "classes.yaml"), absl::StatusCode::kInvalidArgument,
                       {"classes.yaml", "'chp'", "p_min_pu"}));
  c.p_min_pu = 0.9;  // > rated_pf
  EXPECT_TRUE(StatusIs(ValidateDerClass(c, "classes.yaml"), absl::StatusCode::kInvalidArgument,
                       {"classes.yaml", "'chp'", "p_min_pu"}));

  DerClass s = Storage();
  s.soc_min = 0.9;  // == soc_max
  EXPECT_TRUE(StatusIs(ValidateDerClass(s, "classes.yaml"), absl::StatusCode::kInvalidArgument,
                       {"classes.yaml", "'bess'", "soc_min"}));
  s = Storage();
  s.soc_min = 0.95;  // > soc_max
  EXPECT_TRUE(StatusIs(ValidateDerClass(s, "classes.yaml"), absl::StatusCode::kInvalidArgument,
                       {"classes.yaml", "'bess'", "soc_min"}));
  s = Storage();
  s.energy_hours = -1;
  EXPECT_TRUE(StatusIs(ValidateDerClass(s, "classes.yaml"), absl::StatusCode::kInvalidArgument,
                       {"classes.yaml", "'bess'", "energy_hours"}));
  s.energy_hours = 0;
  EXPECT_TRUE(StatusIs(ValidateDerClass(s, "classes.yaml"), absl::StatusCode::kInvalidArgument,
                       {"classes.yaml", "'bess'", "energy_hours"}));
}

TEST(FlexCapabilityTest, KindNamesRoundTrip) {
  for (DerKind k : {DerKind::kInverter, DerKind::kSynchronous, DerKind::kRunOfRiverHydro, DerKind::kStorage,
                    DerKind::kV2g, DerKind::kEvCharging}) {
    DerKind parsed = k == DerKind::kInverter ? DerKind::kStorage : DerKind::kInverter;
    ASSERT_TRUE(ParseDerKind(DerKindName(k), &parsed)) << DerKindName(k);
    EXPECT_EQ(parsed, k);
  }
  DerKind out = DerKind::kV2g;
  EXPECT_FALSE(ParseDerKind("solar", &out));
  EXPECT_EQ(out, DerKind::kV2g);
}

}  // namespace
}  // namespace tsodso::core
