// Forecast issues in a real PostgreSQL: every issue kept, "what was
// forecast at T" is the latest issue at or before T, per PCC and kind.
#include "store/forecast_store.h"

#include <gtest/gtest.h>

#include "pg_fixture.h"

namespace tsodso::store {
namespace {

const absl::Time kIsp = absl::FromUnixSeconds(1795000500);

class ForecastStoreTest : public ::tsodso::testing::PgTest {};

TEST_F(ForecastStoreTest, TheLatestIssueAtOrBeforeATimeIsReadBackWithItsBody) {
  const std::string body("for\0ecast", 9);
  const StoredForecast first{"f-1", "PS_SUD", 2, kIsp + absl::Seconds(10), kIsp, kIsp + absl::Hours(6), body};
  const StoredForecast second{"f-2", "PS_SUD", 2, kIsp + absl::Minutes(15) + absl::Seconds(10),
                              kIsp + absl::Minutes(15), kIsp + absl::Hours(6) + absl::Minutes(15), "second"};
  const StoredForecast other_kind{"f-3", "PS_SUD", 1, kIsp + absl::Minutes(20), kIsp, kIsp + absl::Hours(24), "da"};
  for (const StoredForecast* f : {&first, &second, &other_kind}) {
    ASSERT_TRUE(InTransaction(*conn_, [&] { return InsertForecast(*conn_, *f); }).ok());
  }
  auto before = LatestForecast(*conn_, "PS_SUD", 2, kIsp);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE(before->has_value());
  auto then = LatestForecast(*conn_, "PS_SUD", 2, kIsp + absl::Minutes(5));
  ASSERT_TRUE(then.ok() && then->has_value());
  EXPECT_EQ((*then)->forecast_id, "f-1");
  EXPECT_EQ((*then)->body, body);
  EXPECT_EQ((*then)->issued_at, first.issued_at);
  EXPECT_EQ((*then)->end, first.end);
  auto now = LatestForecast(*conn_, "PS_SUD", 2, kIsp + absl::Hours(1));
  ASSERT_TRUE(now.ok() && now->has_value());
  EXPECT_EQ((*now)->forecast_id, "f-2");
  auto day_ahead = LatestForecast(*conn_, "PS_SUD", 1, kIsp + absl::Hours(1));
  ASSERT_TRUE(day_ahead.ok() && day_ahead->has_value());
  EXPECT_EQ((*day_ahead)->forecast_id, "f-3");
  auto elsewhere = LatestForecast(*conn_, "PS_EST", 2, kIsp + absl::Hours(1));
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(elsewhere->has_value());
  // An id is issued once.
  EXPECT_FALSE(InTransaction(*conn_, [&] { return InsertForecast(*conn_, first); }).ok());
}

}  // namespace
}  // namespace tsodso::store
