// The PCC forecast put together: the load forecast, the DERs' production
// with its climatological band, and the aggregators' schedules.
#include "core/forecast/pcc_forecast.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/common/time.h"
#include "sample_ders.h"
#include "test_grids.h"

namespace tsodso::core {
namespace {

absl::Time Utc(int y, int mo, int d, int h) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, 0, 0), absl::UTCTimeZone());
}

class PccForecastTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(absl::LoadTimeZone("Europe/Rome", &zone_)); }
  absl::TimeZone zone_;
  const absl::Time issued_ = Utc(2025, 3, 12, 11);
  const absl::Time from_ = Utc(2025, 3, 12, 11);
  const absl::Time to_ = Utc(2025, 3, 12, 17);
};

TEST_F(PccForecastTest, AConstantLoadWithoutDersIsItsOwnNarrowForecastAndSchedulesAdd) {
  const PccModel model = testing::ConstantLoadModel(50);
  const Series history = LoadHistoryFromModel(model, issued_ - absl::Hours(24 * 60), issued_);
  const PccBaseline baseline = {{from_ + absl::Minutes(15), {3.0, -1.0}}};
  auto f = ForecastPcc(model, history, baseline, nullptr, issued_, from_, to_, ForecastKind::kIntraday, zone_);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->size(), 24u);
  EXPECT_NEAR((*f)[0].p_mw.p50, 50, 1e-9);
  EXPECT_NEAR((*f)[0].p_mw.p10, 50, 1e-6);
  EXPECT_NEAR((*f)[0].p_mw.p90, 50, 1e-6);
  EXPECT_NEAR((*f)[0].q_mvar.p50, 0, 1e-9);  // unity power factor
  // The second ISP carries the aggregators' schedules.
  EXPECT_NEAR((*f)[1].p_mw.p50, 53, 1e-9);
  EXPECT_NEAR((*f)[1].q_mvar.p50, -1, 1e-9);
  EXPECT_DOUBLE_EQ((*f)[1].scheduled.p, 3.0);
  EXPECT_EQ((*f)[0].outlook.state, LightState::kGreen);  // no network: no outlook
  // The window is checked by the load forecaster.
  EXPECT_EQ(
      ForecastPcc(model, history, {}, nullptr, issued_, to_, from_, ForecastKind::kIntraday, zone_).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(PccForecastTest, ProductionThatVariesFromDayToDayWidensTheBandAndTheFlexibilityBand) {
  PccModel model = testing::ConstantLoadModel(50);
  // A PV profile that alternates between a sunny and a cloudy day: its
  // climatological band spans both.
  model.groups.push_back(testing::PvGroup(20, [](absl::Time t) {
    const int64_t day = absl::ToUnixSeconds(t) / 86400;
    return day % 2 == 0 ? 0.8 : 0.2;
  }));
  const Series history = LoadHistoryFromModel(model, issued_ - absl::Hours(24 * 60), issued_);
  auto f = ForecastPcc(model, history, {}, nullptr, issued_, from_, to_, ForecastKind::kDayAhead, zone_);
  ASSERT_TRUE(f.ok()) << f.status();
  const PccForecastInterval& i = (*f)[0];
  // Production is 0.2 or 0.8 p.u. of 20 MW: the band reaches from much
  // production (less import) to little, 12 MW apart.
  EXPECT_LE(i.p_mw.p10, i.p_mw.p50);
  EXPECT_LE(i.p_mw.p50, i.p_mw.p90);
  EXPECT_NEAR(i.p_mw.p90 - i.p_mw.p10, 0.6 * 20, 1e-6);
  EXPECT_NEAR(i.p_mw.p10, 50 - 0.8 * 20, 1e-6);
  // PV's downward flexibility is its production: it moves with the state.
  EXPECT_LT(i.p_up_mw.p10, i.p_up_mw.p90 + 1e-12);
  EXPECT_LT(i.p_down_mw.p10, i.p_down_mw.p90);
  EXPECT_NEAR(i.p_down_mw.p10, 0.2 * 20, 1e-6);
  EXPECT_NEAR(i.p_down_mw.p90, 0.8 * 20, 1e-6);
}

TEST_F(PccForecastTest, TheOutlookTurnsYellowWhereAPlacedScheduleLoadsALineNearItsRating) {
  const PccModel model = testing::ConstantLoadModel(2);  // the buses' own load: no scaling
  const PccNetwork net = testing::TinyPccNetwork();
  const Series history = LoadHistoryFromModel(model, issued_ - absl::Hours(24 * 60), issued_);
  const absl::Time busy = from_ + absl::Minutes(30);
  auto plain = ForecastPcc(model, history, {}, &net, issued_, from_, to_, ForecastKind::kIntraday, zone_);
  ASSERT_TRUE(plain.ok()) << plain.status();
  for (const PccForecastInterval& i : *plain) EXPECT_EQ(i.outlook.state, LightState::kGreen) << Rfc3339(i.start);
  // A portfolio at bus B schedules 1 MW more consumption in one ISP: the
  // line to B then carries about 2 MVA of its 2.1.
  const PlacedBaseline at_b{{net.grid->BusIndex("B")}, {{busy, {1.0, 0.0}}}};
  auto scheduled =
      ForecastPcc(model, history, at_b.baseline, &net, issued_, from_, to_, ForecastKind::kIntraday, zone_, {}, {at_b});
  ASSERT_TRUE(scheduled.ok()) << scheduled.status();
  for (const PccForecastInterval& i : *scheduled) {
    if (i.start == busy) {
      EXPECT_EQ(i.outlook.state, LightState::kYellow);
      EXPECT_EQ(i.outlook.reason, LightReason::kThermalLimit);
      EXPECT_NEAR(i.p_mw.p50, 3.0, 1e-9);
    } else {
      EXPECT_EQ(i.outlook.state, LightState::kGreen) << Rfc3339(i.start);
    }
  }
}

// The outlook measures nearness from the limits less the security
// margins: half a megawatt more at B loads its line to about 74 % of the
// rating, green with the default 2 % margin (yellow from 88.2 %), yellow
// with a 20 % one (from 72 %).
TEST_F(PccForecastTest, TheOutlookWarnsAgainstTheRatingLessItsMargin) {
  const PccModel model = testing::ConstantLoadModel(2);
  const PccNetwork net = testing::TinyPccNetwork();
  const Series history = LoadHistoryFromModel(model, issued_ - absl::Hours(24 * 60), issued_);
  const absl::Time busy = from_ + absl::Minutes(30);
  const PlacedBaseline at_b{{net.grid->BusIndex("B")}, {{busy, {0.5, 0.0}}}};
  PccForecastOptions wide;
  wide.limits = WithMargins(SecurityMargins{0.2, 0.005});
  for (const PccForecastOptions& options : {PccForecastOptions{}, wide}) {
    auto f = ForecastPcc(model, history, at_b.baseline, &net, issued_, from_, to_, ForecastKind::kIntraday, zone_,
                         options, {at_b});
    ASSERT_TRUE(f.ok()) << f.status();
    for (const PccForecastInterval& i : *f) {
      const bool warned = i.start == busy && options.limits.margins.thermal > 0.1;
      EXPECT_EQ(i.outlook.state, warned ? LightState::kYellow : LightState::kGreen) << Rfc3339(i.start);
      if (warned) {
        EXPECT_EQ(i.outlook.reason, LightReason::kThermalLimit);
      }
    }
  }
}

TEST_F(PccForecastTest, GridLimitedFiguresStartFromTheScheduledOperatingPoint) {
  const PccModel model = testing::ConstantLoadModel(2);
  const PccNetwork net = testing::TinyPccNetwork();
  const absl::Duration isp = absl::Minutes(15);
  auto plain = GridLimitedAt(net, model, from_, isp);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(plain->within_limits);
  // 0.8 MW more at B: the exchange rises by that and a little loss, still
  // within the line's rating.
  const int b = net.grid->BusIndex("B");
  const PlacedBaseline some{{b}, {{from_, {0.8, 0.0}}}};
  auto scheduled = GridLimitedAt(net, model, from_, isp, {}, {some});
  ASSERT_TRUE(scheduled.ok()) << scheduled.status();
  EXPECT_TRUE(scheduled->within_limits);
  EXPECT_GT(scheduled->operating.p - plain->operating.p, 0.8);
  EXPECT_LT(scheduled->operating.p - plain->operating.p, 0.9);
  // 1.5 MW more: the line to B is beyond its rating at the operating point.
  const PlacedBaseline too_much{{b}, {{from_, {1.5, 0.0}}}};
  auto over = GridLimitedAt(net, model, from_, isp, {}, {too_much});
  ASSERT_TRUE(over.ok()) << over.status();
  EXPECT_FALSE(over->within_limits);
  // A schedule elsewhere in time changes nothing.
  const PlacedBaseline later{{b}, {{from_ + isp, {1.5, 0.0}}}};
  auto other = GridLimitedAt(net, model, from_, isp, {}, {later});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_DOUBLE_EQ(other->operating.p, plain->operating.p);
}

}  // namespace
}  // namespace tsodso::core
