#include <gtest/gtest.h>

#include "core/registry/party_registry.h"
#include "sample_registry.h"
#include "support/status_testing.h"

namespace tsodso::core {
namespace {

using ::tsodso::testing::SampleRegistry;
using ::tsodso::testing::StatusIs;

std::vector<std::string> Ids(const std::vector<const Pcc*>& pccs) {
  std::vector<std::string> out;
  for (const Pcc* p : pccs) out.push_back(p->id);
  return out;
}

TEST(RoleTest, NamesRoundTripAndUnknownIsRejected) {
  for (Role r : {Role::kTso, Role::kAggregator, Role::kDsoOperator}) {
    auto parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.has_value()) << RoleName(r);
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_FALSE(ParseRole("KING").has_value());
  EXPECT_FALSE(ParseRole("tso").has_value());
  EXPECT_FALSE(ParseRole("").has_value());
}

TEST(PartyRegistryTest, FindByIdentityMapsCertificateIdentityToParty) {
  const PartyRegistry reg = SampleRegistry();
  const Party* agg = reg.FindByIdentity("urn:tsodso:party:agg-2");
  ASSERT_NE(agg, nullptr);
  EXPECT_EQ(agg->id, "agg-2");
  EXPECT_EQ(agg->role, Role::kAggregator);
  const Party* op = reg.FindByIdentity("urn:tsodso:party:dso-operator");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->id, "dso-operator");
  // Lookup is by identity, not by party id, and exact.
  EXPECT_EQ(reg.FindByIdentity("agg-2"), nullptr);
  EXPECT_EQ(reg.FindByIdentity("urn:tsodso:party:AGG-2"), nullptr);
  EXPECT_EQ(reg.FindByIdentity(""), nullptr);
}

TEST(PartyRegistryTest, FindByIdAndFindPcc) {
  const PartyRegistry reg = SampleRegistry();
  ASSERT_NE(reg.FindById("tso-terna"), nullptr);
  EXPECT_EQ(reg.FindById("tso-terna")->certificate_identity, "urn:tsodso:party:tso-terna");
  EXPECT_EQ(reg.FindById("nobody"), nullptr);
  ASSERT_NE(reg.FindPcc("PS_EST"), nullptr);
  EXPECT_EQ(reg.FindPcc("PS_EST")->display_name, "Milano PS Est");
  EXPECT_EQ(reg.FindPcc("PS_EST")->voltage_levels_kv, (std::vector<double>{132, 15}));
  EXPECT_EQ(reg.FindPcc("PS_NORD"), nullptr);
}

TEST(PartyRegistryTest, MaySeePccFollowsStarListAndOperatorRole) {
  const PartyRegistry reg = SampleRegistry();
  const Party& tso = *reg.FindById("tso-terna");
  const Party& agg1 = *reg.FindById("agg-1");
  const Party& agg2 = *reg.FindById("agg-2");
  const Party& op = *reg.FindById("dso-operator");
  for (const char* pcc : {"PS_SUD", "PS_OVEST", "PS_EST"}) {
    EXPECT_TRUE(tso.MaySeePcc(pcc)) << pcc;
    EXPECT_TRUE(op.MaySeePcc(pcc)) << pcc;
  }
  EXPECT_TRUE(agg1.MaySeePcc("PS_SUD"));
  EXPECT_FALSE(agg1.MaySeePcc("PS_OVEST"));
  EXPECT_FALSE(agg1.MaySeePcc("PS_EST"));
  EXPECT_FALSE(agg2.MaySeePcc("PS_SUD"));
  EXPECT_TRUE(agg2.MaySeePcc("PS_OVEST"));
  EXPECT_TRUE(agg2.MaySeePcc("PS_EST"));
}

TEST(PartyRegistryTest, OperatorSeesEverythingEvenWithoutStar) {
  Party op{"op", Role::kDsoOperator, "op-cn", {}, false};
  EXPECT_TRUE(op.MaySeePcc("ANY"));
  Party none{"tso", Role::kTso, "tso-cn", {}, false};
  EXPECT_FALSE(none.MaySeePcc("ANY"));
}

TEST(PartyRegistryTest, VisiblePccsAreSortedById) {
  // Declared out of order on purpose.
  auto reg = PartyRegistry::Create({{"Z", "z", {}}, {"A", "a", {}}, {"M", "m", {}}},
                                   {{"tso", Role::kTso, "tso-cn", {}, true},
                                    {"agg", Role::kAggregator, "agg-cn", {"Z", "A"}, false},
                                    {"op", Role::kDsoOperator, "op-cn", {}, false},
                                    {"blind", Role::kAggregator, "blind-cn", {}, false}},
                                   "test");
  ASSERT_TRUE(reg.ok()) << reg.status();
  EXPECT_EQ(Ids(reg->VisiblePccs(*reg->FindById("tso"))), (std::vector<std::string>{"A", "M", "Z"}));
  EXPECT_EQ(Ids(reg->VisiblePccs(*reg->FindById("agg"))), (std::vector<std::string>{"A", "Z"}));
  EXPECT_EQ(Ids(reg->VisiblePccs(*reg->FindById("op"))), (std::vector<std::string>{"A", "M", "Z"}));
  EXPECT_TRUE(reg->VisiblePccs(*reg->FindById("blind")).empty());
  // pccs() keeps the declared order.
  EXPECT_EQ(reg->pccs().front().id, "Z");
}

TEST(PartyRegistryTest, SampleVisiblePccs) {
  const PartyRegistry reg = SampleRegistry();
  EXPECT_EQ(Ids(reg.VisiblePccs(*reg.FindById("agg-2"))), (std::vector<std::string>{"PS_EST", "PS_OVEST"}));
  EXPECT_EQ(Ids(reg.VisiblePccs(*reg.FindById("tso-terna"))),
            (std::vector<std::string>{"PS_EST", "PS_OVEST", "PS_SUD"}));
}

TEST(PartyRegistryTest, CreateRejectsDuplicatePartyId) {
  auto reg = PartyRegistry::Create(
      {{"P", "p", {}}}, {{"a", Role::kTso, "a-cn", {}, true}, {"a", Role::kTso, "b-cn", {}, true}}, "gw.yaml");
  EXPECT_TRUE(StatusIs(reg, absl::StatusCode::kInvalidArgument, {"gw.yaml", "parties[1].id", "'a'"}));
}

TEST(PartyRegistryTest, CreateRejectsDuplicateIdentity) {
  auto reg = PartyRegistry::Create(
      {{"P", "p", {}}}, {{"a", Role::kTso, "same-cn", {}, true}, {"b", Role::kTso, "same-cn", {}, true}}, "gw.yaml");
  EXPECT_TRUE(StatusIs(reg, absl::StatusCode::kInvalidArgument, {"gw.yaml", "parties[1].identity", "'same-cn'"}));
}

TEST(PartyRegistryTest, CreateRejectsUnknownPccAndEmptyFields) {
  auto unknown =
      PartyRegistry::Create({{"P", "p", {}}}, {{"a", Role::kAggregator, "a-cn", {"P", "Q"}, false}}, "gw.yaml");
  EXPECT_TRUE(StatusIs(unknown, absl::StatusCode::kInvalidArgument, {"gw.yaml", "parties[0].pccs", "'Q'"}));

  auto no_identity = PartyRegistry::Create({{"P", "p", {}}}, {{"a", Role::kTso, "", {}, true}}, "gw.yaml");
  EXPECT_TRUE(StatusIs(no_identity, absl::StatusCode::kInvalidArgument, {"parties[0].identity", "'a'"}));

  auto dup_pcc = PartyRegistry::Create({{"P", "p", {}}, {"P", "p2", {}}}, {}, "gw.yaml");
  EXPECT_TRUE(StatusIs(dup_pcc, absl::StatusCode::kInvalidArgument, {"pccs[1].id", "'P'"}));

  auto bad_kv = PartyRegistry::Create({{"P", "p", {20, -5}}}, {}, "gw.yaml");
  EXPECT_TRUE(StatusIs(bad_kv, absl::StatusCode::kInvalidArgument, {"pccs[0].voltage_levels_kv", "-5"}));
}

TEST(RequireOperatorTest, OperatorPasses) {
  const PartyRegistry reg = SampleRegistry();
  EXPECT_TRUE(RequireOperator(*reg.FindById("dso-operator"), "PublishNotice").ok());
}

TEST(RequireOperatorTest, OthersAreDeniedWithPartyAndRoleNamed) {
  const PartyRegistry reg = SampleRegistry();
  EXPECT_TRUE(StatusIs(RequireOperator(*reg.FindById("tso-terna"), "PublishNotice"),
                       absl::StatusCode::kPermissionDenied, {"PublishNotice", "'tso-terna'", "TSO"}));
  EXPECT_TRUE(StatusIs(RequireOperator(*reg.FindById("agg-1"), "PublishNotice"), absl::StatusCode::kPermissionDenied,
                       {"PublishNotice", "'agg-1'", "AGGREGATOR"}));
}

}  // namespace
}  // namespace tsodso::core
