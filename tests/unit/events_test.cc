#include <gtest/gtest.h>

#include "core/events/event.h"
#include "sample_registry.h"
#include "support/status_testing.h"

namespace tsodso::core {
namespace {

using ::tsodso::testing::SampleRegistry;
using ::tsodso::testing::StatusIs;

Envelope ForPcc(std::string pcc, RoleMask audience = kAllRoles) {
  return Envelope{Topic::kNotice, std::move(pcc), "", audience};
}

class EventsTest : public ::testing::Test {
 protected:
  const PartyRegistry reg_ = SampleRegistry();
  const Party& tso_ = *reg_.FindById("tso-terna");
  const Party& agg1_ = *reg_.FindById("agg-1");
  const Party& agg2_ = *reg_.FindById("agg-2");
  const Party& op_ = *reg_.FindById("dso-operator");
};

TEST(TopicTest, OnlyTheTopicsOfTheContractAreKnown) {
  EXPECT_TRUE(IsKnownTopic(1));
  EXPECT_TRUE(IsKnownTopic(2));
  EXPECT_FALSE(IsKnownTopic(0));
  EXPECT_TRUE(IsKnownTopic(7));
  EXPECT_TRUE(IsKnownTopic(8));
  EXPECT_FALSE(IsKnownTopic(9));
  EXPECT_FALSE(IsKnownTopic(-1));
  EXPECT_STREQ(TopicName(Topic::kNotice), "NOTICE");
  EXPECT_STREQ(TopicName(Topic::kFlexibility), "FLEXIBILITY");
  EXPECT_STREQ(TopicName(Topic::kForecast), "FORECAST");
}

TEST_F(EventsTest, OperatorReceivesEverything) {
  EXPECT_TRUE(MayReceive(op_, ForPcc("PS_SUD")));
  EXPECT_TRUE(MayReceive(op_, ForPcc("PS_SUD", RoleBit(Role::kTso))));
  EXPECT_TRUE(MayReceive(op_, Envelope{Topic::kNotice, "PS_SUD", "agg-1", kAllRoles}));
  EXPECT_TRUE(MayReceive(op_, ForPcc("", 0)));
}

TEST_F(EventsTest, RecipientAddressedEventGoesToThatPartyAlone) {
  const Envelope to_agg1{Topic::kNotice, "PS_SUD", "agg-1", kAllRoles};
  EXPECT_TRUE(MayReceive(agg1_, to_agg1));
  EXPECT_FALSE(MayReceive(agg2_, to_agg1));
  EXPECT_FALSE(MayReceive(tso_, to_agg1));  // sees PS_SUD, but the event is not for it
  // Addressing wins over audience and PCC: the recipient gets it even when
  // its role is not in the audience and the PCC is not one it sees.
  const Envelope odd{Topic::kNotice, "PS_EST", "agg-1", RoleBit(Role::kTso)};
  EXPECT_TRUE(MayReceive(agg1_, odd));
  EXPECT_FALSE(MayReceive(tso_, odd));
}

TEST_F(EventsTest, AudienceRoleMaskIsHonoured) {
  const Envelope tso_only = ForPcc("PS_SUD", RoleBit(Role::kTso));
  EXPECT_TRUE(MayReceive(tso_, tso_only));
  EXPECT_FALSE(MayReceive(agg1_, tso_only));
  const Envelope agg_only = ForPcc("PS_SUD", RoleBit(Role::kAggregator));
  EXPECT_FALSE(MayReceive(tso_, agg_only));
  EXPECT_TRUE(MayReceive(agg1_, agg_only));
  const Envelope nobody = ForPcc("", 0);
  EXPECT_FALSE(MayReceive(tso_, nobody));
  EXPECT_FALSE(MayReceive(agg1_, nobody));
}

TEST_F(EventsTest, PccVisibilityIsHonoured) {
  EXPECT_TRUE(MayReceive(agg1_, ForPcc("PS_SUD")));
  EXPECT_FALSE(MayReceive(agg1_, ForPcc("PS_EST")));
  EXPECT_FALSE(MayReceive(agg2_, ForPcc("PS_SUD")));
  EXPECT_TRUE(MayReceive(agg2_, ForPcc("PS_EST")));
  EXPECT_TRUE(MayReceive(tso_, ForPcc("PS_EST")));
}

TEST_F(EventsTest, EventOfNoPccGoesToEveryPartyOfTheAudience) {
  for (const Party* p : {&tso_, &agg1_, &agg2_, &op_}) EXPECT_TRUE(MayReceive(*p, ForPcc(""))) << p->id;
  Party blind{"blind", Role::kAggregator, "blind-cn", {}, false};
  EXPECT_TRUE(MayReceive(blind, ForPcc("")));
  EXPECT_FALSE(MayReceive(blind, ForPcc("PS_SUD")));
}

TEST_F(EventsTest, FilterOfNothingAcceptsEverything) {
  auto f = MakeSubscriptionFilter(agg2_, reg_, {}, {}, 0);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->topics.empty());
  EXPECT_TRUE(f->pcc_ids.empty());
  EXPECT_EQ(f->resume_after_seq, 0);
  EXPECT_TRUE(f->Matches(ForPcc("PS_EST")));
  EXPECT_TRUE(f->Matches(ForPcc("")));
}

TEST_F(EventsTest, FilterKeepsTopicsPccsAndResumePoint) {
  auto f = MakeSubscriptionFilter(agg2_, reg_, {1, 1}, {"PS_EST"}, 42);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->topics, (std::set<Topic>{Topic::kNotice}));
  EXPECT_EQ(f->pcc_ids, (std::set<std::string>{"PS_EST"}));
  EXPECT_EQ(f->resume_after_seq, 42);
  EXPECT_TRUE(f->Matches(ForPcc("PS_EST")));
  EXPECT_FALSE(f->Matches(ForPcc("PS_OVEST")));
  // An event of no PCC concerns every subscriber, whatever PCCs it chose.
  EXPECT_TRUE(f->Matches(ForPcc("")));
}

TEST_F(EventsTest, FilterRejectsUnknownTopicNamingTheIndex) {
  auto f = MakeSubscriptionFilter(tso_, reg_, {1, 42}, {}, 0);
  EXPECT_TRUE(StatusIs(f, absl::StatusCode::kInvalidArgument, {"topics[1]", "42"}));
  auto zero = MakeSubscriptionFilter(tso_, reg_, {0}, {}, 0);
  EXPECT_TRUE(StatusIs(zero, absl::StatusCode::kInvalidArgument, {"topics[0]", "0"}));
}

TEST_F(EventsTest, FilterRejectsUnknownPcc) {
  auto f = MakeSubscriptionFilter(tso_, reg_, {}, {"PS_SUD", "PS_NORD"}, 0);
  EXPECT_TRUE(StatusIs(f, absl::StatusCode::kInvalidArgument, {"pcc_ids[1]", "'PS_NORD'"}));
  // A party that may not see a PCC is not told whether it exists.
  auto g = MakeSubscriptionFilter(agg1_, reg_, {}, {"PS_NORD"}, 0);
  EXPECT_TRUE(StatusIs(g, absl::StatusCode::kPermissionDenied, {"pcc_ids[0]", "'PS_NORD'"}));
}

TEST_F(EventsTest, FilterRefusesPccThePartyMayNotSee) {
  auto f = MakeSubscriptionFilter(agg1_, reg_, {}, {"PS_SUD", "PS_EST"}, 0);
  EXPECT_TRUE(StatusIs(f, absl::StatusCode::kPermissionDenied, {"pcc_ids[1]", "'agg-1'", "'PS_EST'"}));
  EXPECT_TRUE(MakeSubscriptionFilter(op_, reg_, {}, {"PS_SUD", "PS_EST"}, 0).ok());
}

TEST_F(EventsTest, FilterRejectsNegativeResumePoint) {
  auto f = MakeSubscriptionFilter(tso_, reg_, {}, {}, -3);
  EXPECT_TRUE(StatusIs(f, absl::StatusCode::kInvalidArgument, {"resume_after_seq", "-3"}));
}

TEST_F(EventsTest, ShouldDeliverNeedsBothPermissionAndInterest) {
  auto f = MakeSubscriptionFilter(tso_, reg_, {}, {"PS_SUD"}, 0);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(ShouldDeliver(tso_, *f, ForPcc("PS_SUD")));
  EXPECT_FALSE(ShouldDeliver(tso_, *f, ForPcc("PS_EST")));                              // not asked for
  EXPECT_FALSE(ShouldDeliver(tso_, *f, ForPcc("PS_SUD", RoleBit(Role::kAggregator))));  // not allowed
}

}  // namespace
}  // namespace tsodso::core
