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
  EXPECT_NEAR(s.p_up.mean, 3.91, 0.01);
  EXPECT_NEAR(s.p_down.mean, 7.74, 0.01);
  EXPECT_NEAR(s.q_up.mean, 15.31, 0.01);
  EXPECT_NEAR(s.q_down.mean, 5.73, 0.01);
  // Reactive capability of 5 MVA PV at 0.9 PF and 27 MVA CHP at 0.8 PF
  // over-excited: 5 * 0.4359 + 27 * 0.6 = 18.38 + hydro 0.25 = 18.63 Mvar.
  EXPECT_NEAR(s.q_up.max, 18.63, 0.01);
  EXPECT_NEAR(s.p_down.max, 16.73, 0.01);
  EXPECT_NEAR(s.p_up.share_at_least, 0.172, 0.002);
}

TEST(FlexScenarioTest, PsSud2030Year) {
  const core::FlexSummary s = Year("ps-sud/2030.yaml");
  ASSERT_EQ(s.intervals, 35040u);
  EXPECT_NEAR(s.p_up.mean, 10.44, 0.01);
  EXPECT_NEAR(s.p_down.mean, 12.60, 0.01);
  EXPECT_NEAR(s.q_up.mean, 24.44, 0.01);
  EXPECT_NEAR(s.q_down.mean, 14.16, 0.01);
  EXPECT_NEAR(s.p_up.share_at_least, 0.475, 0.002);
}

}  // namespace
}  // namespace tsodso
