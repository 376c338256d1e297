// Prequalification decisions against the DSO's registry, and the checks a
// request must pass.
#include "core/prequalification/prequalification.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sample_registry.h"
#include "support/status_testing.h"

namespace tsodso::core {
namespace {

using ::tsodso::testing::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(1'795'000'000);
const absl::Duration kYear = absl::Hours(24 * 365);

const Party& Agg1() {
  static const PartyRegistry registry = testing::SampleRegistry();
  return *registry.FindById("agg-1");
}

RegisteredAsset Battery() { return {"bess-1", "PS_SUD", "F3-13", "battery", {10, -10, 10, -6, 6}}; }
AssetClaim Claim() { return {"bess-1", "battery", "PS_SUD", {10, -8, 8, -6, 6}}; }

TEST(PrequalificationTest, AnAssetAsRegisteredQualifiesForAYearWithinBothRanges) {
  const RegisteredAsset reg = Battery();
  const AssetDecision d = Decide(Claim(), &reg, std::nullopt, Agg1(), kNow, kYear);
  EXPECT_TRUE(d.qualified);
  EXPECT_EQ(d.reason, QualificationReason::kNone);
  EXPECT_EQ(d.valid_until, kNow + kYear);
  EXPECT_EQ(d.p_min_mw, -8);
  EXPECT_EQ(d.p_max_mw, 8);
  // Requalifying one's own asset renews it.
  const AssetDecision again =
      Decide(Claim(), &reg, Qualification{"agg-1", kNow + absl::Hours(1), -8, 8}, Agg1(), kNow, kYear);
  EXPECT_TRUE(again.qualified);
}

TEST(PrequalificationTest, EachRefusalHasItsReason) {
  const RegisteredAsset reg = Battery();
  EXPECT_EQ(Decide(Claim(), nullptr, std::nullopt, Agg1(), kNow, kYear).reason, QualificationReason::kUnknownAsset);
  AssetClaim elsewhere = Claim();
  elsewhere.pcc_id = "PS_EST";
  EXPECT_EQ(Decide(elsewhere, &reg, std::nullopt, Agg1(), kNow, kYear).reason, QualificationReason::kNotAtPcc);
  // Below a PCC the aggregator may not see, the asset does not exist for it.
  RegisteredAsset hidden = reg;
  hidden.pcc_id = "PS_EST";
  EXPECT_EQ(Decide(Claim(), &hidden, std::nullopt, Agg1(), kNow, kYear).reason, QualificationReason::kUnknownAsset);
  AssetClaim pv = Claim();
  pv.type = "pv";
  EXPECT_EQ(Decide(pv, &reg, std::nullopt, Agg1(), kNow, kYear).reason, QualificationReason::kTypeMismatch);
  for (auto spoil : std::vector<std::function<void(AssetClaim&)>>{
           [](auto& c) { c.ratings.sn_mva = 10.2; }, [](auto& c) { c.ratings.p_max_mw = 10.5; },
           [](auto& c) { c.ratings.p_min_mw = -10.5; }, [](auto& c) { c.ratings.q_max_mvar = 6.5; }}) {
    AssetClaim c = Claim();
    spoil(c);
    const AssetDecision d = Decide(c, &reg, std::nullopt, Agg1(), kNow, kYear);
    EXPECT_FALSE(d.qualified);
    EXPECT_EQ(d.reason, QualificationReason::kOutsideAgreement);
  }
  // Within the 1 % tolerance for rounding.
  AssetClaim rounded = Claim();
  rounded.ratings.sn_mva = 10.05;
  EXPECT_TRUE(Decide(rounded, &reg, std::nullopt, Agg1(), kNow, kYear).qualified);
  // Held by another aggregator: refused until it expires.
  const Qualification theirs{"agg-2", kNow + absl::Hours(1), -10, 10};
  EXPECT_EQ(Decide(Claim(), &reg, theirs, Agg1(), kNow, kYear).reason, QualificationReason::kInAnotherPortfolio);
  // ... before its data are compared: asking reveals nothing of them.
  AssetClaim probe = Claim();
  probe.ratings.sn_mva = 99;
  EXPECT_EQ(Decide(probe, &reg, theirs, Agg1(), kNow, kYear).reason, QualificationReason::kInAnotherPortfolio);
  EXPECT_TRUE(Decide(Claim(), &reg, theirs, Agg1(), kNow + absl::Hours(2), kYear).qualified);
}

TEST(PrequalificationTest, BadRequestsNameTheAssetAndField) {
  const PartyRegistry registry = testing::SampleRegistry();
  const Party& agg1 = *registry.FindById("agg-1");
  EXPECT_TRUE(CheckClaims({Claim()}, agg1, registry).ok());
  const auto refused = [&](auto spoil, std::initializer_list<std::string> pieces) {
    std::vector<AssetClaim> claims = {Claim(), {"pv-1", "pv", "PS_SUD", {2, 0, 2, -1, 1}}};
    spoil(claims);
    EXPECT_TRUE(StatusIs(CheckClaims(claims, agg1, registry), absl::StatusCode::kInvalidArgument, pieces));
  };
  refused([](auto& c) { c.clear(); }, {"assets"});
  refused([](auto& c) { c.resize(kMaxClaims + 1, c[0]); }, {"assets: 1001 is more than 1000"});
  refused([](auto& c) { c[1].id = "bess-1"; }, {"assets[1] (bess-1).resource_id", "twice"});
  refused([](auto& c) { c[1].type = "nuclear"; }, {"assets[1] (pv-1).type: 'nuclear'"});
  refused([](auto& c) { c[1].pcc_id = "PS_EST"; }, {"assets[1] (pv-1).pcc_id: 'PS_EST'"});
  refused([](auto& c) { c[0].ratings.sn_mva = 0; }, {"assets[0] (bess-1).sn_mva: 0"});
  refused([](auto& c) { c[0].ratings.p_max_mw = std::nan(""); }, {"assets[0] (bess-1).p_max_mw: not a number"});
  refused([](auto& c) { c[1].ratings.p_min_mw = 3; }, {"assets[1] (pv-1).p_min_mw: 3 is above p_max_mw 2"});
  refused([](auto& c) { c[1].ratings.q_min_mvar = 3; }, {"assets[1] (pv-1).q_min_mvar"});
}

}  // namespace
}  // namespace tsodso::core
