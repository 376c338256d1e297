// The grid-limited figures of a day computed one after another (each LP
// warm-started from the last ISP's, intervals whose inputs are cached not
// computed again) against each interval computed on its own from scratch,
// on PS Sud as the demo configures it.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "app/flex_config.h"
#include "app/grid_files.h"
#include "core/pcc/pcc_network.h"

namespace tsodso {
namespace {

const std::string kConfig = std::string(TSODSO_SOURCE_DIR) + "/config/";

class GridSeriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto classes = app::LoadDerClasses(kConfig + "der-classes.yaml");
    ASSERT_TRUE(classes.ok()) << classes.status();
    auto sc = app::LoadScenario(kConfig + "ps-sud/as-is.yaml", "PS_SUD", core::kCurrentScenario, *classes);
    ASSERT_TRUE(sc.ok()) << sc.status();
    scenario_ = *std::move(sc);
    core::FlexCatalog flex;
    flex.by_pcc["PS_SUD"][core::kCurrentScenario] = scenario_;
    auto grids = app::LoadGridCatalog({{"PS_SUD", kConfig + "grids/ps-sud"}}, flex);
    ASSERT_TRUE(grids.ok()) << grids.status();
    network_ = grids->networks.at("PS_SUD");
  }

  // Every ISP of a winter weekday: the load near its peak, CHP flat out.
  std::vector<absl::Time> Day() const {
    std::vector<absl::Time> isps;
    const absl::Time day = absl::FromCivil(absl::CivilDay(2025, 1, 15), absl::UTCTimeZone());
    for (absl::Time t = day; t < day + absl::Hours(24); t += scenario_.interval) isps.push_back(t);
    return isps;
  }

  core::FlexScenario scenario_;
  core::PccNetwork network_;
};

// Figures within `mw` of each other, and the areas' reach in 32 directions.
void ExpectClose(const core::GridLimitedFlex& a, const core::GridLimitedFlex& b, double mw, const std::string& where) {
  EXPECT_EQ(a.within_limits, b.within_limits) << where;
  EXPECT_NEAR(a.operating.p, b.operating.p, 1e-9) << where;
  EXPECT_NEAR(a.operating.q, b.operating.q, 1e-9) << where;
  EXPECT_NEAR(a.p_up_mw, b.p_up_mw, mw) << where;
  EXPECT_NEAR(a.p_down_mw, b.p_down_mw, mw) << where;
  EXPECT_NEAR(a.q_up_mvar, b.q_up_mvar, mw) << where;
  EXPECT_NEAR(a.q_down_mvar, b.q_down_mvar, mw) << where;
  for (int k = 0; k < 32; ++k) {
    const double th = 2 * M_PI * k / 32;
    EXPECT_NEAR(a.area.Support(std::cos(th), std::sin(th)), b.area.Support(std::cos(th), std::sin(th)), mw)
        << where << ", direction " << k;
  }
}

TEST_F(GridSeriesTest, AWarmStartedCachedDayEqualsEachIspSolvedFromScratch) {
  core::GridAreaOptions every_rating;
  every_rating.rating_rows_on_demand = false;
  every_rating.eliminate_der_free_buses = false;
  core::GridLimitedCache cache;
  core::GridLimitedSeries series(network_, scenario_.model, scenario_.interval, {}, {}, &cache);
  double largest = 0;
  for (absl::Time t : Day()) {
    const std::string where = absl::FormatTime(t);
    auto warm = series.At(t);
    ASSERT_TRUE(warm.ok()) << where << ": " << warm.status();
    // From scratch, with the ratings added as optima break them, and with
    // every rating and every bus's rows in the LP from the start (the LP as
    // it was built before).
    auto cold = core::GridLimitedAt(network_, scenario_.model, t, scenario_.interval);
    auto reference = core::GridLimitedAt(network_, scenario_.model, t, scenario_.interval, every_rating);
    ASSERT_TRUE(cold.ok()) << where << ": " << cold.status();
    ASSERT_TRUE(reference.ok()) << where << ": " << reference.status();
    EXPECT_TRUE(warm->within_limits) << where;
    ExpectClose(*warm, *reference, 0.01, where);
    ExpectClose(*cold, *reference, 0.01, where);
    for (double d : {warm->p_up_mw - reference->p_up_mw, warm->p_down_mw - reference->p_down_mw,
                     warm->q_up_mvar - reference->q_up_mvar, warm->q_down_mvar - reference->q_down_mvar}) {
      largest = std::max(largest, std::abs(d));
    }
  }
  std::cout << "largest difference of a figure, warm-started against from scratch: " << largest << " MW/Mvar\n";
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.size(), 96u);

  // The same day again: every ISP from the cache, the same figures.
  core::GridLimitedSeries again(network_, scenario_.model, scenario_.interval, {}, {}, &cache);
  for (absl::Time t : Day()) {
    auto cached = again.At(t);
    auto warm = series.At(t);
    ASSERT_TRUE(cached.ok() && warm.ok());
    ExpectClose(*cached, *warm, 0, absl::FormatTime(t));
  }
  EXPECT_EQ(cache.hits(), 2 * 96u);
}

TEST_F(GridSeriesTest, AnIspWhoseInputsChangedIsComputedAgain) {
  core::GridLimitedCache cache;
  const std::vector<absl::Time> day = Day();
  core::GridLimitedSeries first(network_, scenario_.model, scenario_.interval, {}, {}, &cache);
  for (absl::Time t : day) ASSERT_TRUE(first.At(t).ok());
  // A portfolio schedules 1 MW more consumption at one bus in one ISP:
  // that ISP's operating point moves, the others come from the cache.
  const absl::Time busy = day[40];
  const core::PlacedBaseline schedule{{network_.grid->BusIndex("F3-14")}, {{busy, {1.0, 0.0}}}};
  core::GridLimitedSeries second(network_, scenario_.model, scenario_.interval, {}, {schedule}, &cache);
  for (absl::Time t : day) {
    auto g = second.At(t);
    ASSERT_TRUE(g.ok()) << g.status();
    auto plain = core::GridLimitedAt(network_, scenario_.model, t, scenario_.interval);
    ASSERT_TRUE(plain.ok()) << plain.status();
    if (t == busy) {
      EXPECT_GT(g->operating.p - plain->operating.p, 1.0);
      EXPECT_LT(g->operating.p - plain->operating.p, 1.2);  // and the losses it adds at peak
    } else {
      EXPECT_DOUBLE_EQ(g->operating.p, plain->operating.p);
    }
  }
  EXPECT_EQ(cache.hits(), day.size() - 1);
}

}  // namespace
}  // namespace tsodso
