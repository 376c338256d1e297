// Regression of the published PS Sud figures (docs/FLEXIBILITY.md): the
// repository's DER classes, scenarios and profiles, one year at 15 minutes.
#include <gtest/gtest.h>

#include "app/flex_config.h"
#include "core/flexibility/engine.h"

namespace tsodso {
namespace {

core::FlexSummary Year(const std::string& scenario_file) {
  const std::string config = std::string(TSODSO_SOURCE_DIR) + "/config/";
  auto classes = app::LoadDerClasses(config + "der-classes.yaml");
  EXPECT_TRUE(classes.ok()) << classes.status();
  auto sc = app::LoadScenario(config + scenario_file, "PS_SUD", "current", *classes);
  EXPECT_TRUE(sc.ok()) << sc.status();
  const absl::Time from = absl::FromCivil(absl::CivilYear(2025), absl::UTCTimeZone());
  const absl::Time to = absl::FromCivil(absl::CivilYear(2026), absl::UTCTimeZone());
  return core::Summarize(core::ComputeRange(sc->model, from, to, sc->interval, false), 10.0);
}

TEST(FlexScenarioTest, PsSudAsIsYear) {
  const core::FlexSummary s = Year("ps-sud/as-is.yaml");
  ASSERT_EQ(s.intervals, 35040u);
  EXPECT_NEAR(s.p_up.mean, 5.51, 0.01);
  EXPECT_NEAR(s.p_down.mean, 6.95, 0.01);
  EXPECT_NEAR(s.q_up.mean, 12.17, 0.01);
  EXPECT_NEAR(s.q_down.mean, 4.88, 0.01);
  // Most reactive injection, with the CHP flat out: 33.75 MVA x 0.6 +
  // 5 MVA of PV x 0.4359 + the hydro's share = 22.24 Mvar.
  EXPECT_NEAR(s.q_up.max, 22.24, 0.01);
  EXPECT_NEAR(s.p_down.max, 18.40, 0.01);
  EXPECT_NEAR(s.p_up.share_at_least, 0.254, 0.002);
  // Heat-led CHP is off in July: nothing to move upward.
  EXPECT_NEAR(s.p_up.monthly_mean.at(7), 0.0, 0.05);
}

TEST(FlexScenarioTest, PsSud2030Year) {
  const core::FlexSummary s = Year("ps-sud/2030.yaml");
  ASSERT_EQ(s.intervals, 35040u);
  EXPECT_NEAR(s.p_up.mean, 12.16, 0.01);
  EXPECT_NEAR(s.p_down.mean, 11.76, 0.01);
  // The V2G chargers' converters give Q within their 17.6 MVA with or
  // without cars (docs/FLEXIBILITY.md, "PS Sud against the study").
  EXPECT_NEAR(s.q_up.mean, 35.11, 0.01);
  EXPECT_NEAR(s.q_down.mean, 27.30, 0.01);
  EXPECT_NEAR(s.p_up.share_at_least, 0.571, 0.002);
}

}  // namespace
}  // namespace tsodso
