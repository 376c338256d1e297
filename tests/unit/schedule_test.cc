// Schedule submissions: the portfolio rules, contiguity and alignment, the
// horizon in local days (92 and 100 quarter hours around the clock
// changes, in UTC), and bad values named by interval and field.
#include "core/schedules/schedule.h"

#include "core/pcc/grid_check.h"
#include "core/schedules/baseline.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sample_registry.h"
#include "support/status_testing.h"

namespace tsodso::core {
namespace {

using ::tsodso::testing::StatusIs;

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

class ScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(absl::LoadTimeZone("Europe/Rome", &horizon_.zone));
    portfolios_ = {{"agg1-sud", "agg-1", "PS_SUD", -10, 20, -5, 5}, {"agg2-est", "agg-2", "PS_EST", 0, 8, 0, 0}};
  }
  // n quarter hours from `start`, each 1 MW more than the one before.
  ScheduleRequest Request(absl::Time start, int n) const {
    ScheduleRequest r{"agg1-sud", "PS_SUD", 15, 1, {}};
    for (int i = 0; i < n; ++i) r.intervals.push_back({start + i * absl::Minutes(15), 1.0 * (i % 20), std::nullopt});
    return r;
  }
  PartyRegistry registry_ = testing::SampleRegistry();
  const Party& agg1_ = *registry_.FindById("agg-1");
  ScheduleHorizon horizon_;
  std::vector<Portfolio> portfolios_;
};

TEST_F(ScheduleTest, PortfoliosAreCheckedAgainstTheRegistry) {
  EXPECT_TRUE(CheckPortfolios(portfolios_, registry_, "g.yaml").ok());
  auto bad = portfolios_;
  bad[1].aggregator = "tso-terna";
  EXPECT_TRUE(StatusIs(CheckPortfolios(bad, registry_, "g.yaml"), absl::StatusCode::kInvalidArgument,
                       {"g.yaml", "portfolios[1] (agg2-est).aggregator", "tso-terna"}));
  bad = portfolios_;
  bad[0].pcc_id = "PS_EST";  // agg-1 has no assets there
  EXPECT_TRUE(StatusIs(CheckPortfolios(bad, registry_, "g.yaml"), absl::StatusCode::kInvalidArgument,
                       {"portfolios[0] (agg1-sud).pcc", "PS_EST"}));
  bad = portfolios_;
  bad[1].id = "agg1-sud";
  EXPECT_TRUE(StatusIs(CheckPortfolios(bad, registry_, "g.yaml"), absl::StatusCode::kInvalidArgument, {"twice"}));
  bad = portfolios_;
  bad[0].p_min_mw = 30;
  EXPECT_TRUE(StatusIs(CheckPortfolios(bad, registry_, "g.yaml"), absl::StatusCode::kInvalidArgument, {"p_min_mw"}));
}

TEST_F(ScheduleTest, HorizonEndsAtLocalMidnightOfDayPlusTwo) {
  // 24 November, CET (UTC+1): the end of 26 November local is 23:00 UTC.
  EXPECT_EQ(HorizonEnd(At("2026-11-24T10:00:00Z"), horizon_), At("2026-11-26T23:00:00Z"));
  // 24 July, CEST (UTC+2).
  EXPECT_EQ(HorizonEnd(At("2026-07-24T10:00:00Z"), horizon_), At("2026-07-26T22:00:00Z"));
  // Across the clock changes: D+2 is the 23-hour 28 March 2027 (ends at
  // 00:00 CEST = 22:00 UTC) and the 25-hour 25 October 2026 (ends at
  // 00:00 CET = 23:00 UTC); fixed 24-hour days would miss by an hour.
  EXPECT_EQ(HorizonEnd(At("2027-03-26T10:00:00Z"), horizon_), At("2027-03-28T22:00:00Z"));
  EXPECT_EQ(HorizonEnd(At("2026-10-23T10:00:00Z"), horizon_), At("2026-10-25T23:00:00Z"));
  // Just after local midnight the local date has already moved on.
  EXPECT_EQ(HorizonEnd(At("2026-11-24T23:30:00Z"), horizon_), At("2026-11-27T23:00:00Z"));
}

TEST_F(ScheduleTest, ClockChangeDaysHave92And100QuarterHoursInUtc) {
  // 28 March 2027 (spring forward): the local day is 23 hours long.
  const absl::Time spring = At("2027-03-27T23:00:00Z");  // 00:00 CET
  auto s = CheckSchedule(Request(spring, 92), portfolios_, agg1_, At("2027-03-27T10:00:00Z"), horizon_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->end(), At("2027-03-28T22:00:00Z"));  // 00:00 CEST on the 29th
  // 25 October 2026 (fall back): 25 hours.
  const absl::Time autumn = At("2026-10-24T22:00:00Z");  // 00:00 CEST
  s = CheckSchedule(Request(autumn, 100), portfolios_, agg1_, At("2026-10-24T10:00:00Z"), horizon_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->end(), At("2026-10-25T23:00:00Z"));  // 00:00 CET on the 26th
  EXPECT_EQ(s->intervals.size(), 100u);
  EXPECT_EQ(s->resolution, absl::Minutes(15));
  // With D+1 as the horizon, the short day holds 92 quarter hours and no
  // 93rd.
  ScheduleHorizon next_day = horizon_;
  next_day.days_ahead = 1;
  EXPECT_TRUE(CheckSchedule(Request(spring, 92), portfolios_, agg1_, At("2027-03-27T10:00:00Z"), next_day).ok());
  EXPECT_TRUE(StatusIs(CheckSchedule(Request(spring, 93), portfolios_, agg1_, At("2027-03-27T10:00:00Z"), next_day),
                       absl::StatusCode::kInvalidArgument,
                       {"intervals[92] (2027-03-28T22:00:00Z).start: ends after the accepted horizon"}));
}

TEST_F(ScheduleTest, BadSubmissionsNameTheIntervalAndField) {
  const absl::Time now = At("2026-11-24T10:07:00Z");
  const absl::Time start = At("2026-11-25T00:00:00Z");
  auto refused = [&](auto spoil, std::initializer_list<std::string> pieces,
                     absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
    ScheduleRequest r = Request(start, 96);
    spoil(r);
    EXPECT_TRUE(StatusIs(CheckSchedule(r, portfolios_, agg1_, now, horizon_), code, pieces));
  };
  refused([](auto& r) { r.intervals[3].start += absl::Minutes(1); },
          {"intervals[3] (2026-11-25T00:46:00Z).start: not aligned to 15 minutes"});
  refused([](auto& r) { r.intervals.erase(r.intervals.begin() + 10); },
          {"intervals[10] (2026-11-25T02:45:00Z).start: does not follow 2026-11-25T02:15:00Z"});
  refused([](auto& r) { r.intervals[5].p_mw = std::nan(""); },
          {"intervals[5] (2026-11-25T01:15:00Z).p_mw: is not a number"});
  refused([](auto& r) { r.intervals[7].p_mw = 25; },
          {"intervals[7]", "p_mw: 25 is outside the portfolio's range -10 .. 20"});
  refused([](auto& r) { r.intervals[8].q_mvar = 6; }, {"intervals[8]", "q_mvar: 6 is outside"});
  refused([](auto& r) { r.intervals[9].q_mvar = INFINITY; }, {"intervals[9]", "q_mvar: is not a number"});
  refused([](auto& r) { r.intervals.clear(); }, {"intervals: a schedule needs at least one"});
  refused([](auto& r) { r.revision = 0; }, {"revision: 0"});
  refused([](auto& r) { r.resolution_minutes = 7; }, {"resolution_minutes: 7"});
  refused([](auto& r) { r.pcc_id = "PS_EST"; }, {"pcc_id", "PS_SUD"});
  refused([](auto& r) { r.portfolio_id = "agg2-est"; }, {"portfolio_id: 'agg2-est'"},
          absl::StatusCode::kPermissionDenied);
  refused([](auto& r) { r.portfolio_id = "nope"; }, {"portfolio_id: 'nope'"}, absl::StatusCode::kPermissionDenied);
  // In the past, and beyond the end of D+2 (2026-11-26T23:00Z).
  ScheduleRequest past = Request(At("2026-11-24T09:45:00Z"), 4);
  EXPECT_TRUE(StatusIs(CheckSchedule(past, portfolios_, agg1_, now, horizon_), absl::StatusCode::kInvalidArgument,
                       {"intervals[0] (2026-11-24T09:45:00Z).start: lies in the past"}));
  ScheduleRequest current = Request(At("2026-11-24T10:00:00Z"), 4);  // the interval under way is allowed
  EXPECT_TRUE(CheckSchedule(current, portfolios_, agg1_, now, horizon_).ok());
  ScheduleRequest late = Request(At("2026-11-26T22:30:00Z"), 4);
  EXPECT_TRUE(StatusIs(CheckSchedule(late, portfolios_, agg1_, now, horizon_), absl::StatusCode::kInvalidArgument,
                       {"intervals[2] (2026-11-26T23:00:00Z).start: ends after the accepted horizon"}));
  // Every offending interval is listed, up to 20, then counted.
  ScheduleRequest many = Request(start, 96);
  for (auto& v : many.intervals) v.p_mw = 99;
  auto st = CheckSchedule(many, portfolios_, agg1_, now, horizon_).status();
  EXPECT_TRUE(StatusIs(st, absl::StatusCode::kInvalidArgument, {"intervals[0]", "intervals[19]", "and 76 more"}));
}

TEST_F(ScheduleTest, AnIntervalMapsToTheIspsItTouches) {
  const absl::Time t = At("2026-11-25T10:00:00Z");
  EXPECT_EQ(IspsOf(t, absl::Minutes(60)).size(), 4u);
  EXPECT_EQ(IspsOf(t, absl::Minutes(15)), std::vector<absl::Time>{t});
  EXPECT_EQ(IspsOf(t + absl::Minutes(10), absl::Minutes(5)), std::vector<absl::Time>{t});
  EXPECT_EQ(IspsOf(t + absl::Minutes(30), absl::Minutes(30)).front(), t + absl::Minutes(30));
}

}  // namespace
}  // namespace tsodso::core

namespace tsodso::core {
namespace {

Schedule Revision(const std::string& portfolio, int64_t revision, absl::Time start, int minutes, std::vector<double> p,
                  std::optional<double> q = std::nullopt) {
  Schedule s;
  s.portfolio_id = portfolio;
  s.pcc_id = "PS_SUD";
  s.revision = revision;
  s.resolution = absl::Minutes(minutes);
  for (size_t i = 0; i < p.size(); ++i) s.intervals.push_back({start + static_cast<int>(i) * s.resolution, p[i], q});
  return s;
}

TEST(BaselineTest, APortfoliosLatestRevisionIsItsScheduleAndPortfoliosAdd) {
  const absl::Time t0 = absl::FromUnixSeconds(1795000500);  // an ISP start
  ASSERT_EQ(t0, AlignDown(t0, absl::Minutes(15)));
  const absl::Duration isp = absl::Minutes(15);
  // Revision 1 covers four ISPs; revision 2, the middle two only, replaces
  // it wholly (as it does for the traffic light).
  const std::vector<Schedule> revisions = {
      Revision("a", 1, t0, 15, {1, 2, 3, 4}, 0.5), Revision("a", 2, t0 + isp, 15, {10, 20}),
      Revision("b", 7, t0 + 2 * isp, 60, {5}, 1.0),  // one hour: the same P in each ISP
  };
  const PccBaseline b = AggregateBaseline(revisions, t0, t0 + 8 * isp);
  ASSERT_EQ(b.size(), 5u);       // ISPs 1..5
  EXPECT_FALSE(b.contains(t0));  // only revision 1 said something here
  EXPECT_DOUBLE_EQ(b.at(t0 + isp).p, 10);
  EXPECT_DOUBLE_EQ(b.at(t0 + isp).q, 0);  // revision 2 has no Q: no change
  EXPECT_DOUBLE_EQ(b.at(t0 + 2 * isp).p, 20 + 5);
  EXPECT_DOUBLE_EQ(b.at(t0 + 2 * isp).q, 1.0);
  EXPECT_DOUBLE_EQ(b.at(t0 + 3 * isp).p, 5);
  EXPECT_DOUBLE_EQ(b.at(t0 + 5 * isp).p, 5);
  EXPECT_FALSE(b.contains(t0 + 6 * isp));
  // The order of the input does not matter.
  const std::vector<Schedule> reversed(revisions.rbegin(), revisions.rend());
  EXPECT_DOUBLE_EQ(AggregateBaseline(reversed, t0, t0 + 8 * isp).at(t0 + isp).p, 10);
  EXPECT_FALSE(AggregateBaseline(reversed, t0, t0 + 8 * isp).contains(t0));
}

TEST(BaselineTest, FiveMinuteSchedulesAreAveragedOverTheIsp) {
  const absl::Time t0 = absl::FromUnixSeconds(1795000500);
  const PccBaseline b = AggregateBaseline({Revision("a", 1, t0, 5, {3, 6, 9, 12})}, t0, t0 + absl::Minutes(30));
  EXPECT_DOUBLE_EQ(b.at(t0).p, 6);
  // Only 5 of the next ISP's minutes are scheduled: their mean counts.
  EXPECT_DOUBLE_EQ(b.at(t0 + absl::Minutes(15)).p, 12);
}

TEST(BaselineTest, TheScheduledExchangeMovesTheOperatingPointNotTheDistances) {
  PccModel model;
  model.pcc_id = "PS_SUD";
  model.load_mw = [](absl::Time) { return 50.0; };
  model.load_pf = 1.0;
  const absl::Time t0 = absl::FromUnixSeconds(1795000500);
  const absl::Duration isp = absl::Minutes(15);
  const PccBaseline baseline = {{t0 + isp, {4.0, -1.0}}};
  const auto plain = ComputeRange(model, t0, t0 + 2 * isp, isp, true);
  const auto with = ComputeRange(model, t0, t0 + 2 * isp, isp, true, &baseline);
  ASSERT_EQ(with.size(), 2u);
  EXPECT_DOUBLE_EQ(with[0].operating.p, plain[0].operating.p);
  EXPECT_DOUBLE_EQ(with[1].operating.p, plain[1].operating.p + 4.0);
  EXPECT_DOUBLE_EQ(with[1].operating.q, plain[1].operating.q - 1.0);
  EXPECT_DOUBLE_EQ(with[1].scheduled.p, 4.0);
  EXPECT_DOUBLE_EQ(with[1].p_up_mw, plain[1].p_up_mw);
  // An hourly interval takes the mean of its four ISPs.
  EXPECT_DOUBLE_EQ(BaselineOver(baseline, t0, absl::Hours(1)).p, 1.0);
}

}  // namespace
}  // namespace tsodso::core
