// The PCCs' shared work in a real PostgreSQL: a due PCC goes to one
// replica at a time, a lapsed lease to another, a replica's own PCCs come
// first, and a cycle completes once, whoever computed it.
#include "store/pcc_work_store.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "pg_fixture.h"

namespace tsodso::store {
namespace {

class PccWorkStoreTest : public ::tsodso::testing::PgTest {
 protected:
  PccWorkOptions Replica(const std::string& name, absl::Duration lease = absl::Seconds(30)) {
    return {name, lease, absl::Minutes(15)};
  }
  std::optional<PccLease> Claim(const PccWorkOptions& replica, const std::vector<std::string>& pccs) {
    auto lease = ClaimDuePcc(*conn_, pccs, replica);
    EXPECT_TRUE(lease.ok()) << lease.status();
    return lease.ok() ? *lease : std::nullopt;
  }
  bool Complete(const PccWorkOptions& replica, const PccLease& lease) {
    auto done = CompleteCycle(*conn_, lease, replica);
    EXPECT_TRUE(done.ok()) << done.status();
    return done.ok() && *done;
  }
};

TEST_F(PccWorkStoreTest, EachDuePccGoesToOneReplicaAndIsDueAgainAfterAnInterval) {
  const std::vector<std::string> pccs = {"P1", "P2", "P3"};
  ASSERT_TRUE(RegisterPccs(*conn_, pccs).ok());
  ASSERT_TRUE(RegisterPccs(*conn_, pccs).ok());  // a second replica's start changes nothing
  EXPECT_EQ(Count("pcc_work"), 3);
  const auto a = Replica("a"), b = Replica("b");
  std::set<std::string> claimed;
  for (const auto* r : {&a, &b, &a}) {
    auto lease = Claim(*r, pccs);
    ASSERT_TRUE(lease.has_value());
    EXPECT_EQ(lease->cycle, 0);
    EXPECT_TRUE(claimed.insert(lease->pcc_id).second) << lease->pcc_id << " claimed twice";
  }
  EXPECT_FALSE(Claim(b, pccs).has_value());  // every due PCC is leased
  for (const auto& pcc : claimed) EXPECT_TRUE(Complete(a, {pcc, 0}));
  // Published: due again only after the interval.
  EXPECT_FALSE(Claim(a, pccs).has_value());
  EXPECT_EQ(Sql("SELECT count(*) FROM pcc_work WHERE cycle = 1 AND due_at > now() + interval '14 minutes' "
                "AND leased_by IS NULL AND published_by = 'a'")
                .Int64(0, 0),
            3);
  // Changed inputs make them due at once.
  ASSERT_TRUE(MarkPccsDue(*conn_, {"P2"}).ok());
  auto again = Claim(b, pccs);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->pcc_id, "P2");
  EXPECT_EQ(again->cycle, 1);
  // A PCC far behind (due 40 minutes ago) skips the slots it missed: due
  // at the next slot of its cadence, not at once again.
  Sql("UPDATE pcc_work SET due_at = now() - interval '40 minutes' WHERE pcc_id = 'P2'");
  ASSERT_TRUE(Complete(b, *again));
  EXPECT_FALSE(Claim(a, pccs).has_value());
  EXPECT_EQ(Sql("SELECT count(*) FROM pcc_work WHERE pcc_id = 'P2' AND due_at > now() + interval '4 minutes' "
                "AND due_at <= now() + interval '5 minutes'")
                .Int64(0, 0),
            1);
}

TEST_F(PccWorkStoreTest, InputsChangedWhileAPccIsComputedMakeItDueAgainOnceItsCycleCompletes) {
  const std::vector<std::string> pccs = {"P1", "P2"};
  ASSERT_TRUE(RegisterPccs(*conn_, pccs).ok());
  const auto a = Replica("a");
  auto p1 = Claim(a, pccs);
  auto p2 = Claim(a, pccs);
  ASSERT_TRUE(p1.has_value() && p2.has_value());
  // The inputs change while both are computed from the old ones; P2's
  // cycle had completed just before.
  ASSERT_TRUE(Complete(a, *p2));
  ASSERT_TRUE(MarkPccsDue(*conn_, pccs).ok());
  ASSERT_TRUE(Complete(a, *p1));
  // P1 was computed from the old inputs: due at once for its next cycle.
  // P2 was marked after it completed: due at once as well.
  std::set<std::string> due;
  for (int i = 0; i < 2; ++i) {
    auto lease = Claim(a, pccs);
    ASSERT_TRUE(lease.has_value()) << i;
    EXPECT_EQ(lease->cycle, 1);
    due.insert(lease->pcc_id);
    ASSERT_TRUE(Complete(a, *lease));
  }
  EXPECT_EQ(due, std::set<std::string>(pccs.begin(), pccs.end()));
  // Those cycles saw the new inputs: the next are at the cadence again.
  EXPECT_FALSE(Claim(a, pccs).has_value());
  EXPECT_EQ(Sql("SELECT count(*) FROM pcc_work WHERE due_at > now() + interval '14 minutes' "
                "AND NOT marked_while_leased")
                .Int64(0, 0),
            2);
}

TEST_F(PccWorkStoreTest, ALapsedLeaseGoesToAnotherAndTheCyclePublishesOnce) {
  ASSERT_TRUE(RegisterPccs(*conn_, {"P1"}).ok());
  // A lease long enough to outlast the calls before the pause on a slow
  // (sanitizer) build, short enough for a quick test.
  const auto a = Replica("a", absl::Seconds(2)), b = Replica("b");
  auto lease_a = Claim(a, {"P1"});
  ASSERT_TRUE(lease_a.has_value());
  EXPECT_FALSE(Claim(b, {"P1"}).has_value());
  auto renewed = RenewLease(*conn_, *lease_a, a);
  ASSERT_TRUE(renewed.ok() && *renewed);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  // A stopped renewing: B takes the PCC, and A learns it on its next renewal.
  auto lease_b = Claim(b, {"P1"});
  ASSERT_TRUE(lease_b.has_value());
  EXPECT_EQ(lease_b->cycle, lease_a->cycle);
  renewed = RenewLease(*conn_, *lease_a, a);
  ASSERT_TRUE(renewed.ok());
  EXPECT_FALSE(*renewed);
  // Both computed cycle 1: whichever completes first publishes it, the
  // other nothing.
  EXPECT_TRUE(Complete(a, *lease_a));
  EXPECT_FALSE(Complete(b, *lease_b));
  EXPECT_EQ(Sql("SELECT cycle FROM pcc_work").Int64(0, 0), 1);
}

TEST_F(PccWorkStoreTest, AReplicaTakesItsOwnPccsFirstAndGivesItsClaimsBackWhenItStops) {
  const std::vector<std::string> pccs = {"P1", "P2", "P3", "P4"};
  ASSERT_TRUE(RegisterPccs(*conn_, pccs).ok());
  const auto a = Replica("a"), b = Replica("b");
  // B published P3 last; A published the others.
  for (const std::string& pcc : pccs) {
    Sql("UPDATE pcc_work SET published_by = $2 WHERE pcc_id = $1", {pcc, pcc == "P3" ? "b" : "a"});
  }
  auto first = Claim(b, pccs);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->pcc_id, "P3");
  auto second = Claim(b, pccs);  // then A's, the longest due first
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->pcc_id, "P1");
  ASSERT_TRUE(ReleaseLeases(*conn_, b).ok());
  auto taken = Claim(a, pccs);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->pcc_id, "P1");
}

TEST_F(PccWorkStoreTest, PreliminaryFiguresGoOutOncePerCycleForPccsNotPublishedLately) {
  ASSERT_TRUE(RegisterPccs(*conn_, {"P1", "P2"}).ok());
  const auto a = Replica("a");
  auto first = ClaimPreliminary(*conn_, {"P1", "P2"}, a);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(std::set<std::string>(first->begin(), first->end()), (std::set<std::string>{"P1", "P2"}));
  auto again = ClaimPreliminary(*conn_, {"P1", "P2"}, a);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  // P1 published; made due again: it was published lately, no preliminary.
  ASSERT_TRUE(Complete(a, {"P1", 0}));
  ASSERT_TRUE(MarkPccsDue(*conn_, {"P1"}).ok());
  auto later = ClaimPreliminary(*conn_, {"P1", "P2"}, a);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->empty());
}

}  // namespace
}  // namespace tsodso::store
