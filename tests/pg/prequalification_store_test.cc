// Prequalification in a real PostgreSQL: decisions kept, the standing
// qualification read back, and two aggregators claiming one asset at once
// decided one after the other.
#include "store/prequalification_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "pg_fixture.h"

namespace tsodso::store {
namespace {

const absl::Time kNow = absl::FromUnixMicros(1'795'000'000'123'456);

class PrequalificationStoreTest : public ::tsodso::testing::PgTest {};

TEST_F(PrequalificationStoreTest, DecisionsAreKeptAndTheStandingQualificationIsReadBack) {
  core::AssetDecision yes{"a-1", true, core::QualificationReason::kNone, kNow + absl::Hours(24), -2.5, 7.25};
  core::AssetDecision no{"a-2", false, core::QualificationReason::kOutsideAgreement, {}, 0, 0};
  ASSERT_TRUE(InTransaction(*conn_, [&]() -> absl::Status {
                if (auto st = SaveDecision(*conn_, "agg-1", yes, kNow); !st.ok()) return st;
                return SaveDecision(*conn_, "agg-1", no, kNow);
              }).ok());
  EXPECT_EQ(Count("prequalification_decisions"), 2);
  auto q = ReadQualifications(*conn_, {"a-1", "a-2", "a-\"3"});
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->size(), 1u);  // only the granted one stands
  EXPECT_EQ(q->at("a-1").aggregator, "agg-1");
  EXPECT_EQ(q->at("a-1").valid_until, kNow + absl::Hours(24));
  EXPECT_EQ(q->at("a-1").p_min_mw, -2.5);
  EXPECT_EQ(q->at("a-1").p_max_mw, 7.25);

  // Refused later, its holder loses it; another's refusal changes nothing.
  core::AssetDecision refused{"a-1", false, core::QualificationReason::kOutsideAgreement, {}, 0, 0};
  ASSERT_TRUE(InTransaction(*conn_, [&] { return SaveDecision(*conn_, "agg-2", refused, kNow); }).ok());
  EXPECT_EQ(Count("qualifications"), 1);
  ASSERT_TRUE(InTransaction(*conn_, [&] { return SaveDecision(*conn_, "agg-1", refused, kNow); }).ok());
  EXPECT_EQ(Count("qualifications"), 0);
}

TEST_F(PrequalificationStoreTest, TwoAggregatorsClaimingOneAssetAreDecidedInTurn) {
  const core::RegisteredAsset reg{"a-1", "PS_SUD", "F1-5", "battery", {10, -10, 10, -5, 5}};
  const core::AssetClaim claim{"a-1", "battery", "PS_SUD", {10, -10, 10, -5, 5}};
  std::atomic<int> qualified{0}, refused{0}, failed{0};
  std::vector<std::thread> aggregators;
  for (int a = 0; a < 6; ++a) {
    aggregators.emplace_back([&, a] {
      auto conn = Connect();
      core::Party me;
      me.id = "agg-" + std::to_string(a);
      me.role = core::Role::kAggregator;
      me.all_pccs = true;
      auto st = InTransaction(*conn, [&]() -> absl::Status {
        if (auto s = LockAssets(*conn, {"a-1"}); !s.ok()) return s;
        auto standing = ReadQualifications(*conn, {"a-1"});
        if (!standing.ok()) return standing.status();
        auto it = standing->find("a-1");
        const core::AssetDecision d =
            core::Decide(claim, &reg, it == standing->end() ? std::nullopt : std::optional(it->second), me, absl::Now(),
                         absl::Hours(1));
        (d.qualified ? qualified : refused)++;
        return SaveDecision(*conn, me.id, d, absl::Now());
      });
      if (!st.ok()) ++failed;
    });
  }
  for (auto& t : aggregators) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(qualified, 1);
  EXPECT_EQ(refused, 5);
  EXPECT_EQ(Count("qualifications"), 1);
}

}  // namespace
}  // namespace tsodso::store
