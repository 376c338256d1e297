// Schedules in a real PostgreSQL: every revision kept and read back exactly,
// "as known at", and concurrent retries of one submission stored once.
#include "store/schedule_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "pg_fixture.h"
#include "store/idempotency.h"
#include "support/status_testing.h"

namespace tsodso::store {
namespace {

using ::tsodso::testing::StatusIs;

const absl::Time kStart = absl::FromUnixSeconds(1'795'046'400);  // a quarter hour

core::Schedule Make(int64_t revision, double level, int n = 96) {
  core::Schedule s;
  s.portfolio_id = "agg1-sud-vpp";
  s.pcc_id = "PS_SUD";
  s.revision = revision;
  s.submitted_by = "agg-1";
  for (int i = 0; i < n; ++i) {
    core::ScheduleValue v{kStart + i * absl::Minutes(15), level + i * 0.001, std::nullopt};
    if (i % 3 == 0) v.q_mvar = -0.1 * i;
    s.intervals.push_back(v);
  }
  return s;
}

class ScheduleStoreTest : public ::tsodso::testing::PgTest {
 protected:
  absl::Status Submit(PgConnection& conn, const core::Schedule& s, absl::Time at) {
    return InTransaction(conn, [&]() -> absl::Status {
      auto latest = LockScheduleHead(conn, s.portfolio_id);
      if (!latest.ok()) return latest.status();
      if (s.revision <= latest->revision) return absl::FailedPreconditionError("stale");
      return InsertSchedule(conn, s, at, "receipt-" + std::to_string(s.revision));
    });
  }
};

TEST_F(ScheduleStoreTest, EveryRevisionIsKeptAndReadBackExactly) {
  const absl::Time t1 = absl::FromUnixMicros(1'795'000'000'000'001);
  const absl::Time t2 = t1 + absl::Seconds(30);
  ASSERT_TRUE(Submit(*conn_, Make(1, 2.0 / 3.0), t1).ok());
  ASSERT_TRUE(Submit(*conn_, Make(2, 5.5), t2).ok());
  EXPECT_EQ(Count("schedules"), 2);
  EXPECT_EQ(Count("schedule_intervals"), 192);

  auto first = ReadSchedule(*conn_, "agg1-sud-vpp", 1, absl::Now());
  ASSERT_TRUE(first.ok()) << first.status();
  const core::Schedule want = Make(1, 2.0 / 3.0);
  ASSERT_EQ(first->schedule.intervals.size(), want.intervals.size());
  for (size_t i = 0; i < want.intervals.size(); ++i) {
    EXPECT_EQ(first->schedule.intervals[i].start, want.intervals[i].start);
    EXPECT_EQ(first->schedule.intervals[i].p_mw, want.intervals[i].p_mw);  // bit for bit
    EXPECT_EQ(first->schedule.intervals[i].q_mvar, want.intervals[i].q_mvar);
  }
  EXPECT_EQ(first->received_at, t1);
  // A tiny (subnormal) value reads back as itself.
  core::Schedule tiny = Make(3, 1e-310, 1);
  tiny.intervals[0].q_mvar = -4e-320;
  ASSERT_TRUE(Submit(*conn_, tiny, t2 + absl::Seconds(1)).ok());
  auto tiny_back = ReadSchedule(*conn_, "agg1-sud-vpp", 3, absl::Now());
  ASSERT_TRUE(tiny_back.ok()) << tiny_back.status();
  EXPECT_EQ(tiny_back->schedule.intervals[0].p_mw, 1e-310);
  EXPECT_EQ(*tiny_back->schedule.intervals[0].q_mvar, -4e-320);
  EXPECT_EQ(first->latest_revision, 2);  // when it was read
  EXPECT_EQ(first->schedule.submitted_by, "agg-1");

  auto latest = ReadSchedule(*conn_, "agg1-sud-vpp", 0, absl::Now());
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->schedule.revision, 3);
  auto then = ReadSchedule(*conn_, "agg1-sud-vpp", 0, t2 - absl::Microseconds(1));
  ASSERT_TRUE(then.ok());
  EXPECT_EQ(then->schedule.revision, 1);
  EXPECT_TRUE(StatusIs(ReadSchedule(*conn_, "agg1-sud-vpp", 0, t1 - absl::Seconds(1)), absl::StatusCode::kNotFound,
                       {"as_of", "agg1-sud-vpp"}));
  EXPECT_TRUE(
      StatusIs(ReadSchedule(*conn_, "agg1-sud-vpp", 7, absl::Now()), absl::StatusCode::kNotFound, {"revision 7"}));
  // A stale revision changes nothing.
  EXPECT_TRUE(StatusIs(Submit(*conn_, Make(2, 9.0), absl::Now()), absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Count("schedule_intervals"), 193);
}

TEST_F(ScheduleStoreTest, ConcurrentRetriesOfOneSubmissionStoreItOnce) {
  // Eight clients retry the same request at once, as after a lost answer:
  // one stores it, the others get its receipt.
  const IdempotencyKey key{"agg-1", "/tsodso.v1.ScheduleService/SubmitSchedule", "same-key"};
  std::atomic<int> stored{0}, replayed{0}, failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      auto conn = Connect();
      auto st = InTransaction(*conn, [&]() -> absl::Status {
        auto earlier = ClaimIdempotencyKey(*conn, key, "digest");
        if (!earlier.ok()) return earlier.status();
        if (earlier->has_value()) {
          ++replayed;
          return absl::OkStatus();
        }
        auto latest = LockScheduleHead(*conn, "agg1-sud-vpp");
        if (!latest.ok()) return latest.status();
        if (auto s = InsertSchedule(*conn, Make(latest->revision + 1, 1.0), absl::Now(), "r"); !s.ok()) return s;
        ++stored;
        return RememberResponse(*conn, key, "digest", "r");
      });
      if (!st.ok()) ++failed;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(stored, 1);
  EXPECT_EQ(replayed, 7);
  EXPECT_EQ(Count("schedules"), 1);
}

TEST_F(ScheduleStoreTest, ConcurrentRevisionsOfOnePortfolioTakeTurns) {
  // Each writer takes the next revision under the head lock: no revision
  // is lost or stored twice.
  std::atomic<int> failed{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 6; ++w) {
    writers.emplace_back([&] {
      auto conn = Connect();
      for (int i = 0; i < 5; ++i) {
        auto st = InTransaction(*conn, [&]() -> absl::Status {
          auto latest = LockScheduleHead(*conn, "agg1-sud-vpp");
          if (!latest.ok()) return latest.status();
          return InsertSchedule(*conn, Make(latest->revision + 1, 1.0, 4), absl::Now(), "r");
        });
        if (!st.ok()) ++failed;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failed, 0);
  auto r = Sql("SELECT count(*), max(revision), min(revision) FROM schedules");
  EXPECT_EQ(r.Int64(0, 0), 30);
  EXPECT_EQ(r.Int64(0, 1), 30);
  EXPECT_EQ(r.Int64(0, 2), 1);
}

}  // namespace
}  // namespace tsodso::store
